#pragma once
// Every CUDA and cuBLAS call goes through one macro that reports the call and where it was made;
// the last error is checked after every launch. Build with -DXM_CUDA_SYNC_DEBUG=ON to
// synchronise after every launch, so an asynchronous fault is reported at the kernel that caused
// it. Device allocation failures throw DeviceOutOfMemory, which the backend absorbs by shrinking
// its batches; every other failure is a BackendError (HTTP 503, CLI exit 1).

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "host/model/Errors.h"

namespace xm::cuda {

class DeviceOutOfMemory : public BackendError {
 public:
  using BackendError::BackendError;
};

[[noreturn]] void throwCudaError(cudaError_t error, const char* call, const char* file, int line);
[[noreturn]] void throwCublasError(cublasStatus_t status, const char* call, const char* file,
                                   int line);

}  // namespace xm::cuda

#define XM_CUDA_CHECK(call)                                                                       \
  do {                                                                                            \
    const cudaError_t xmError_ = (call);                                                          \
    if (xmError_ != cudaSuccess) ::xm::cuda::throwCudaError(xmError_, #call, __FILE__, __LINE__); \
  } while (0)

#define XM_CUBLAS_CHECK(call)                                             \
  do {                                                                    \
    const cublasStatus_t xmStatus_ = (call);                              \
    if (xmStatus_ != CUBLAS_STATUS_SUCCESS)                               \
      ::xm::cuda::throwCublasError(xmStatus_, #call, __FILE__, __LINE__); \
  } while (0)

#ifdef XM_CUDA_SYNC_DEBUG
#define XM_CUDA_CHECK_LAUNCH()              \
  do {                                      \
    XM_CUDA_CHECK(cudaGetLastError());      \
    XM_CUDA_CHECK(cudaDeviceSynchronize()); \
  } while (0)
#else
#define XM_CUDA_CHECK_LAUNCH() XM_CUDA_CHECK(cudaGetLastError())
#endif
