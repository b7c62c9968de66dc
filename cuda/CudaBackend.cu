// The CUDA backend's entry points. This version queries devices only: the scenario, revaluation
// and selection kernels arrive with the CUDA backend issue, and until then `auto` uses the CPU.
#include <cuda_runtime.h>

#include "cuda/CudaBackend.h"
#include "host/Errors.h"
#include "host/RiskBackend.h"

namespace xm {

CudaStatus cudaStatus() {
  CudaStatus s;
  s.compiled = true;
  s.implemented = false;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    count = 0;
  }
  s.devices = count;
  if (count > 0) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) s.device = prop.name;
  }
  s.reason = count == 0 ? "no CUDA device is available on this machine"
                        : "the CUDA backend's kernels are not implemented in this version";
  return s;
}

std::unique_ptr<RiskBackend> makeCudaBackend() { throw BackendError(cudaStatus().reason); }

}  // namespace xm
