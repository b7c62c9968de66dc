// Built when nvcc is absent: the CUDA backend reports itself missing.
#include "cuda/CudaBackend.h"

#include "host/Errors.h"
#include "host/RiskBackend.h"

namespace xm {

CudaStatus cudaStatus() {
  CudaStatus s;
  s.reason = "this build of xmargin has no CUDA backend (nvcc was not found at configure time)";
  return s;
}

std::unique_ptr<RiskBackend> makeCudaBackend() { throw BackendError(cudaStatus().reason); }

}  // namespace xm
