#pragma once
// cuBLAS, opened on first use with dlopen. Linking it outright made every xmargin process map
// libcublasLt (540 MB) at start-up: +0.19 s and +220 MiB RSS even for `xmargin --version` on a
// machine with no GPU. Only the correlation of more than kMaxFusedFactors factors needs it.

#include <cublas_v2.h>

namespace xm::cuda {

struct Cublas {
  decltype(&cublasCreate_v2) create;
  decltype(&cublasDestroy_v2) destroy;
  decltype(&cublasSetStream_v2) setStream;
  decltype(&cublasDgemm_v2) dgemm;
  decltype(&cublasGetStatusName) statusName;
};

// The loaded library's entry points; throws BackendError when it cannot be opened.
const Cublas& cublas();

}  // namespace xm::cuda
