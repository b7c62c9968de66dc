// Backtesting: the coverage tests against published tables and closed forms, the Basel traffic
// light, and whole backtests on synthetic closes where the truth is known (the right model passes,
// an underestimated vol lands in red), with no look-ahead and the realised losses by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <omp.h>

#include "api/json/BacktestJson.h"
#include "host/engine/Pricing.h"
#include "host/model/Time.h"
#include "tests/TestSupport.h"

namespace xm {
namespace {

TEST(BacktestStats, KupiecMatchesItsClosedFormAndThePublishedRegions) {
  // No exceedance in n days: LR = -2 n ln(1 - p).
  const LikelihoodRatio zero = kupiecPof(250, 0, 0.01);
  EXPECT_NEAR(zero.statistic, -2 * 250 * std::log(0.99), 1e-12);
  EXPECT_NEAR(zero.pValue, 0.02498150305344973, 1e-12);  // scipy.stats.chi2.sf(5.02517, 1)
  EXPECT_NEAR(kupiecPof(250, 8, 0.01).pValue, 0.0054204051941277994, 1e-12);
  EXPECT_NEAR(kupiecPof(250, 8, 0.01).statistic, 7.7335507244945205, 1e-10);
  // x = n p exactly: the likelihoods are equal.
  EXPECT_NEAR(kupiecPof(1000, 10, 0.01).statistic, 0.0, 1e-12);
  EXPECT_NEAR(kupiecPof(1000, 10, 0.01).pValue, 1.0, 1e-9);
  // Kupiec (1995), reproduced in Jorion, "Value at Risk", table "model backtesting, 95%
  // nonrejection test confidence regions", p = 0.01: T = 510 days 1 < N < 11, T = 1000 days
  // 4 < N < 17.
  auto accepted = [](int n, int x) { return kupiecPof(n, x, 0.01).pValue > 0.05; };
  EXPECT_FALSE(accepted(510, 1));
  for (int x = 2; x <= 10; ++x) EXPECT_TRUE(accepted(510, x)) << x;
  EXPECT_FALSE(accepted(510, 11));
  EXPECT_FALSE(accepted(1000, 4));
  for (int x = 5; x <= 16; ++x) EXPECT_TRUE(accepted(1000, x)) << x;
  EXPECT_FALSE(accepted(1000, 17));
}

std::vector<bool> hitsAt(int n, std::initializer_list<int> days) {
  std::vector<bool> h(n, false);
  for (int d : days) h[d] = true;
  return h;
}

TEST(BacktestStats, ChristoffersenMatchesTheTransitionCountFormula) {
  // Five hits in a row among 250 days: n00 = 243, n01 = 1, n10 = 1, n11 = 4. By the formula:
  //   π = 5/249, π01 = 1/244, π11 = 4/5
  //   LR = -2 [244 ln(1-π) + 5 ln π - 243 ln(243/244) - ln(1/244) - ln(1/5) - 4 ln(4/5)]
  const std::vector<bool> clustered = hitsAt(250, {100, 101, 102, 103, 104});
  const double pi = 5.0 / 249, pi01 = 1.0 / 244, pi11 = 4.0 / 5;
  const double byHand =
      -2 * (244 * std::log(1 - pi) + 5 * std::log(pi) -
            (243 * std::log(1 - pi01) + std::log(pi01) + std::log(1 - pi11) + 4 * std::log(pi11)));
  const LikelihoodRatio c = christoffersenIndependence(clustered);
  EXPECT_NEAR(c.statistic, byHand, 1e-10);
  EXPECT_NEAR(c.statistic, 30.98481265704308, 1e-9);    // an independent Python computation
  EXPECT_NEAR(c.pValue, 2.600554120177156e-08, 1e-15);  // scipy.stats.chi2.sf(., 1)
  // The same five hits spread out: independence is not rejected.
  const std::vector<bool> spread = hitsAt(250, {20, 70, 120, 170, 220});
  EXPECT_NEAR(christoffersenIndependence(spread).statistic, 0.20493237652149787, 1e-10);
  EXPECT_NEAR(christoffersenIndependence(spread).pValue, 0.6507686878924301, 1e-10);
  // Conditional coverage adds Kupiec's statistic and has 2 degrees of freedom.
  const LikelihoodRatio cc = conditionalCoverage(spread, 0.01);
  EXPECT_NEAR(cc.statistic, 2.1617421647521198, 1e-10);
  EXPECT_NEAR(cc.pValue, 0.33929983877007064, 1e-10);
  // No hits at all: nothing to reject.
  EXPECT_EQ(christoffersenIndependence(std::vector<bool>(100, false)).pValue, 1.0);
  EXPECT_EQ(christoffersenIndependence({}).pValue, 1.0);
}

TEST(BacktestStats, TrafficLightIsBaselsTableAt250DaysAndScalesWithDays) {
  EXPECT_NEAR(binomialCdf(4, 250, 0.01), 0.8921876269036252, 1e-12);  // Basel: 89.22%
  EXPECT_NEAR(binomialCdf(9, 250, 0.01), 0.9997498099312595, 1e-12);  // 99.97%
  for (int x = 0; x <= 4; ++x) EXPECT_EQ(trafficLight(250, x, 0.01), Zone::Green) << x;
  for (int x = 5; x <= 9; ++x) EXPECT_EQ(trafficLight(250, x, 0.01), Zone::Yellow) << x;
  for (int x = 10; x <= 30; ++x) EXPECT_EQ(trafficLight(250, x, 0.01), Zone::Red) << x;
  // Four times the days: the boundaries move up (expected 10 exceedances, not 2.5). scipy's
  // binom.cdf(x, 1000, 0.01): 14 -> 91.8%, 15 -> 95.2%, 23 -> 99.989%, 24 -> 99.996%.
  EXPECT_EQ(trafficLight(1000, 14, 0.01), Zone::Green);
  EXPECT_EQ(trafficLight(1000, 15, 0.01), Zone::Yellow);
  EXPECT_EQ(trafficLight(1000, 23, 0.01), Zone::Yellow);
  EXPECT_EQ(trafficLight(1000, 24, 0.01), Zone::Red);
  EXPECT_EQ(binomialCdf(1000, 1000, 0.01), 1.0);
  EXPECT_EQ(binomialCdf(-1, 1000, 0.01), 0.0);
}

// A folder of price files for SYN: a lognormal walk with constant daily vol, seeded, and a flat
// stablecoin STB; days 17000 onward (2016-07-18).
class SyntheticPrices : public ::testing::Test {
 protected:
  static constexpr long long kFirstDay = 17000;
  static constexpr int kDays = 1600;

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("xm-backtest-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::mt19937_64 rng(20231231);  // fully specified by the standard: the same walk everywhere
    std::vector<double> closes{30000.0};
    for (int d = 1; d < kDays; ++d) {
      // Box-Muller on two 53-bit uniforms.
      const double u1 = (static_cast<double>(rng() >> 11) + 0.5) * 0x1p-53;
      const double u2 = static_cast<double>(rng() >> 11) * 0x1p-53;
      const double z = std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
      closes.push_back(closes.back() * std::exp(kDaily * z - 0.5 * kDaily * kDaily));
    }
    write("SYN", closes);
    write("STB", std::vector<double>(kDays, 1.0));
    closes_ = closes;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& id, const std::vector<double>& closes) {
    std::ofstream out(dir_ / (id + "-USD_1d.csv"));
    out << "Date,Close,High,Low,Open,Volume\n";
    out.precision(17);
    for (size_t d = 0; d < closes.size(); ++d) {
      out << date(kFirstDay + static_cast<long long>(d)) << ',' << closes[d] << ",0,0,0,1e9\n";
    }
  }
  static std::string date(long long day) {
    return formatRfc3339(static_cast<double>(day) * 86400).substr(0, 10);
  }

  static Json portfolio(double vol) {
    return {{"market", {{"assets", {{{"id", "SYN"}, {"vol", vol}}}}}},
            {"instruments",
             {{{"id", "SYN-PERP"},
               {"type", "perpetual"},
               {"underlying", "SYN"},
               {"contract_size", 1}}}},
            {"accounts",
             {{{"id", "long"}, {"positions", {{{"instrument", "SYN-PERP"}, {"qty", 2}}}}},
              {{"id", "short"}, {"positions", {{{"instrument", "SYN-PERP"}, {"qty", -2}}}}}}}};
  }
  static Json config(Json extra = Json::object()) {
    Json c{{"scenarios", 4000}, {"measure", "var"}};
    c.update(extra);
    return c;
  }

  static constexpr double kDaily = 0.04;  // about 76% a year
  std::filesystem::path dir_;
  std::vector<double> closes_;
};

TEST_F(SyntheticPrices, TheRightModelPassesAndAnUnderestimatedVolIsRed) {
  const long long start = kFirstDay + 100, end = kFirstDay + kDays - 2;  // 1499 days
  const double trueVol = kDaily * std::sqrt(365.0);
  const BacktestReport right = runBacktest(portfolio(trueVol), dir_.string(), config(), start, end);
  ASSERT_EQ(right.days.size(), 1499u);
  EXPECT_EQ(right.skippedDays, 0);
  for (const AccountBacktest& a : right.accounts) {
    EXPECT_EQ(a.zone, Zone::Green) << a.id << ": " << a.varExceedances;
    EXPECT_GT(a.kupiec.pValue, 0.05) << a.id << ": " << a.varExceedances;
    EXPECT_GT(a.christoffersen.pValue, 0.05) << a.id;
    EXPECT_NEAR(a.varExceedances, 15, 3 * std::sqrt(15.0)) << a.id;
    EXPECT_EQ(a.marginBreaches, a.varExceedances);  // measure var: IM is VaR
  }
  // 60% of the true vol: far too many exceedances.
  const BacktestReport low =
      runBacktest(portfolio(0.6 * trueVol), dir_.string(), config(), start, end);
  for (const AccountBacktest& a : low.accounts) {
    EXPECT_EQ(a.zone, Zone::Red) << a.id << ": " << a.varExceedances;
    EXPECT_LT(a.kupiec.pValue, 1e-6) << a.id;
  }
  // EWMA finds the constant vol again (within its noise): no red.
  const BacktestReport ewma =
      runBacktest(portfolio(0.6 * trueVol), dir_.string(),
                  config({{"vol_model", {{"ewma", {{"lambda", 0.97}}}}}}), start, end);
  for (const AccountBacktest& a : ewma.accounts) {
    EXPECT_NE(a.zone, Zone::Red) << a.id << ": " << a.varExceedances;
    EXPECT_GT(a.kupiec.pValue, 0.01) << a.id << ": " << a.varExceedances;
  }
}

// Backtest counts by margin method (contract §11): with config.compare, each method's breaches are
// counted against its own initial margin. A perpetual's grid margin at range 5% and its flat
// margin at 8% are closed forms, so their breaches are the days the close fell (long) or rose
// (short) by more than that.
TEST_F(SyntheticPrices, BreachesCountedByMethod) {
  const long long start = kFirstDay + 100, end = kFirstDay + 499;
  Json c = config({{"compare", {"grid", "flat"}},
                   {"grid", {{"SYN", {{"range", 0.05}, {"points", 5}}}}},
                   {"flat", {{"SYN-PERP", {{"imf", 0.08}, {"mmf", 0.04}}}}}});
  const BacktestReport r = runBacktest(portfolio(0.6), dir_.string(), c, start, end);
  ASSERT_EQ(r.days.size(), 400u);
  for (size_t a = 0; a < 2; ++a) {
    const double side = a == 0 ? 1.0 : -1.0;  // long, short
    int grid = 0, flat = 0;
    for (long long d = start; d <= end; ++d) {
      const double move = closes_[d + 1 - kFirstDay] / closes_[d - kFirstDay] - 1.0;
      grid += -side * move > 0.05 + 1e-12;
      flat += -side * move > 0.08 + 1e-12;
    }
    const AccountBacktest& s = r.accounts[a];
    ASSERT_EQ(s.methods.size(), 3u);
    EXPECT_EQ(s.methods[0].method, MarginMethod::Es);
    EXPECT_EQ(s.methods[0].breaches, s.marginBreaches);  // the method that sets the margin
    EXPECT_EQ(s.methods[1].method, MarginMethod::Grid);
    EXPECT_EQ(s.methods[1].breaches, grid) << s.id;
    EXPECT_EQ(s.methods[2].breaches, flat) << s.id;
    EXPECT_GT(grid, flat);
    EXPECT_GT(flat, 0);
  }
  // method grid alone: its margin breaches are the compared grid's.
  c["method"] = "grid";
  c["compare"] = {"es", "flat"};
  const BacktestReport g = runBacktest(portfolio(0.6), dir_.string(), c, start, end);
  for (size_t a = 0; a < 2; ++a) {
    EXPECT_EQ(g.accounts[a].marginBreaches, r.accounts[a].methods[1].breaches);
    EXPECT_EQ(g.accounts[a].methods[1].breaches, r.accounts[a].marginBreaches);  // es
    EXPECT_DOUBLE_EQ(g.accounts[a].meanMargin, r.accounts[a].methods[1].meanMargin);
  }
}

TEST_F(SyntheticPrices, RealisedLossesAndMarginsByHand) {
  const long long day = kFirstDay + 500;
  Json p = portfolio(0.5);
  p["market"]["assets"].push_back({{"id", "STB"}});  // riskless: listed without a vol
  p["instruments"].push_back({{"id", "SYN-C"},
                              {"type", "option"},
                              {"underlying", "SYN"},
                              {"right", "call"},
                              {"tenor_days", 30},
                              {"moneyness", 1.1},
                              {"iv", 0.7},
                              {"contract_size", 1}});
  p["accounts"].push_back(
      {{"id", "call"},
       {"positions", {{{"instrument", "SYN-C"}, {"qty", -3}}}},
       {"collateral",
        {{{"asset", "SYN"}, {"amount", 0.5}}, {{"asset", "STB"}, {"amount", 1000}}}}});
  const BacktestReport r =
      runBacktest(p, dir_.string(), config({{"horizon_days", 2}, {"scenarios", 50000}}), day, day);
  ASSERT_EQ(r.days.size(), 1u);
  const double s0 = closes_[500], s2 = closes_[502];
  EXPECT_NEAR(r.days[0].loss[0], -2 * (s2 - s0), 1e-9);
  EXPECT_NEAR(r.days[0].loss[1], 2 * (s2 - s0), 1e-9);
  // The call is struck at 1.1 x the day's close with 30 days left, held 2 days.
  const double k = 1.1 * s0;
  const double option =
      blackScholes(true, s2, k, 28 / 365.0, 0.7, 0) - blackScholes(true, s0, k, 30 / 365.0, 0.7, 0);
  EXPECT_NEAR(r.days[0].loss[2], -(-3 * option + 0.5 * (s2 - s0)), 1e-9);
  // The margin is the request's on that day: a perpetual's 2-day 99% VaR at vol 0.5.
  const double sd = 0.5 * std::sqrt(2 / 365.0);
  EXPECT_NEAR(r.days[0].var[0],
              2 * s0 * (1 - std::exp(-sd * test::phiInverse(0.99) - 0.5 * sd * sd)),
              0.04 * r.days[0].var[0]);  // MC error of a 99% quantile at 50,000: ~1.1%
  EXPECT_EQ(r.days[0].initialMargin[0], r.days[0].var[0]);
}

TEST_F(SyntheticPrices, OptionsOnTheImpliedVolIndex) {
  // An index in percent, 60 ± 15, beside the prices.
  const std::filesystem::path ivDir = dir_ / "iv";
  std::filesystem::create_directories(ivDir);
  std::vector<double> index;
  {
    std::ofstream out(ivDir / "SYN-DVOL_1d.csv");
    out << "date,symbol,open,high,low,close\n";
    out.precision(17);
    for (int d = 0; d < kDays; ++d) {
      index.push_back(60 + 15 * std::sin(d / 7.0));
      out << date(kFirstDay + d) << ",SYN,0,0,0," << index.back() << "\n";
    }
  }
  Json p = portfolio(0.5);
  p["instruments"].push_back({{"id", "SYN-P"},
                              {"type", "option"},
                              {"underlying", "SYN"},
                              {"right", "put"},
                              {"tenor_days", 30},
                              {"moneyness", 1.0},
                              {"iv", "index"},
                              {"contract_size", 1}});
  p["accounts"] = {{{"id", "short-put"}, {"positions", {{{"instrument", "SYN-P"}, {"qty", -2}}}}}};
  const long long day = kFirstDay + 600;
  const BacktestReport r = runBacktest(p, dir_.string(), config(), day, day, ivDir.string());
  ASSERT_EQ(r.days.size(), 1u);
  const double s0 = closes_[600], s1 = closes_[601], iv0 = index[600] / 100, iv1 = index[601] / 100;
  const double pnl = -2 * (blackScholes(false, s1, s0, 29 / 365.0, iv1, 0) -
                           blackScholes(false, s0, s0, 30 / 365.0, iv0, 0));
  EXPECT_NEAR(r.days[0].loss[0], -pnl, 1e-9 * std::abs(pnl));
  EXPECT_TRUE(r.impliedVol.at("SYN").indexIv);
  EXPECT_EQ(backtestToJson(r)["backtest"]["implied_vol"]["SYN"]["iv"], "index");
  // With EWMA the engine estimates the put's vol-of-vol from the index: a different margin.
  const BacktestReport ewma =
      runBacktest(p, dir_.string(), config({{"vol_model", {{"ewma", Json::object()}}}}), day, day,
                  ivDir.string());
  EXPECT_EQ(backtestToJson(ewma)["backtest"]["implied_vol"]["SYN"]["vol_of_vol"],
            "ewma of the index");
  EXPECT_EQ(ewma.days[0].loss, r.days[0].loss);
  // "index" needs the folder; other strings are refused.
  try {
    runBacktest(p, dir_.string(), config(), day, day);
    ADD_FAILURE() << "index without --implied-vol accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/instruments/1/iv");
  }
  p["instruments"][1]["iv"] = "dvol";
  EXPECT_THROW(runBacktest(p, dir_.string(), config(), day, day, ivDir.string()), InputError);
}

TEST_F(SyntheticPrices, NoLookAhead) {
  const long long start = kFirstDay + 1100, end = kFirstDay + 1150;
  const Json c =
      config({{"vol_model", {{"ewma", {{"lambda", 0.94}}}}},
              {"shocks", {{"fhs", {{"lookback_days", 500}}}}},
              {"anti_procyclicality", {{"floor", true}, {"buffer", 0.3}, {"stress_weight", 0.2}}},
              {"add_ons", {{"liquidity", {{"coefficient", 1.0}}}}}});
  const BacktestReport before = runBacktest(portfolio(0.5), dir_.string(), c, start, end);
  // Rewrite everything after end + 1 (the last realised close): ten times the price, wild vol.
  std::vector<double> changed = closes_;
  for (size_t d = end - kFirstDay + 2; d < changed.size(); ++d) changed[d] *= d % 2 ? 10.0 : 0.1;
  write("SYN", changed);
  const BacktestReport after = runBacktest(portfolio(0.5), dir_.string(), c, start, end);
  ASSERT_EQ(before.days.size(), after.days.size());
  for (size_t i = 0; i < before.days.size(); ++i) {
    EXPECT_EQ(before.days[i].var, after.days[i].var) << i;
    EXPECT_EQ(before.days[i].initialMargin, after.days[i].initialMargin) << i;
    EXPECT_EQ(before.days[i].loss, after.days[i].loss) << i;
  }
  // ...while changing the last close that is seen does change the last day's figures.
  changed[end - kFirstDay] *= 1.5;
  write("SYN", changed);
  const BacktestReport seen = runBacktest(portfolio(0.5), dir_.string(), c, start, end);
  EXPECT_NE(seen.days.back().var, before.days.back().var);
  EXPECT_EQ(seen.days.front().var, before.days.front().var);
}

TEST_F(SyntheticPrices, TheReportDoesNotDependOnTheThreadCount) {
  const Json c = config(
      {{"vol_model", {{"ewma", Json::object()}}}, {"shocks", {{"fhs", {{"lookback_days", 300}}}}}});
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const BacktestReport one =
      runBacktest(portfolio(0.5), dir_.string(), c, kFirstDay + 400, kFirstDay + 440);
  omp_set_num_threads(std::max(threads, 4));
  const BacktestReport many =
      runBacktest(portfolio(0.5), dir_.string(), c, kFirstDay + 400, kFirstDay + 440);
  omp_set_num_threads(threads);
  ASSERT_EQ(one.days.size(), many.days.size());
  for (size_t i = 0; i < one.days.size(); ++i) {
    EXPECT_EQ(one.days[i].var, many.days[i].var) << i;
    EXPECT_EQ(one.days[i].es, many.days[i].es) << i;
    EXPECT_EQ(one.days[i].loss, many.days[i].loss) << i;
  }
  EXPECT_EQ(backtestToJson(one), backtestToJson(many));
}

TEST_F(SyntheticPrices, MarginJumpAndSkippedDays) {
  // Remove one close: the days that need it (as t or t + 1) are skipped, and the jump chain breaks.
  std::vector<double> c = closes_;
  {
    std::ofstream out(dir_ / "SYN-USD_1d.csv");
    out << "Date,Close\n";
    out.precision(17);
    for (size_t d = 0; d < c.size(); ++d)
      if (d != 300) out << date(kFirstDay + static_cast<long long>(d)) << ',' << c[d] << "\n";
  }
  const BacktestReport r =
      runBacktest(portfolio(0.5), dir_.string(), config(), kFirstDay + 290, kFirstDay + 310);
  EXPECT_EQ(r.skippedDays, 2);  // t = 299 (no close at t + 1) and t = 300
  EXPECT_EQ(r.days.size(), 19u);
  // Given vol: margin is proportional to the price, so the largest jump is the largest rise.
  double jump = 0;
  for (size_t i = 1; i < r.days.size(); ++i) {
    if (r.days[i].day != r.days[i - 1].day + 1) continue;
    jump = std::max(jump, r.days[i].initialMargin[0] / r.days[i - 1].initialMargin[0] - 1);
  }
  EXPECT_GT(jump, 0.0);
  EXPECT_DOUBLE_EQ(r.accounts[0].maxMarginJump, jump);
  const Json j = backtestToJson(r);
  EXPECT_EQ(j["accounts"][0]["days"], 19);
  EXPECT_EQ(j["backtest"]["skipped_days"], 2);
  for (const char* key : {"var_exceedances", "margin_breaches", "kupiec_p", "christoffersen_p",
                          "zone", "mean_margin", "max_margin_jump"}) {
    EXPECT_TRUE(j["accounts"][0].contains(key)) << key;
  }
}

TEST_F(SyntheticPrices, ErrorsNameTheField) {
  const long long d = kFirstDay + 400;
  struct Case {
    const char* name;
    std::function<void(Json&, Json&)> mutate;
    const char* path;
  } cases[] = {
      {"a price in the portfolio", [](Json& p, Json&) { p["market"]["assets"][0]["price"] = 1; },
       "/market/assets/0/price"},
      {"as_of in the portfolio",
       [](Json& p, Json&) { p["market"]["as_of"] = "2020-01-01T00:00:00Z"; }, "/market/as_of"},
      {"tenor on a perpetual", [](Json& p, Json&) { p["instruments"][0]["tenor_days"] = 30; },
       "/instruments/0/tenor_days"},
      {"unknown top-level key", [](Json& p, Json&) { p["vols"] = Json::object(); }, "/vols"},
      {"given without vols", [](Json& p, Json&) { p.erase("market"); }, "/market/assets"},
      {"fractional horizon", [](Json&, Json& c) { c["horizon_days"] = 1.5; },
       "/config/horizon_days"},
      {"bad config", [](Json&, Json& c) { c["confidence"] = 2; }, "/config/confidence"},
      {"unknown instrument",
       [](Json& p, Json&) { p["accounts"][0]["positions"][0]["instrument"] = "X"; },
       "/accounts/0/positions/0/instrument"},
      {"no price file",
       [](Json& p, Json&) {
         p["market"]["assets"].push_back({{"id", "NOPE"}, {"vol", 1}});
       },
       ""},
  };
  for (const Case& c : cases) {
    Json p = portfolio(0.5), cfg = config();
    c.mutate(p, cfg);
    try {
      runBacktest(p, dir_.string(), cfg, d, d + 5);
      ADD_FAILURE() << c.name << ": accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(e.path(), c.path) << c.name << ": " << e.what();
    }
  }
  // A range without data, and EWMA on its first day (one close: no return yet), say which day.
  EXPECT_THROW(runBacktest(portfolio(0.5), dir_.string(), config(), 1000, 1010), InputError);
  try {
    runBacktest(portfolio(0.5), dir_.string(), config({{"vol_model", {{"ewma", Json::object()}}}}),
                kFirstDay, kFirstDay + 3);
    ADD_FAILURE() << "EWMA on one close accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(date(kFirstDay)), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace xm
