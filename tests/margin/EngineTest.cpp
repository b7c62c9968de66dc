// Properties of the engine's figures and agreement with the slow reference path.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "api/json/JsonCodec.h"
#include "host/margin/MarginEngine.h"
#include "host/model/Time.h"
#include "host/synthetic/SyntheticExchange.h"
#include "tests/EngineSupport.h"
#include "tests/ReferenceRisk.h"
#include "tests/TestSupport.h"

namespace xm {
namespace {

using test::expectIdentical;
using test::smallExchange;

TEST(Engine, MatchesSlowReferencePath) {
  for (bool studentT : {false, true}) {
    const MarginRequest req = smallExchange(60, 3000, studentT);
    const MarginResponse res = computeMargin(req);
    const test::ReferenceEngine ref(req);
    for (size_t i = 0; i < req.accounts.size(); ++i) {
      SCOPED_TRACE("account " + std::to_string(i) + (studentT ? " student-t" : " normal"));
      const test::ReferenceRisk r = ref.account(i);
      const AccountResult& a = res.accounts[i];
      const double scale = 1e-9 * std::max(1.0, std::abs(r.es));  // summation-order rounding
      EXPECT_NEAR(a.es, r.es, scale);
      EXPECT_NEAR(a.var, r.var, scale);
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

TEST(Engine, EsBelowIsolatedAndContributionsSumToEs) {
  const MarginRequest req = smallExchange(500, 4000);
  const MarginResponse res = computeMargin(req);
  int diversified = 0;
  for (const AccountResult& a : res.accounts) {
    double sum = 0, standalone = 0;
    for (const auto& l : a.positions)
      sum += l.esContribution, standalone += std::max(0.0, l.standaloneEs);
    for (const auto& l : a.collateral)
      sum += l.esContribution, standalone += std::max(0.0, l.standaloneEs);
    EXPECT_NEAR(sum, a.es, 1e-9 * std::max(1.0, std::abs(a.es)));
    EXPECT_NEAR(standalone, a.isolatedMargin, 1e-9 * std::max(1.0, standalone));
    // Subadditivity of empirical ES on one scenario set (up to rounding of the two sums).
    EXPECT_LE(a.es, a.isolatedMargin * (1 + 1e-12) + 1e-9);
    EXPECT_LE(a.var, a.es + 1e-9 * std::max(1.0, std::abs(a.es)));
    EXPECT_GE(a.diversificationBenefit, -1e-12);
    EXPECT_LE(a.diversificationBenefit, 1.0);
    diversified += a.diversificationBenefit > 0.05;
  }
  EXPECT_GT(diversified, 100);  // the book has real hedges: the test is not vacuous
}

TEST(Engine, AccountResultIndependentOfBatchOrderAndRun) {
  const MarginRequest req = smallExchange(120, 2000);
  const MarginResponse whole = computeMargin(req);
  // Repeated run, and other batch splits.
  for (int64_t batch : {0, 1, 7, 64}) {
    const MarginResponse again = computeMargin(req, {batch});
    for (size_t i = 0; i < req.accounts.size(); ++i)
      expectIdentical(whole.accounts[i], again.accounts[i], "batch " + std::to_string(batch));
  }
  // Reversed order.
  MarginRequest reversed = req;
  std::reverse(reversed.accounts.begin(), reversed.accounts.end());
  const MarginResponse rev = computeMargin(reversed);
  const size_t n = req.accounts.size();
  for (size_t i = 0; i < n; ++i)
    expectIdentical(whole.accounts[i], rev.accounts[n - 1 - i], "reversed");
  // Each account alone.
  for (size_t i = 0; i < n; i += 17) {
    MarginRequest alone = req;
    alone.accounts = {req.accounts[i]};
    expectIdentical(whole.accounts[i], computeMargin(alone).accounts[0],
                    "alone " + std::to_string(i));
  }
}

TEST(Engine, RisklessAccountsHaveZeroRisk) {
  Json req = test::baseRequest();
  req["accounts"].push_back(
      test::account("cash", Json::array(), Json::array({{{"asset", "USD"}, {"amount", 1e6}}})));
  req["accounts"].push_back(test::account("empty", Json::array()));
  // Equal and opposite positions: riskless book, although each leg alone is risky.
  req["accounts"].push_back(test::account(
      "flat",
      Json::array({test::position("BTC-PERP", 2, 50000), test::position("BTC-PERP", -2, 50000)})));
  const MarginResponse res = computeMargin(parseRequest(req));
  for (const AccountResult& a : res.accounts) {
    EXPECT_EQ(a.es, 0.0);
    EXPECT_EQ(a.var, 0.0);
    EXPECT_EQ(a.initialMargin, 0.0);
    EXPECT_EQ(a.status, MarginStatus::Ok);
  }
  EXPECT_EQ(res.accounts[0].equity, 1e6);
  EXPECT_GT(res.accounts[2].isolatedMargin, 0.0);
  EXPECT_EQ(res.accounts[2].diversificationBenefit, 1.0);
}

TEST(Engine, MarginAndStatusFollowTheContract) {
  Json req = test::baseRequest();
  // One BTC perp long at 50,000 with different collateral: ES ~ 0.104 x 50,000.
  for (double usd : {20000.0, 4000.0, 100.0}) {
    req["accounts"].push_back(test::account("usd" + std::to_string(static_cast<int>(usd)),
                                            Json::array({test::position("BTC-PERP", 1, 50000)}),
                                            Json::array({{{"asset", "USD"}, {"amount", usd}}})));
  }
  req["config"]["im_multiplier"] = 1.5;
  req["config"]["mm_ratio"] = 0.4;
  const MarginResponse res = computeMargin(parseRequest(req));
  for (const AccountResult& a : res.accounts) {
    EXPECT_DOUBLE_EQ(a.initialMargin, 1.5 * a.es);
    EXPECT_DOUBLE_EQ(a.maintenanceMargin, 0.4 * a.initialMargin);
    EXPECT_DOUBLE_EQ(a.excess, a.equity - a.initialMargin);
  }
  const double im = res.accounts[0].initialMargin;
  ASSERT_GT(im, 4000 / 0.4 * 0.4);  // sanity: IM is between the 2nd and 1st collateral levels
  EXPECT_EQ(res.accounts[0].status, MarginStatus::Ok);
  EXPECT_EQ(res.accounts[1].status,
            im * 0.4 <= 4000 ? MarginStatus::MarginCall : MarginStatus::Liquidate);
  EXPECT_EQ(res.accounts[2].status, MarginStatus::Liquidate);
  EXPECT_EQ(res.totals.accounts, 3);
  EXPECT_EQ(res.totals.ok + res.totals.marginCall + res.totals.liquidate, 3);

  // measure "var": initial margin on VaR.
  req["config"]["measure"] = "var";
  const MarginResponse v = computeMargin(parseRequest(req));
  EXPECT_DOUBLE_EQ(v.accounts[0].initialMargin, 1.5 * v.accounts[0].var);
}

TEST(Engine, ValuesAndEquityFollowTheContract) {
  Json req = test::baseRequest();
  req["accounts"].push_back(test::account(
      "a",
      Json::array({test::position("BTC-PERP", 2, 48000), test::position("BTC-INV", -1000, 40000),
                   test::position("BTC-C", 3, 1500)}),
      Json::array({{{"asset", "BTC"}, {"amount", 0.5}}, {{"asset", "USD"}, {"amount", 1000}}})));
  const MarginRequest parsed = parseRequest(req);
  const AccountResult a = computeMargin(parsed).accounts[0];
  EXPECT_DOUBLE_EQ(a.positions[0].value, 2 * (50000.0 - 48000));
  EXPECT_DOUBLE_EQ(a.positions[1].value, -1000 * 100 * (50000.0 / 40000 - 1));
  const double t = (parseRfc3339("2026-02-27T08:00:00Z").value() -
                    parseRfc3339("2026-01-01T00:00:00Z").value()) /
                   kSecondsPerYear;
  const double c = blackScholes(true, 50000, 55000, t, 0.75, 0.0);
  EXPECT_NEAR(a.positions[2].value, 3 * c, 1e-9);
  EXPECT_DOUBLE_EQ(a.collateral[0].value, 25000.0);
  EXPECT_NEAR(a.equity, 4000 - 25000 + 3 * (c - 1500) + 25000 + 1000, 1e-8);
}

}  // namespace
}  // namespace xm
