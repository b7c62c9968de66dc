#pragma once
// Firewall header: all that host code may know of the CUDA backend. No CUDA headers, so host/,
// api/ and most tests build with g++ alone. Implemented by CudaBackend.cu when nvcc is present,
// and by CudaBackendStub.cpp when it is not.

#include <memory>
#include <string>

namespace xm {

class RiskBackend;

struct CudaStatus {
  bool compiled = false;     // the CUDA target was built into this binary
  bool implemented = false;  // its kernels exist (false until the CUDA backend issue lands)
  int devices = 0;           // usable CUDA devices found at run time
  std::string device;        // name of device 0, if any
  std::string reason;        // why the backend cannot be used, if it cannot
};

CudaStatus cudaStatus();

// Throws BackendError when the backend cannot be used (CudaStatus::reason).
std::unique_ptr<RiskBackend> makeCudaBackend();

}  // namespace xm
