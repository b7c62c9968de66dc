#pragma once
// Firewall header: all that host code may know of the CUDA backend. No CUDA headers, so host/,
// api/ and most tests build with g++ alone. Implemented by CudaBackend.cu when nvcc is present,
// and by CudaBackendStub.cpp when it is not.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xm {

class RiskBackend;
class AccountMarker;
struct MarkingBook;
struct FactorModel;
struct ShockSpec;

struct CudaStatus {
  bool compiled = false;     // the CUDA target was built into this binary
  bool implemented = false;  // its kernels exist
  int devices = 0;           // usable CUDA devices found at run time
  std::string device;        // name of device 0, if any
  std::string reason;        // why the backend cannot be used, if it cannot
  // The one answer to "can this process run the CUDA backend?": compiled in, implemented, and
  // at least one device. Everything that asks (the registry, info, tests, benchmarks) asks here.
  bool usable() const { return compiled && implemented && devices > 0; }
};

CudaStatus cudaStatus();

// Throws BackendError when the backend cannot be used (CudaStatus::reason).
std::unique_ptr<RiskBackend> makeCudaBackend();

// The clearing simulation's per-step marking on the device (host/engine/Marking.h); throws
// BackendError when the backend cannot be used. `book` must outlive the marker.
std::unique_ptr<AccountMarker> makeCudaMarker(const MarkingBook& book);

// Test hooks: the device's draws eps and correlated shocks Z of scenarios [first, first+count),
// (factors × count) row-major, for bitwise comparison with scenarios/ScenarioGenerator.
// Throw BackendError without a device.
std::vector<double> cudaIndependentDraws(uint64_t seed, int64_t first, int64_t count, int factors);
std::vector<double> cudaCorrelatedShocks(const FactorModel& model, const ShockSpec& spec,
                                         int64_t first, int64_t count);

}  // namespace xm
