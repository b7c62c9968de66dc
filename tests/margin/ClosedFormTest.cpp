// VaR and ES of single linear positions against closed forms under the contract's lognormal
// model, and the 1/sqrt(S) decay of the Monte Carlo error.
//
// With a = sigma sqrt(h), z = Phi^-1(confidence), N = |weight| S_0, alpha = 1 - confidence:
//   long:  loss = N (1 - e^{aZ - a^2/2});  VaR = N (1 - e^{-a z - a^2/2});
//          ES = N (1 - Phi(-z - a) / alpha)        [E(e^{aZ}; Z <= c) = e^{a^2/2} Phi(c - a)]
//   short: loss = N (e^{aZ - a^2/2} - 1);  VaR = N (e^{a z - a^2/2} - 1);
//          ES = N (Phi(a - z) / alpha - 1)
#include <gtest/gtest.h>

#include <cmath>

#include "api/json/JsonCodec.h"
#include "host/margin/MarginEngine.h"
#include "tests/TestSupport.h"

namespace xm {
namespace {

using test::phi;

struct Exact {
  double var, es;
};

Exact linearExact(double notional, bool longPosition, double vol, double horizonDays,
                  double confidence) {
  const double a = vol * std::sqrt(horizonDays / 365.0);
  const double z = test::phiInverse(confidence);
  const double alpha = 1 - confidence;
  if (longPosition) {
    return {notional * (1 - std::exp(-a * z - a * a / 2)), notional * (1 - phi(-z - a) / alpha)};
  }
  return {notional * (std::exp(a * z - a * a / 2) - 1), notional * (phi(a - z) / alpha - 1)};
}

AccountResult runOne(Json req) {
  const MarginResponse r = computeMargin(parseRequest(req));
  return r.accounts.at(0);
}

struct Case {
  const char* instrument;
  double qty, entry, confidence, horizon;
  double notional;  // |weight| * S_0
};

TEST(ClosedForm, SingleLinearPositionsMatchLognormalVaRAndEs) {
  const Case cases[] = {
      {"BTC-PERP", 3, 49000, 0.99, 1, 3 * 50000.0},
      {"BTC-PERP", -3, 49000, 0.99, 1, 3 * 50000.0},
      {"BTC-PERP", 2, 50000, 0.975, 10, 2 * 50000.0},
      {"BTC-PERP", -2, 50000, 0.975, 10, 2 * 50000.0},
      // inverse: weight qty * 100 / entry, so notional = |qty| * 100 * S_0 / entry
      {"BTC-INV", 500, 40000, 0.99, 1, 500 * 100 * 50000.0 / 40000},
      {"BTC-INV", -500, 40000, 0.99, 1, 500 * 100 * 50000.0 / 40000},
      {"BTC-SPOT", 1.5, 0, 0.99, 2, 1.5 * 50000.0},
  };
  for (const Case& c : cases) {
    Json req = test::baseRequest();
    Json pos = test::position(c.instrument, c.qty, c.entry);
    if (std::string(c.instrument) == "BTC-SPOT") pos.erase("entry_price");
    req["accounts"].push_back(test::account("a", Json::array({pos})));
    req["config"]["scenarios"] = 200000;
    req["config"]["confidence"] = c.confidence;
    req["config"]["horizon_days"] = c.horizon;
    const AccountResult r = runOne(req);
    const Exact e = linearExact(c.notional, c.qty > 0, 0.8, c.horizon, c.confidence);
    SCOPED_TRACE(std::string(c.instrument) + " qty " + std::to_string(c.qty) + " conf " +
                 std::to_string(c.confidence) + " horizon " + std::to_string(c.horizon));
    ASSERT_GT(r.esStderr, 0.0);
    // 4 reported standard errors; VaR's own standard error is below ES's for these tails.
    EXPECT_NEAR(r.es, e.es, 4 * r.esStderr);
    EXPECT_NEAR(r.var, e.var, 4 * r.esStderr);
    // And the error is small in absolute terms: under 1% of ES at 200,000 scenarios.
    EXPECT_LT(r.esStderr, 0.01 * e.es);
  }
}

TEST(ClosedForm, EsErrorShrinksLikeOneOverRootS) {
  // An option book (non-linear, vol shocks): the reported error at 4S is half that at S. The
  // estimate of the error is itself noisy (k = 160 tail scenarios at the smallest S).
  std::vector<double> errs;
  for (int s : {16000, 64000, 256000}) {
    Json req = test::baseRequest();
    req["accounts"].push_back(test::account(
        "a", Json::array({test::position("BTC-C", -10, 2000), test::position("ETH-P", 50, 100),
                          test::position("BTC-PERP", 4, 50000)})));
    req["config"]["scenarios"] = s;
    errs.push_back(runOne(req).esStderr);
  }
  EXPECT_NEAR(errs[0] / errs[1], 2.0, 0.3);
  EXPECT_NEAR(errs[1] / errs[2], 2.0, 0.3);
}

TEST(ClosedForm, ReportedErrorMatchesSpreadAcrossSeeds) {
  // The standard deviation of ES over independent seeds agrees with the reported es_stderr.
  const int seeds = 40;
  double sum = 0, sum2 = 0, reported = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    Json req = test::baseRequest();
    req["accounts"].push_back(
        test::account("a", Json::array({test::position("BTC-PERP", 1, 50000)})));
    req["config"]["scenarios"] = 5000;
    req["config"]["seed"] = seed;
    const AccountResult r = runOne(req);
    sum += r.es;
    sum2 += r.es * r.es;
    reported += r.esStderr / seeds;
  }
  const double sd = std::sqrt((sum2 - sum * sum / seeds) / (seeds - 1));
  // With 40 seeds the sample sd is within about +-25% of the truth (2 sigma of its own error).
  EXPECT_GT(sd / reported, 0.7);
  EXPECT_LT(sd / reported, 1.4);
}

}  // namespace
}  // namespace xm
