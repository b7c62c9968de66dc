// The clearing simulation by hand: BitMEX's deleveraging queue, Bybit's inverse bankruptcy price,
// Deribit's socialized loss, a crash that liquidates one account of a two- and a three-account
// exchange (its deficit, the fund's draw, who is deleveraged or charged and by how much), money
// conserved, and results independent of account order and thread count.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "api/json/ClearingJson.h"
#include "api/json/JsonCodec.h"
#include "host/clearing/Clearing.h"
#include "host/engine/Instruments.h"
#include "host/engine/Marking.h"
#include "host/market/PriceFiles.h"
#include "host/model/Time.h"
#include "host/synthetic/SyntheticExchange.h"

namespace xm {
namespace {

TEST(Adl, BitmexQueueExample) {
  // Six longs ranked 3, 6, 1, 4, 5, 2 (higher is deleveraged first), sizes 10, 10, 20, 30, 20, 10;
  // a short of 20 is liquidated: account 2 is closed fully, account 5 reduced by 10.
  const std::vector<AdlCandidate> longs = {{3, 10}, {6, 10}, {1, 20}, {4, 30}, {5, 20}, {2, 10}};
  const std::vector<double> fills = adlFills(longs, 20);
  EXPECT_EQ(fills, (std::vector<double>{0, 10, 0, 0, 10, 0}));
  // More than everyone holds: everyone is closed, the rest is left.
  const std::vector<double> all = adlFills(longs, 1000);
  EXPECT_EQ(all, (std::vector<double>{10, 10, 20, 30, 20, 10}));
}

TEST(Adl, ScoreRanksProfitByLeverageAndLossesBelow) {
  EXPECT_DOUBLE_EQ(adlScore(0.5, 4.0), 2.0);      // PnL% × leverage
  EXPECT_DOUBLE_EQ(adlScore(-0.5, 4.0), -0.125);  // a losing position: PnL% / leverage
  EXPECT_GT(adlScore(0.1, 10.0), adlScore(0.5, 1.0));
  EXPECT_GT(adlScore(0.0, 5.0), adlScore(-0.01, 5.0));
}

TEST(Socialized, ProRataToProfitCappedByIt) {
  const std::vector<double> c = socializeLoss({100, -50, 300, 0}, 200);
  EXPECT_DOUBLE_EQ(c[0], 50);
  EXPECT_DOUBLE_EQ(c[1], 0);
  EXPECT_DOUBLE_EQ(c[2], 150);
  EXPECT_DOUBLE_EQ(c[3], 0);
  const std::vector<double> capped = socializeLoss({100, 300}, 1000);  // capped by the profits
  EXPECT_DOUBLE_EQ(capped[0], 100);
  EXPECT_DOUBLE_EQ(capped[1], 300);
}

MarginRequest twoAssetExchange() {
  MarginRequest r;
  r.market.asOfText = "2026-01-01T00:00:00Z";
  r.market.asOf = 1767225600.0;
  r.market.assets = {{"USD", 1.0, 0.0, 0.0, 0.0}, {"BTC", 50000.0, 0.8, 0.0, 0.0}};
  r.market.assets[1].dailyVolume = 1e10;
  r.market.correlation = Eigen::MatrixXd::Identity(2, 2);
  r.instruments = {{"BTC-PERP", InstrumentType::Perpetual, 1, 1.0, 0, {}, 0, 0},
                   {"BTCUSD", InstrumentType::InversePerpetual, 1, 1.0, 0, {}, 0, 0}};
  r.config.scenarios = 2000;
  return r;
}

TEST(Bankruptcy, BybitInverseLongBackedByCoin) {
  // A long of 5,000 BTCUSD inverse contracts (1 USD face each) at 7,890.08, with 1/50 of the face
  // in BTC as collateral: Bybit's bankruptcy price entry · lev / (lev + 1) = 7,735.37.
  MarginRequest r = twoAssetExchange();
  const double entry = 7890.08;
  Account a{"bybit", {{1, 5000.0 / 50 / entry}}, {{1, 5000.0, entry}}};
  r.accounts = {a};
  const std::vector<double> prices = {1.0, entry};
  const std::vector<double> ivs = {0.0, 0.0};
  const double b = bankruptcyPrice(r, a, 0.0, prices, ivs, 0.0, 1);
  EXPECT_NEAR(b, entry * 50 / 51, 1e-6);
  EXPECT_NEAR(b, 7735.37, 0.005);
  // A linear long with USD collateral: entry - collateral / size.
  Account perp{"perp", {{0, 1000.0}}, {{0, 0.5, 50000.0}}};
  EXPECT_NEAR(bankruptcyPrice(r, perp, 0.0, {1.0, 50000.0}, ivs, 0.0, 1), 48000.0, 1e-6);
  // An account whose equity does not depend on the asset has none.
  Account cash{"cash", {{0, 1000.0}}, {}};
  EXPECT_TRUE(std::isnan(bankruptcyPrice(r, cash, 0.0, {1.0, 50000.0}, ivs, 0.0, 1)));
}

// A crash of `drop` in one step, no impact and no fee: the long's deficit and where it goes.
struct Crash {
  MarginRequest request;
  ClearingConfig config;
};

Crash twoAccountCrash(LossAllocation allocation, double fund) {
  Crash c;
  MarginRequest& r = c.request;
  r = twoAssetExchange();
  // The long: 1 BTC perp at 50,000 with 5,000 USD. The short: 1 BTC perp short at 50,000 with
  // 100,000 USD (deep in the money after a crash).
  r.accounts = {{"long", {{0, 5000.0}}, {{0, 1.0, 50000.0}}},
                {"short", {{0, 100000.0}}, {{0, -1.0, 50000.0}}}};
  c.config.paths = 0;
  c.config.insuranceFund = fund;
  c.config.lossAllocation = allocation;
  c.config.feeRate = 0.0;
  c.config.impactCoefficient = 0.0;
  c.config.stressPaths = {{"crash", {{}, {-0.3}}, 1}};
  return c;
}

TEST(Waterfall, CrashLiquidatesTheLongAndTheFundPaysFirst) {
  // BTC 50,000 -> 35,000: the long's equity 5,000 - 15,000 = -10,000, a deficit of 10,000.
  Crash c = twoAccountCrash(LossAllocation::Adl, 4000.0);
  const ClearingResult res = simulateClearing(c.request, c.config);
  ASSERT_EQ(res.named.size(), 1u);
  const PathOutcome& o = res.named[0].outcome;
  ASSERT_EQ(o.liquidations.size(), 1u);
  const Liquidation& l = o.liquidations[0];
  EXPECT_EQ(l.account, 0);
  EXPECT_EQ(l.step, 1);
  EXPECT_NEAR(l.equityBefore, -10000.0, 1e-6);
  EXPECT_NEAR(l.deficit, 10000.0, 1e-6);
  EXPECT_NEAR(l.bankruptcyPrice[0], 45000.0, 1e-6);  // entry - collateral / size
  EXPECT_NEAR(l.closePrice[0], 35000.0, 1e-6);
  EXPECT_NEAR(o.fundDraw, 4000.0, 1e-6);  // the fund pays what it has
  EXPECT_NEAR(o.fundEnd, 0.0, 1e-6);
  // ADL: the short gives up (bankruptcy - close) per contract for 6,000 / 10,000 of a contract.
  EXPECT_NEAR(o.adl, 6000.0, 1e-6);
  EXPECT_NEAR(o.deleveragedQty[1], 0.6, 1e-9);
  EXPECT_NEAR(o.adlLoss[1], 6000.0, 1e-6);
  EXPECT_NEAR(o.uncovered, 0.0, 1e-9);
  EXPECT_NEAR(o.deficits, o.fundDraw + o.adl + o.socialized + o.uncovered, 0.005);
}

TEST(Waterfall, SocializedChargesTheProfitableAccount) {
  Crash c = twoAccountCrash(LossAllocation::Socialized, 4000.0);
  const ClearingResult oRun = simulateClearing(c.request, c.config);
  const PathOutcome& o = oRun.named[0].outcome;
  // The short made 15,000: it is charged the 6,000 the fund could not pay.
  EXPECT_NEAR(o.socializedCharge[1], 6000.0, 1e-6);
  EXPECT_NEAR(o.socialized, 6000.0, 1e-6);
  EXPECT_NEAR(o.adl, 0.0, 1e-12);
  EXPECT_NEAR(o.deficits, o.fundDraw + o.adl + o.socialized + o.uncovered, 0.005);
}

TEST(Waterfall, NoneLeavesTheShortfallUncovered) {
  Crash c = twoAccountCrash(LossAllocation::None, 4000.0);
  const ClearingResult oRun = simulateClearing(c.request, c.config);
  const PathOutcome& o = oRun.named[0].outcome;
  EXPECT_NEAR(o.uncovered, 6000.0, 1e-6);
  EXPECT_NEAR(o.deficits, o.fundDraw + o.uncovered, 0.005);
}

TEST(Waterfall, ThreeAccountsTheHighestRankIsDeleveragedFirst) {
  // Two shorts: "lev" with little collateral (high leverage), "calm" with a lot; the same P&L%,
  // so "lev" ranks first and takes the whole ADL.
  Crash c = twoAccountCrash(LossAllocation::Adl, 0.0);
  c.request.accounts = {{"long", {{0, 5000.0}}, {{0, 1.0, 50000.0}}},
                        {"calm", {{0, 1e6}}, {{0, -1.0, 50000.0}}},
                        {"lev", {{0, 10000.0}}, {{0, -1.0, 50000.0}}}};
  const ClearingResult oRun = simulateClearing(c.request, c.config);
  const PathOutcome& o = oRun.named[0].outcome;
  EXPECT_NEAR(o.deficits, 10000.0, 1e-6);
  EXPECT_NEAR(o.fundDraw, 0.0, 1e-12);
  EXPECT_NEAR(o.deleveragedQty[2], 1.0, 1e-9);  // the whole bankrupt contract
  EXPECT_NEAR(o.deleveragedQty[1], 0.0, 1e-12);
  EXPECT_NEAR(o.adl, 10000.0, 1e-6);
}

TEST(Waterfall, ImpactAndFeesFeedTheFund) {
  // A long that is still solvent when liquidated: the fee and (BitMEX) its surplus go to the fund;
  // with the impact it closes below the market price.
  Crash c = twoAccountCrash(LossAllocation::Adl, 0.0);
  c.request.accounts[0].collateral[0].amount = 16000.0;  // equity 1,000 after the crash
  c.request.config.mmRatio = 0.5;
  c.config.feeRate = 0.01;
  c.config.impactCoefficient = 0.0;
  const ClearingResult oRun = simulateClearing(c.request, c.config);
  const PathOutcome& o = oRun.named[0].outcome;
  ASSERT_EQ(o.liquidations.size(), 1u);
  const Liquidation& l = o.liquidations[0];
  EXPECT_NEAR(l.fee, 350.0, 1e-6);  // 1% of 35,000 notional
  EXPECT_NEAR(l.surplusToFund, 650.0, 1e-6);
  EXPECT_NEAR(o.fundEnd, 1000.0, 1e-6);
  EXPECT_EQ(l.deficit, 0.0);
  // With impact, the close is worse than the market by Y σ_step sqrt(Q / ADV).
  c.config.impactCoefficient = 1.0;
  const ClearingResult wRun = simulateClearing(c.request, c.config);
  const PathOutcome& w = wRun.named[0].outcome;
  const double q = 35000.0;  // the long's delta notional at the crash price
  const double impact = 0.8 * std::sqrt(1.0 / 24 / 365) * std::sqrt(q / 1e10);
  EXPECT_NEAR(w.liquidations[0].closePrice[0], 35000.0 * (1 - impact), 1e-6);
  EXPECT_NEAR(w.liquidations[0].impactCost, 35000.0 * impact, 1e-6);
}

TEST(Simulation, MoneyIsConservedAndOrderAndThreadsDoNotMatter) {
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = 300;
  MarginRequest r = makeSyntheticExchange(spec);
  r.config.scenarios = 2000;
  for (Asset& a : r.market.assets)
    if (a.risky()) a.dailyVolume = 1e8;
  ClearingConfig c;
  c.paths = 64;
  c.steps = 6;
  c.insuranceFund = 2e5;
  c.stressPaths = {
      {"crash", std::vector<std::vector<double>>(r.market.assets.size(), {-0.25, -0.1}), 2}};
  const ClearingResult base = simulateClearing(r, c);
  const PathOutcome& crash = base.named[0].outcome;
  EXPECT_GT(crash.liquidations.size(), 10u);
  EXPECT_GT(crash.deficits, 0.0);
  EXPECT_NEAR(crash.deficits, crash.fundDraw + crash.adl + crash.socialized + crash.uncovered,
              0.005);
  // Reversed accounts: every per-account figure follows its account.
  MarginRequest reversed = r;
  std::reverse(reversed.accounts.begin(), reversed.accounts.end());
  const ClearingResult rev = simulateClearing(reversed, c);
  const size_t n = r.accounts.size();
  const PathOutcome& rc = rev.named[0].outcome;
  EXPECT_NEAR(rc.deficits, crash.deficits, 1e-6 * crash.deficits);
  EXPECT_NEAR(rc.fundEnd, crash.fundEnd, 1e-6 * std::max(1.0, crash.fundEnd));
  for (size_t i = 0; i < n; ++i) {
    EXPECT_NEAR(rc.deficit[n - 1 - i], crash.deficit[i], 1e-6 * std::max(1.0, crash.deficit[i]));
    EXPECT_NEAR(rev.monteCarlo.probLiquidated[n - 1 - i], base.monteCarlo.probLiquidated[i], 1e-12);
  }
  // One thread and two: bitwise the same.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const ClearingResult one = simulateClearing(r, c);
  omp_set_num_threads(2);
  const ClearingResult two = simulateClearing(r, c);
  omp_set_num_threads(threads);
  EXPECT_EQ(one.monteCarlo.fundEnd.mean, two.monteCarlo.fundEnd.mean);
  EXPECT_EQ(one.monteCarlo.probLiquidated, two.monteCarlo.probLiquidated);
  EXPECT_EQ(one.named[0].outcome.deficit, two.named[0].outcome.deficit);
}

// The device's flow on the CPU: a marker that revalues and marks every state at once and hands the
// unit values and equities back through arrays (as the CUDA marker does) gives the figures of the
// CPU's in-place marking, bit for bit.
class ArrayMarker final : public AccountMarker {
 public:
  explicit ArrayMarker(const MarkingBook& book) : cpu_(makeCpuMarker(book)) {}
  void mark(int states, const double* prices, const double* ivMult, const double* elapsed,
            double* units, double* equity) override {
    ++calls;
    cpu_->mark(states, prices, ivMult, elapsed, units, equity);
  }
  static inline int calls = 0;

 private:
  std::unique_ptr<AccountMarker> cpu_;
};

TEST(Simulation, MarkingThroughAnArrayIsBitwiseTheInPlaceMarking) {
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = 400;
  MarginRequest r = makeSyntheticExchange(spec);
  r.config.scenarios = 2000;
  ClearingConfig c;
  c.paths = 70;  // two chunks
  c.steps = 5;
  c.insuranceFund = 1e5;
  c.circuitBreaker = true;
  c.breakerMove = 0.1;
  c.stressPaths = {
      {"crash", std::vector<std::vector<double>>(r.market.assets.size(), {-0.2, -0.15}), 2},
      {"one", std::vector<std::vector<double>>(r.market.assets.size(), {-0.3}), 1}};
  const ClearingResult inPlace = simulateClearing(r, c);
  ArrayMarker::calls = 0;
  const ClearingResult viaArray = simulateClearing(
      r, c, {}, [](const MarkingBook& b) { return std::make_unique<ArrayMarker>(b); });
  EXPECT_GT(ArrayMarker::calls, 0);
  EXPECT_EQ(inPlace.monteCarlo.fundEnd.mean, viaArray.monteCarlo.fundEnd.mean);
  EXPECT_EQ(inPlace.monteCarlo.probLiquidated, viaArray.monteCarlo.probLiquidated);
  EXPECT_EQ(inPlace.monteCarlo.expectedDeficit, viaArray.monteCarlo.expectedDeficit);
  ASSERT_EQ(inPlace.named.size(), viaArray.named.size());
  for (size_t i = 0; i < inPlace.named.size(); ++i) {
    EXPECT_EQ(inPlace.named[i].outcome.deficit, viaArray.named[i].outcome.deficit);
    EXPECT_EQ(inPlace.named[i].outcome.liquidations.size(),
              viaArray.named[i].outcome.liquidations.size());
    EXPECT_EQ(inPlace.named[i].outcome.fundEnd, viaArray.named[i].outcome.fundEnd);
  }
  EXPECT_GT(inPlace.named[0].outcome.liquidations.size(), 0u);
}

TEST(Simulation, ReplayHasNoLookAheadAndNeedsItsDays) {
  MarginRequest r = twoAssetExchange();
  r.accounts = {{"long", {{0, 5000.0}}, {{0, 1.0, 50000.0}}}};
  std::vector<DailyClose> closes;
  for (int d = 0; d < 10; ++d) closes.push_back({20000 + d, 50000.0 * (1.0 - 0.03 * d), -1, -1});
  r.market.history[1] = closes;
  ClearingConfig c;
  c.paths = 0;
  c.impactCoefficient = 0.0;
  c.replay = true;
  c.replayFrom = 20000;
  c.replayTo = 20005;
  const PathOutcome full = simulateClearing(r, c).named.at(0).outcome;
  // Ending the replay earlier changes nothing of the steps it keeps: the long (MM ~ its ES / 2)
  // is liquidated on the same day either way.
  c.replayTo = 20003;
  const PathOutcome shorter = simulateClearing(r, c).named.at(0).outcome;
  ASSERT_FALSE(full.liquidations.empty());
  ASSERT_FALSE(shorter.liquidations.empty());
  EXPECT_EQ(full.liquidations[0].step, shorter.liquidations[0].step);
  EXPECT_EQ(full.liquidations[0].closePrice, shorter.liquidations[0].closePrice);
  c.replayTo = 20020;  // past the history
  try {
    simulateClearing(r, c);
    ADD_FAILURE() << "a replay past the history was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/clearing/replay");
  }
}

// docs/clearing.md's replays on the demo exchange: the figures it quotes, and money conserved.
TEST(Simulation, DemoExchangeThroughFtxWeekAndMarch2020AsDocumented) {
  const MarginRequest demo = makeSyntheticExchange(exchangePreset("demo"));
  MarginRequest r = demo;
  ASSERT_GT(loadPriceFiles(std::string(XM_SOURCE_DIR) + "/data/prices", r.market), 0);
  ClearingConfig c;
  c.paths = 0;
  c.insuranceFund = 1.63e7;
  c.circuitBreaker = true;
  c.breakerMove = 0.15;
  c.replay = true;
  struct Expected {
    const char* from;
    const char* to;
    size_t liquidations;
    double deficits, adl;
  };
  for (const Expected& e : {Expected{"2022-11-07", "2022-11-11", 312, 38.28e6, 20.55e6},
                            Expected{"2020-03-11", "2020-03-13", 454, 79.09e6, 61.29e6}}) {
    SCOPED_TRACE(e.from);
    c.replayFrom = *parseDate(e.from);
    c.replayTo = *parseDate(e.to);
    const ClearingResult res = simulateClearing(r, c);
    const PathOutcome& o = res.named.at(0).outcome;
    EXPECT_EQ(o.liquidations.size(), e.liquidations);
    EXPECT_NEAR(o.deficits, e.deficits, 0.005e6);
    EXPECT_NEAR(o.adl, e.adl, 0.005e6);
    EXPECT_NEAR(o.fundEnd, 0.0, 1e-6);  // both weeks exhaust the fund
    EXPECT_NEAR(o.deficits, o.fundDraw + o.adl + o.socialized + o.uncovered, 0.005);
    EXPECT_GT(o.breakerFirings, 0);
    ASSERT_EQ(res.namedWithoutBreaker.size(), 1u);
  }
}

TEST(SimulateJson, StrictFieldsWithPointers) {
  Json body = requestToJson(twoAccountCrash(LossAllocation::Adl, 0).request);
  body["clearing"] = {{"paths", 10}, {"steps", 2}, {"loss_allocation", "adl"}};
  EXPECT_EQ(parseSimulateRequest(body).clearing.paths, 10);
  auto pathOf = [&](Json b) {
    try {
      parseSimulateRequest(b);
    } catch (const InputError& e) {
      return e.path();
    }
    return std::string("accepted");
  };
  Json bad = body;
  bad["clearing"]["loss_allocation"] = "bail-in";
  EXPECT_EQ(pathOf(bad), "/clearing/loss_allocation");
  bad = body;
  bad["clearing"]["stress_paths"] = {{{"name", "x"}, {"returns", {{"DOGE", {-0.1}}}}}};
  EXPECT_EQ(pathOf(bad), "/clearing/stress_paths/0/returns/DOGE");
  bad = body;
  bad["clearing"]["stress_paths"] = {{{"name", "x"}, {"returns", {{"BTC", {-1.5}}}}}};
  EXPECT_EQ(pathOf(bad), "/clearing/stress_paths/0/returns/BTC/0");
  bad = body;
  bad["clearing"]["circuit_breaker"] = {{"move", 0.1}, {"halt", 2}};
  EXPECT_EQ(pathOf(bad), "/clearing/circuit_breaker/halt");
  bad = body;
  bad["clearing"]["replay"] = {{"from", "2022-11-11"}, {"to", "2022-11-07"}};
  EXPECT_EQ(pathOf(bad), "/clearing/replay/to");
  bad = body;
  bad.erase("clearing");
  EXPECT_EQ(pathOf(bad), "/clearing");
  bad = body;
  bad["clearing"]["paths"] = 1000000;
  bad["clearing"]["steps"] = 1000;
  EXPECT_EQ(pathOf(bad), "/clearing/paths");
}

}  // namespace
}  // namespace xm
