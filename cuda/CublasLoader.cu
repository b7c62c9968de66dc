#include <dlfcn.h>

#include <mutex>
#include <string>

#include "cuda/CublasLoader.cuh"
#include "host/model/Errors.h"

namespace xm::cuda {
namespace {

template <typename F>
void resolve(void* lib, const char* name, F& fn) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  if (!fn) throw BackendError(std::string("cuBLAS has no symbol ") + name);
}

Cublas load() {
  const std::string so = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  void* lib = nullptr;
  for (const std::string& path : {std::string(XM_CUDA_LIBRARY_DIR) + "/" + so, so}) {
    if ((lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL))) break;
  }
  if (!lib)
    throw BackendError("cannot load " + so +
                       ", needed to correlate more than 64 risk factors on the GPU");
  Cublas c{};
  resolve(lib, "cublasCreate_v2", c.create);
  resolve(lib, "cublasDestroy_v2", c.destroy);
  resolve(lib, "cublasSetStream_v2", c.setStream);
  resolve(lib, "cublasDgemm_v2", c.dgemm);
  resolve(lib, "cublasGetStatusName", c.statusName);
  return c;  // the library stays loaded for the process
}

}  // namespace

const Cublas& cublas() {
  static std::once_flag once;
  static Cublas c;
  std::call_once(once, [] { c = load(); });
  return c;
}

}  // namespace xm::cuda
