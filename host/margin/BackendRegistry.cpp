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

std::unique_ptr<RiskBackend> makeBackend(BackendChoice choice) {
  if (choice == BackendChoice::Cpu) return makeCpuBackend();
  const CudaStatus cuda = cudaStatus();
  const bool usable = cuda.usable();
  if (choice == BackendChoice::Auto) return usable ? makeCudaBackend() : makeCpuBackend();
  if (!usable) {
    throw InputError("/config/backend", "backend \"cuda\" is not available: " + cuda.reason,
                     ErrorKind::BackendUnavailable);
  }
  return makeCudaBackend();
}

}  // namespace xm
