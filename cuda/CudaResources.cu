#include <cstring>
#include <string>

#include "cuda/CublasLoader.cuh"
#include "cuda/CudaResources.cuh"

namespace xm::cuda {
namespace {

// The file's base name only: messages reach API clients, internal paths must not.
const char* baseName(const char* file) {
  const char* slash = std::strrchr(file, '/');
  return slash ? slash + 1 : file;
}

}  // namespace

void throwCudaError(cudaError_t error, const char* call, const char* file, int line) {
  const std::string where =
      std::string(call) + " at " + baseName(file) + ":" + std::to_string(line);
  if (error == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it so the caller can retry smaller
    throw DeviceOutOfMemory("CUDA device out of memory in " + where);
  }
  throw BackendError(std::string("CUDA error ") + cudaGetErrorName(error) + " (" +
                     cudaGetErrorString(error) + ") in " + where);
}

void throwCublasError(cublasStatus_t status, const char* call, const char* file, int line) {
  const std::string where =
      std::string(call) + " at " + baseName(file) + ":" + std::to_string(line);
  if (status == CUBLAS_STATUS_ALLOC_FAILED)
    throw DeviceOutOfMemory("cuBLAS out of memory in " + where);
  throw BackendError(std::string("cuBLAS error ") + cublas().statusName(status) + " in " + where);
}

CudaResources::CudaResources(int device) : device_(device) {
  XM_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  XM_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  name_ = prop.name;
  XM_CUDA_CHECK(cudaStreamCreateWithFlags(&compute_, cudaStreamNonBlocking));
  XM_CUDA_CHECK(cudaStreamCreateWithFlags(&copy_, cudaStreamNonBlocking));
}

cublasHandle_t CudaResources::blas() {
  if (!blas_) {  // first use: loads cuBLAS (CublasLoader.cuh)
    XM_CUBLAS_CHECK(cublas().create(&blas_));
    XM_CUBLAS_CHECK(cublas().setStream(blas_, compute_));
  }
  return blas_;
}

CudaResources::~CudaResources() {
  if (blas_) cublas().destroy(blas_);
  if (copy_) cudaStreamDestroy(copy_);
  if (compute_) cudaStreamDestroy(compute_);
}

size_t CudaResources::freeBytes() const {
  size_t free = 0, total = 0;
  XM_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  return free;
}

}  // namespace xm::cuda
