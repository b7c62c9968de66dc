// Built when nvcc is absent: the CUDA backend reports itself missing.
#include "cuda/CudaBackend.h"

#include "host/engine/Marking.h"
#include "host/engine/RiskBackend.h"
#include "host/model/Errors.h"

namespace xm {

CudaStatus cudaStatus() {
  CudaStatus s;
  s.reason = "this build of xmargin has no CUDA backend (nvcc was not found at configure time)";
  return s;
}

std::unique_ptr<RiskBackend> makeCudaBackend() { throw BackendError(cudaStatus().reason); }

std::unique_ptr<AccountMarker> makeCudaMarker(const MarkingBook&) {
  throw BackendError(cudaStatus().reason);
}

std::vector<double> cudaIndependentDraws(uint64_t, int64_t, int64_t, int) {
  throw BackendError(cudaStatus().reason);
}

std::vector<double> cudaCorrelatedShocks(const FactorModel&, const ShockSpec&, int64_t, int64_t) {
  throw BackendError(cudaStatus().reason);
}

}  // namespace xm
