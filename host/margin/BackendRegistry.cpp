#include "host/margin/BackendRegistry.h"

#include "cuda/CudaBackend.h"
#include "host/engine/CpuBackend.h"
#include "host/model/Errors.h"

namespace xm {

std::vector<BackendAvailability> listBackends() {
  std::vector<BackendAvailability> out;
  auto cpu = makeCpuBackend();
  out.push_back({"cpu", true, true, cpu->device(), ""});
  const CudaStatus cuda = cudaStatus();
  out.push_back({"cuda", cuda.compiled, cuda.usable(), cuda.device, cuda.reason});
  return out;
}

namespace {

// Auto: a usable GPU, else the CPU; Cuda without one is an error.
BackendChoice resolve(BackendChoice choice) {
  if (choice == BackendChoice::Cpu) return BackendChoice::Cpu;
  const CudaStatus cuda = cudaStatus();
  if (choice == BackendChoice::Auto)
    return cuda.usable() ? BackendChoice::Cuda : BackendChoice::Cpu;
  if (!cuda.usable()) {
    throw InputError("/config/backend", "backend \"cuda\" is not available: " + cuda.reason,
                     ErrorKind::BackendUnavailable);
  }
  return BackendChoice::Cuda;
}

}  // namespace

std::unique_ptr<RiskBackend> makeBackend(BackendChoice choice) {
  return resolve(choice) == BackendChoice::Cuda ? makeCudaBackend() : makeCpuBackend();
}

std::unique_ptr<AccountMarker> makeMarker(BackendChoice choice, const MarkingBook& book,
                                          BackendChoice* chosen) {
  const BackendChoice c = resolve(choice);
  if (chosen) *chosen = c;
  return c == BackendChoice::Cuda ? makeCudaMarker(book) : makeCpuMarker(book);
}

}  // namespace xm
