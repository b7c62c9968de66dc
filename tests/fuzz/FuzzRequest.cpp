// libFuzzer target over request parsing and validation, and the engine behind them: any byte
// string must either be refused with an InputError or margined, never crash, hang or trip a
// sanitizer. Scenario and work limits are small so each input runs in microseconds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/JsonCodec.h"
#include "host/MarginEngine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  xm::Limits limits;
  limits.maxScenarios = 64;
  limits.maxAccounts = 64;
  limits.maxWork = 4096;
  try {
    const xm::MarginRequest request =
        xm::parseRequestText(std::string_view(reinterpret_cast<const char*>(data), size), limits);
    if (request.config.backend == xm::BackendChoice::Cuda) return 0;
    xm::computeMargin(request);
  } catch (const xm::InputError&) {
    // Refused with a field path: the expected outcome for most inputs.
  }
  return 0;
}
