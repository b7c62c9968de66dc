// config.sampling (docs/sampling.md) through the margin engine: the slow reference path, closed
// forms within 4 reported errors, the reported error against the spread across 40 seeds,
// independence of batches, order and threads, Euler and subadditivity, and the gain itself.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "api/json/JsonCodec.h"
#include "host/margin/MarginEngine.h"
#include "tests/EngineSupport.h"
#include "tests/ReferenceRisk.h"
#include "tests/TestSupport.h"

namespace xm {
namespace {

using test::expectIdentical;
using test::smallExchange;

constexpr SamplingMethod kVarianceReduced[] = {SamplingMethod::Antithetic, SamplingMethod::Sobol};

std::string nameOf(SamplingMethod m) { return wireName(m); }

MarginRequest sampled(MarginRequest req, SamplingMethod m) {
  req.config.sampling = m;
  return req;
}

AccountResult runOne(const Json& req) { return computeMargin(parseRequest(req)).accounts.at(0); }

TEST(Sampling, MatchesSlowReferencePath) {
  struct Case {
    SamplingMethod method;
    bool studentT;
  };
  for (const Case c :
       {Case{SamplingMethod::Antithetic, false}, Case{SamplingMethod::Antithetic, true},
        Case{SamplingMethod::Sobol, false}}) {
    const MarginRequest req = sampled(smallExchange(60, 3000, c.studentT), c.method);
    const MarginResponse res = computeMargin(req);
    const test::ReferenceEngine ref(req);
    for (size_t i = 0; i < req.accounts.size(); ++i) {
      SCOPED_TRACE(nameOf(c.method) + (c.studentT ? " student-t" : "") + " account " +
                   std::to_string(i));
      const test::ReferenceRisk r = ref.account(i);
      const AccountResult& a = res.accounts[i];
      const double scale = 1e-9 * std::max(1.0, std::abs(r.es));  // summation-order rounding
      EXPECT_NEAR(a.es, r.es, scale);
      EXPECT_NEAR(a.var, r.var, scale);
      // The engine's antithetic error from the tail's pairs, the reference's from every pair.
      EXPECT_NEAR(a.esStderr, r.esStderr, 1e-7 * std::max(1.0, r.esStderr));
      const size_t np = a.positions.size();
      for (size_t l = 0; l < r.standalone.size(); ++l) {
        const LegResult& leg = l < np ? a.positions[l] : a.collateral[l - np];
        EXPECT_NEAR(leg.standaloneEs, r.standalone[l],
                    1e-9 * std::max(1.0, std::abs(r.standalone[l])));
        EXPECT_NEAR(leg.esContribution, r.contribution[l], scale);
      }
    }
  }
}

// Contract §3's lognormal closed forms (ClosedFormTest.cpp): a = sigma sqrt(h), z = Phi^-1(c).
struct Exact {
  double var, es;
};
Exact linearExact(double notional, bool longPosition, double vol, double horizonDays,
                  double confidence) {
  const double a = vol * std::sqrt(horizonDays / 365.0);
  const double z = test::phiInverse(confidence);
  const double alpha = 1 - confidence;
  if (longPosition) {
    return {notional * (1 - std::exp(-a * z - a * a / 2)),
            notional * (1 - test::phi(-z - a) / alpha)};
  }
  return {notional * (std::exp(a * z - a * a / 2) - 1), notional * (test::phi(a - z) / alpha - 1)};
}

TEST(Sampling, ClosedFormEsWithinFourReportedErrors) {
  struct Case {
    const char* instrument;
    double qty, confidence, horizon;
    int64_t scenarios;
  };
  const Case cases[] = {{"BTC-PERP", 3, 0.99, 1, 200000},  {"BTC-PERP", -3, 0.99, 1, 200000},
                        {"BTC-PERP", 2, 0.975, 10, 50000}, {"BTC-PERP", -2, 0.975, 10, 50000},
                        {"BTC-SPOT", 1.5, 0.99, 2, 10000}, {"BTC-PERP", -1, 0.99, 1, 10000}};
  for (SamplingMethod m : kVarianceReduced) {
    for (const Case& c : cases) {
      Json req = test::baseRequest();
      Json pos = test::position(c.instrument, c.qty, 50000);
      if (std::string(c.instrument) == "BTC-SPOT") pos.erase("entry_price");
      req["accounts"].push_back(test::account("a", Json::array({pos})));
      req["config"]["scenarios"] = c.scenarios;
      req["config"]["confidence"] = c.confidence;
      req["config"]["horizon_days"] = c.horizon;
      req["config"]["sampling"] = nameOf(m);
      const AccountResult r = runOne(req);
      const Exact e =
          linearExact(std::abs(c.qty) * 50000.0, c.qty > 0, 0.8, c.horizon, c.confidence);
      SCOPED_TRACE(nameOf(m) + " " + c.instrument + " qty " + std::to_string(c.qty) + " S " +
                   std::to_string(c.scenarios));
      ASSERT_GT(r.esStderr, 0.0);
      EXPECT_NEAR(r.es, e.es, 4 * r.esStderr);
      EXPECT_NEAR(r.var, e.var, 0.01 * e.var);  // VaR: no error is reported; 1% of it
    }
  }
}

// The standard deviation of ES over 40 seeds against the mean reported es_stderr, within 25%:
// the sample sd of 40 values is itself within about ±22% of the truth at 2 sigma. (Over 400
// seeds the ratio is 1.05-1.08 for antithetic and 1.09-1.11 for sobol on these books: sobol's
// error from 8 replications is a sample sd of 8, which runs low by 3.6% on average.) Plain MC's
// formula is ClosedForm.ReportedErrorMatchesSpreadAcrossSeeds's.
TEST(Sampling, ReportedErrorMatchesSpreadAcrossFortySeeds) {
  const Json books[] = {
      Json::array({test::position("BTC-PERP", 1, 50000)}),
      Json::array({test::position("BTC-C", -10, 2000), test::position("ETH-P", 50, 100),
                   test::position("BTC-PERP", 4, 50000)}),
  };
  for (SamplingMethod m : kVarianceReduced) {
    for (size_t b = 0; b < std::size(books); ++b) {
      const int seeds = 40;
      std::vector<double> es;
      double reported = 0;
      for (int seed = 1; seed <= seeds; ++seed) {
        Json req = test::baseRequest();
        req["accounts"].push_back(test::account("a", books[b]));
        req["config"]["scenarios"] = 8000;
        req["config"]["seed"] = seed;
        req["config"]["sampling"] = nameOf(m);
        const AccountResult r = runOne(req);
        es.push_back(r.es);
        reported += r.esStderr / seeds;
      }
      double mean = 0, ss = 0;
      for (double e : es) mean += e / seeds;
      for (double e : es) ss += (e - mean) * (e - mean);
      const double sd = std::sqrt(ss / (seeds - 1));
      SCOPED_TRACE(nameOf(m) + " book " + std::to_string(b) + ": spread " + std::to_string(sd) +
                   ", mean reported " + std::to_string(reported));
      EXPECT_GT(sd / reported, 0.75);
      EXPECT_LT(sd / reported, 1.25);
    }
  }
}

TEST(Sampling, AccountResultIndependentOfBatchOrderAndThreads) {
  for (SamplingMethod m : kVarianceReduced) {
    const MarginRequest req = sampled(smallExchange(120, 2000), m);
    const MarginResponse whole = computeMargin(req);
    for (int64_t batch : {1, 7, 64}) {
      const MarginResponse again = computeMargin(req, {batch});
      for (size_t i = 0; i < req.accounts.size(); ++i)
        expectIdentical(whole.accounts[i], again.accounts[i],
                        nameOf(m) + " batch " + std::to_string(batch));
    }
    MarginRequest reversed = req;
    std::reverse(reversed.accounts.begin(), reversed.accounts.end());
    const MarginResponse rev = computeMargin(reversed);
    const size_t n = req.accounts.size();
    for (size_t i = 0; i < n; ++i)
      expectIdentical(whole.accounts[i], rev.accounts[n - 1 - i], nameOf(m) + " reversed");
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const MarginResponse serial = computeMargin(req);
    omp_set_num_threads(threads);
    for (size_t i = 0; i < n; ++i)
      expectIdentical(whole.accounts[i], serial.accounts[i], nameOf(m) + " one thread");
  }
}

TEST(Sampling, EsBelowIsolatedAndContributionsSumToEs) {
  for (SamplingMethod m : kVarianceReduced) {
    const MarginResponse res = computeMargin(sampled(smallExchange(300, 4000), m));
    for (size_t i = 0; i < res.accounts.size(); ++i) {
      const AccountResult& a = res.accounts[i];
      SCOPED_TRACE(nameOf(m) + " account " + std::to_string(i));
      double sum = 0;
      for (const auto& l : a.positions) sum += l.esContribution;
      for (const auto& l : a.collateral) sum += l.esContribution;
      EXPECT_NEAR(sum, a.es, 1e-9 * std::max(1.0, std::abs(a.es)));
      EXPECT_LE(a.es, a.isolatedMargin * (1 + 1e-12) + 1e-9);
      EXPECT_LE(a.var, a.es + 1e-9 * std::max(1.0, std::abs(a.es)));
    }
  }
}

// The point of it: on the demo exchange at 10,000 scenarios sobol's median account reports at
// most half plain MC's error (its reports are honest: the test above), and antithetic pairs
// about the same as MC's (they cancel in the mean, not in a 1% tail).
TEST(Sampling, SobolHalvesTheMedianAccountsErrorOnTheDemoExchange) {
  const MarginRequest req = smallExchange(400, 10000);
  const MarginResponse mc = computeMargin(req);
  std::vector<double> sobol, antithetic;
  const MarginResponse s = computeMargin(sampled(req, SamplingMethod::Sobol));
  const MarginResponse a = computeMargin(sampled(req, SamplingMethod::Antithetic));
  for (size_t i = 0; i < req.accounts.size(); ++i) {
    if (mc.accounts[i].esStderr <= 0) continue;
    sobol.push_back(s.accounts[i].esStderr / mc.accounts[i].esStderr);
    antithetic.push_back(a.accounts[i].esStderr / mc.accounts[i].esStderr);
  }
  ASSERT_GT(sobol.size(), 300u);
  auto median = [](std::vector<double> x) {
    std::nth_element(x.begin(), x.begin() + x.size() / 2, x.end());
    return x[x.size() / 2];
  };
  EXPECT_LT(median(sobol), 0.5);
  EXPECT_NEAR(median(antithetic), 1.0, 0.15);
}

}  // namespace
}  // namespace xm
