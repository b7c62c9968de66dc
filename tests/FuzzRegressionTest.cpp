// Replays every input the fuzzer ever crashed on (tests/fuzz/regressions) and the seed corpus:
// each must be margined or refused with an InputError, never anything else.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/JsonCodec.h"
#include "host/MarginEngine.h"
#include "tests/BadRequests.h"

namespace xm {
namespace {

TEST(FuzzRegressions, EveryKeptInputIsMarginedOrRefused) {
  Limits limits;
  limits.maxScenarios = 64;
  limits.maxAccounts = 64;
  limits.maxWork = 4096;
  int files = 0;
  for (const char* dir : {"tests/fuzz/regressions", "tests/fuzz/corpus"}) {
    for (const auto& entry : std::filesystem::directory_iterator(std::string(XM_SOURCE_DIR) + "/" + dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      SCOPED_TRACE(entry.path().string());
      try {
        const MarginRequest request = parseRequestText(text.str(), limits);
        computeMargin(request);
      } catch (const InputError& e) {
        EXPECT_EQ(e.httpStatus() / 100, 4);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "escaped as " << typeid(e).name() << ": " << e.what();
      }
      ++files;
    }
  }
  EXPECT_GE(files, 8);
}

TEST(FuzzRegressions, AnOverflowingScenarioIsRefusedNamingTheAsset) {
  // Found by fuzzing: a close of 1e9 among 40,000s gives an FHS residual of ~170 and, with EWMA
  // and anti-procyclicality, a scenario price of e^hundreds: the P&L was infinite, and infinity
  // minus infinity took the tail selection down (an exception inside OpenMP: abort).
  std::ifstream in(std::string(XM_SOURCE_DIR) + "/tests/fuzz/regressions/history-overflow.json");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    computeMargin(parseRequestText(text.str()));
    FAIL() << "margined";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/market/assets/1");
    EXPECT_NE(std::string(e.what()).find("exceeds 1e100"), std::string::npos) << e.what();
  }
  // A given vol as large as allowed with a 365-day horizon stays finite and is margined.
  Json r = test::validRequest();
  r["market"]["assets"][1]["vol"] = 20;
  r["config"]["horizon_days"] = 365;
  const MarginResponse m = computeMargin(parseRequest(r));
  EXPECT_TRUE(std::isfinite(m.accounts[0].es) && std::isfinite(m.accounts[0].esStderr));
}

TEST(FuzzRegressions, NumberBeyondDoubleIsA400) {
  try {
    parseRequestText(R"({"market": {"as_of": "2026-01-01T00:00:00Z", "assets": [{"id": "A", "price": 1e999999}]}})");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.code(), "invalid_request");
    EXPECT_EQ(e.path(), "");
  }
}

}  // namespace
}  // namespace xm
