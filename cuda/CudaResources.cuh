#pragma once
// One object owns everything the CUDA backend holds on a device: the compute and copy streams,
// the cuBLAS handle, and every device and pinned host buffer. Kernels never allocate; a session
// sizes its buffers once per request (the cube) or per batch (losses, tails, legs), and buffers
// only grow. Not thread-safe: one session uses it at a time.

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <string>

#include "cuda/CudaCheck.cuh"

namespace xm::cuda {

// A device allocation of `count` elements of T, released on destruction.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  // Ensures room for `count` elements (contents are not kept when it grows).
  void reserve(size_t count) {
    if (count <= capacity_) return;
    release();
    void* p = nullptr;
    XM_CUDA_CHECK(cudaMalloc(&p, std::max<size_t>(count, 1) * sizeof(T)));
    data_ = static_cast<T*>(p);
    capacity_ = count;
  }
  void release() {
    if (data_) cudaFree(data_);
    data_ = nullptr;
    capacity_ = 0;
  }
  T* data() const { return data_; }
  size_t capacity() const { return capacity_; }

 private:
  T* data_ = nullptr;
  size_t capacity_ = 0;
};

// Page-locked host memory, so that copies run asynchronously on the copy stream.
template <typename T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  ~PinnedBuffer() {
    if (data_) cudaFreeHost(data_);
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  void reserve(size_t count) {
    if (count <= capacity_) return;
    if (data_) cudaFreeHost(data_);
    data_ = nullptr;
    void* p = nullptr;
    XM_CUDA_CHECK(cudaHostAlloc(&p, std::max<size_t>(count, 1) * sizeof(T), cudaHostAllocDefault));
    data_ = static_cast<T*>(p);
    capacity_ = count;
  }
  T* data() const { return data_; }
  T& operator[](size_t i) const { return data_[i]; }

 private:
  T* data_ = nullptr;
  size_t capacity_ = 0;
};

class CudaResources {
 public:
  explicit CudaResources(int device);
  ~CudaResources();
  CudaResources(const CudaResources&) = delete;
  CudaResources& operator=(const CudaResources&) = delete;

  int device() const { return device_; }
  const std::string& name() const { return name_; }
  cudaStream_t compute() const { return compute_; }
  cudaStream_t copy() const { return copy_; }
  cublasHandle_t blas();  // created, and cuBLAS loaded, on first use
  size_t freeBytes() const;

 private:
  int device_;
  std::string name_;
  cudaStream_t compute_ = nullptr, copy_ = nullptr;
  cublasHandle_t blas_ = nullptr;
};

}  // namespace xm::cuda
