// The libFuzzer entry of one target (XM_FUZZ_TARGET: request, msgpack, backtest, http or report;
// see FuzzTargets.h). One thread: an input's outcome must not depend on scheduling.
#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/FuzzTargets.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  omp_set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  xm::fuzz::XM_FUZZ_TARGET(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
