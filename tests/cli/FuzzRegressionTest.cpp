// Replays every input a fuzzer ever crashed on (tests/fuzz/<target>/regressions) and every seed
// (tests/fuzz/<target>/corpus) through the same target code the fuzzers run: each must be
// answered or refused as the contract says, with every invariant of FuzzTargets.h holding.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/json/JsonCodec.h"
#include "host/margin/MarginEngine.h"
#include "tests/BadRequests.h"
#include "tests/fuzz/FuzzTargets.h"

namespace xm {
namespace {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every file of the target, and how many were answered in full: a seed corpus that no longer
// reaches the engine (a format drift) would make fuzzing shallow without anyone noticing.
void replay(const std::string& target, fuzz::Outcome (*run)(std::string_view), size_t atLeast,
            size_t answeredSeeds) {
  size_t files = 0, answered = 0;
  for (const char* kind : {"regressions", "corpus"}) {
    const std::filesystem::path dir =
        std::filesystem::path(XM_SOURCE_DIR) / "tests/fuzz" / target / kind;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      SCOPED_TRACE(entry.path().string());
      try {
        answered +=
            std::string(kind) == "corpus" && run(slurp(entry.path())) == fuzz::Outcome::Answered;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "escaped as " << typeid(e).name() << ": " << e.what();
      }
      ++files;
    }
  }
  EXPECT_GE(files, atLeast);
  EXPECT_GE(answered, answeredSeeds)
      << target << ": seeds answered in full, of " << files << " files";
}

TEST(FuzzRegressions, RequestInputs) { replay("request", fuzz::request, 10, 7); }
TEST(FuzzRegressions, MessagePackInputs) { replay("msgpack", fuzz::msgpack, 8, 7); }
TEST(FuzzRegressions, BacktestInputs) { replay("backtest", fuzz::backtest, 4, 4); }
#ifdef XM_HAVE_SERVER
TEST(FuzzRegressions, HttpInputs) { replay("http", fuzz::http, 12, 6); }
TEST(FuzzRegressions, ReportInputs) { replay("report", fuzz::report, 5, 4); }
#endif

TEST(FuzzRegressions, AnOverflowingScenarioIsRefusedNamingTheAsset) {
  // Found by fuzzing: a history whose closes move by 1e-12 a day for weeks, then jump 10,000-fold,
  // gives an FHS residual of ~1e10 (the jump over an EWMA vol of almost nothing) and, with EWMA
  // and anti-procyclicality, scenario prices of e^hundreds: the P&L was infinite, and infinity
  // minus infinity took the tail selection down (an exception inside OpenMP: abort). (The first
  // such input, history-overflow.json, held a subnormal close, now refused when parsed.)
  const std::string text =
      slurp(std::string(XM_SOURCE_DIR) + "/tests/fuzz/request/regressions/flat-history-jump.json");
  try {
    computeMargin(parseRequestText(text));
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

TEST(FuzzRegressions, ADailyVolumeTooSmallToTradeIsRefused) {
  // Found by fuzzing MessagePack: daily_volume 1e-309 (a subnormal, "> 0") made the liquidity
  // add-on's sqrt(N / ADV) overflow: an infinite margin. Volumes now lie in [1e-6, 1e30].
  Json r = test::validRequest();
  r["config"]["add_ons"] = {{"liquidity", {{"coefficient", 1.0}}}};
  r["market"]["assets"][1]["daily_volume"] = 1e-309;
  try {
    parseRequest(r);
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/market/assets/1/daily_volume");
  }
  r["market"]["assets"][1]["daily_volume"] = 1e-6;  // the floor: finite
  const MarginResponse m = computeMargin(parseRequest(r));
  EXPECT_TRUE(std::isfinite(m.accounts[0].liquidityAddOn) && m.accounts[0].liquidityAddOn > 0);
  // A history whose volumes average below the floor counts as no volume: named, not margined.
  r["market"]["assets"][1].erase("daily_volume");
  r["market"]["history"] = {{"BTC",
                             {{{"date", "2025-12-30"}, {"close", 50000}, {"volume", 1e-300}},
                              {{"date", "2025-12-31"}, {"close", 50100}, {"volume", 0}}}}};
  try {
    computeMargin(parseRequest(r));
    FAIL() << "margined";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/market/assets/1/daily_volume");
    EXPECT_NE(std::string(e.what()).find("below 1e-6"), std::string::npos) << e.what();
  }
}

TEST(FuzzRegressions, HistoryClosesAndImpliedVolsKeepEveryRatioFinite) {
  // Found by fuzzing MessagePack: an iv of 2e-323 in a history made iv_t / iv_{t-1} overflow and
  // the EWMA vol_of_vol and spot_vol_corr estimates NaN. Closes and implied vols are bounded.
  Json r = test::validRequest();
  r["config"]["vol_model"] = {{"ewma", {{"lambda", 0.9}}}};
  r["market"]["history"] = {{"BTC",
                             {{{"date", "2025-12-29"}, {"close", 50000}, {"iv", 0.5}},
                              {{"date", "2025-12-30"}, {"close", 50500}, {"iv", 2e-323}},
                              {{"date", "2025-12-31"}, {"close", 50100}, {"iv", 0.55}}}}};
  auto refusedAt = [&](const std::string& path) {
    try {
      parseRequest(r);
      ADD_FAILURE() << "accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(e.path(), path) << e.what();
    }
  };
  refusedAt("/market/history/BTC/1/iv");
  r["market"]["history"]["BTC"][1]["iv"] = 1e-4;  // the floor: every estimate finite
  r["instruments"][4]["iv"] = 1e-4;
  r["accounts"][0]["positions"].push_back(test::position("BTC-C", 1, 100));
  const MarginResponse m = computeMargin(parseRequest(r));
  ASSERT_EQ(m.run.estimates.size(), 1u);
  EXPECT_TRUE(std::isfinite(m.run.estimates[0].volOfVol) &&
              std::isfinite(m.run.estimates[0].spotVolCorr));
  EXPECT_TRUE(std::isfinite(m.accounts[0].es));
  r["market"]["history"]["BTC"][1]["close"] = 1e-13;
  refusedAt("/market/history/BTC/1/close");
  r["market"]["history"]["BTC"][1]["close"] = 2e12;
  refusedAt("/market/history/BTC/1/close");
  r["market"]["history"]["BTC"][1]["close"] = 50500;
  r["instruments"][4]["iv"] = 5e-5;
  refusedAt("/instruments/4/iv");
}

TEST(FuzzRegressions, NumberBeyondDoubleIsA400) {
  try {
    parseRequestText(
        R"({"market": {"as_of": "2026-01-01T00:00:00Z", "assets": [{"id": "A", "price": 1e999999}]}})");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.code(), "invalid_request");
    EXPECT_EQ(e.path(), "");
  }
}

}  // namespace
}  // namespace xm
