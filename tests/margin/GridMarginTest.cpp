// The stress grid (contract §11): grid points by hand for a call and a perpetual, the worst-point
// selection, SPAN's extreme moves, the sum and the correlation credit across underlyings, the
// contingencies, compare equal to separate runs, snapshots, and strict parsing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "api/json/RequestWriter.h"
#include "host/engine/Pricing.h"
#include "host/margin/MarginEngine.h"
#include "tests/TestSupport.h"

namespace xm {
namespace {

using test::account;
using test::position;

// ETH-C expires 59 days 8 hours after as_of.
constexpr double kYears = (59.0 + 8.0 / 24.0) / 365.0;

Json market() {
  return Json::parse(R"({
    "market": {"as_of": "2026-01-01T00:00:00Z", "rate": 0.0,
      "assets": [{"id": "USD", "price": 1.0}, {"id": "ETH", "price": 3000.0, "vol": 0.9},
                 {"id": "BTC", "price": 90000.0, "vol": 0.6}],
      "correlations": [{"a": "ETH", "b": "BTC", "rho": 0.8}]},
    "instruments": [
      {"id": "ETH-PERP", "type": "perpetual", "underlying": "ETH", "contract_size": 1},
      {"id": "BTC-PERP", "type": "perpetual", "underlying": "BTC", "contract_size": 1},
      {"id": "ETH-C", "type": "option", "underlying": "ETH", "right": "call", "strike": 3300,
       "expiry": "2026-03-01T08:00:00Z", "iv": 0.8, "contract_size": 1}],
    "accounts": [],
    "config": {"scenarios": 2000, "seed": 3, "method": "grid",
      "grid": {"*": {"range": 0.1, "points": 3, "short_option_minimum": 0,
                     "net_notional_minimum": 0,
                     "vol_shift": {"mode": "relative", "up": 0.2, "down": 0.3,
                                   "scale_by_expiry": true}}}}
  })");
}

Json usd(double amount) { return Json::array({{{"asset", "USD"}, {"amount", amount}}}); }

MarginResponse run(const Json& r) { return computeMargin(parseRequest(r)); }

const double kScale = std::sqrt(30.0 / (kYears * 365.0));
const double kValueNow = blackScholes(true, 3000, 3300, kYears, 0.8, 0.0);
// The call's P&L per unit at grid point (move, vol state -1/0/+1), relative shifts +20% / -30%.
double callPnl(double move, int vol) {
  const double shift = vol > 0 ? 0.2 : vol < 0 ? -0.3 : 0.0;
  return blackScholes(true, 3000 * (1 + move), 3300, kYears, 0.8 * (1 + shift * kScale), 0.0) -
         kValueNow;
}

TEST(GridMargin, GridPointsByHandForACallAndAPerpetual) {
  Json r = market();
  r["accounts"] = {account("short-call", {position("ETH-C", -1, kValueNow)}, usd(1e5)),
                   account("short-perp", {position("ETH-PERP", -2, 3000)}, usd(1e5))};
  const MarginResponse m = run(r);
  // The short call loses most at +10% with vol up: BS(3300, σ (1 + 0.2 √(30/DTE))) - V0.
  const AccountResult& call = m.accounts[0];
  const double expected = callPnl(0.1, 1);
  EXPECT_GT(expected, 100.0);
  EXPECT_NEAR(call.grid.im, expected, 1e-9 * expected);
  EXPECT_EQ(call.initialMargin, call.grid.im);  // method grid sets the margin
  EXPECT_EQ(call.maintenanceMargin, 0.5 * call.grid.im);
  ASSERT_EQ(call.gridFigures.underlyings.size(), 1u);
  EXPECT_DOUBLE_EQ(call.gridFigures.underlyings[0].move, 0.1);
  EXPECT_EQ(call.gridFigures.underlyings[0].vol, 1);
  EXPECT_NEAR(call.positions[0].gridContribution, expected, 1e-9 * expected);
  // The short perpetual: 2 × 10% × 3,000 at +10%; the three vol states tie, the first (up) wins.
  const AccountResult& perp = m.accounts[1];
  EXPECT_NEAR(perp.grid.im, 600.0, 1e-9);
  EXPECT_DOUBLE_EQ(perp.gridFigures.underlyings[0].move, 0.1);
  EXPECT_EQ(perp.gridFigures.underlyings[0].vol, 1);
  // The ES figures are the model's either way.
  EXPECT_GT(perp.es, 0.0);

  // Absolute shifts: vol points, σ + 0.1 √(30/DTE).
  r["config"]["grid"]["*"]["vol_shift"] = {{"mode", "absolute"}, {"up", 0.1}, {"down", 0.1}};
  const double absolute =
      blackScholes(true, 3300, 3300, kYears, 0.8 + 0.1 * kScale, 0.0) - kValueNow;
  EXPECT_NEAR(run(r).accounts[0].grid.im, absolute, 1e-9 * absolute);
  // Unscaled: σ + 0.1.
  r["config"]["grid"]["*"]["vol_shift"]["scale_by_expiry"] = false;
  const double unscaled = blackScholes(true, 3300, 3300, kYears, 0.9, 0.0) - kValueNow;
  EXPECT_NEAR(run(r).accounts[0].grid.im, unscaled, 1e-9 * unscaled);
}

TEST(GridMargin, TheWorstOfEveryPoint) {
  // A covered call (long perp, short call) and a long call: the worst of the 9 points by hand.
  Json r = market();
  r["accounts"] = {
      account("covered", {position("ETH-PERP", 1, 3000), position("ETH-C", -1, 0)}, usd(1e4)),
      account("long-call", {position("ETH-C", 1, 0)}, usd(1e4))};
  const MarginResponse m = run(r);
  for (int a = 0; a < 2; ++a) {
    double worst = -HUGE_VAL, worstMove = 0.0;
    int worstVol = 0;
    for (double move : {-0.1, 0.0, 0.1}) {
      for (int vol : {1, 0, -1}) {  // the grid's order: ties go to the first
        const double loss = a == 0 ? -(3000 * move) + callPnl(move, vol) : -callPnl(move, vol);
        if (loss > worst) {
          worst = loss;
          worstMove = move;
          worstVol = vol;
        }
      }
    }
    SCOPED_TRACE(a);
    const GridUnderlying& u = m.accounts[a].gridFigures.underlyings.at(0);
    EXPECT_NEAR(u.loss, worst, 1e-9 * worst);
    EXPECT_NEAR(u.move, worstMove, 1e-15);
    EXPECT_EQ(u.vol, worstVol);
    // Euler at the worst point: the positions' shares add up to the loss.
    double sum = 0.0;
    for (const LegResult& l : m.accounts[a].positions) sum += l.gridContribution;
    EXPECT_NEAR(sum, m.accounts[a].gridFigures.loss, 1e-9 * worst);
  }
  EXPECT_EQ(m.accounts[1].gridFigures.underlyings[0].vol, -1);  // a long call fears vol down
  EXPECT_DOUBLE_EQ(m.accounts[1].gridFigures.underlyings[0].move, -0.1);
}

TEST(GridMargin, SpanExtremeMovesCountAtTheirFraction) {
  Json r = market();
  r["config"]["grid"]["ETH"] = {{"extreme", {{"multiple", 3}, {"fraction", 0.35}}}};
  r["accounts"] = {account("short-perp", {position("ETH-PERP", -2, 3000)}, usd(1e5)),
                   account("short-btc", {position("BTC-PERP", -1, 90000)}, usd(1e5))};
  const MarginResponse m = run(r);
  // +30% at 35%: 0.35 × 0.3 × 6,000 = 630 > 600 on the regular grid.
  const GridUnderlying& u = m.accounts[0].gridFigures.underlyings[0];
  EXPECT_NEAR(u.loss, 630.0, 1e-9);
  EXPECT_TRUE(u.extreme);
  EXPECT_DOUBLE_EQ(u.move, 0.3);
  // BTC keeps the "*" entry: no extreme moves.
  EXPECT_NEAR(m.accounts[1].grid.im, 9000.0, 1e-8);
  EXPECT_FALSE(m.accounts[1].gridFigures.underlyings[0].extreme);
}

TEST(GridMargin, UnderlyingsAddOrTakeTheCorrelationCredit) {
  Json r = market();
  r["accounts"] = {
      account("both", {position("ETH-PERP", 1, 3000), position("BTC-PERP", 0.1, 90000)}, usd(1e5))};
  const double eth = 300.0, btc = 900.0;  // 10% falls
  const AccountResult sum = run(r).accounts[0];
  EXPECT_NEAR(sum.grid.im, eth + btc, 1e-9);
  ASSERT_EQ(sum.gridFigures.underlyings.size(), 2u);
  EXPECT_EQ(sum.gridFigures.underlyings[0].asset, 1);  // asset order: ETH, BTC
  EXPECT_NEAR(sum.gridFigures.underlyings[1].loss, btc, 1e-9);
  r["config"]["grid_aggregation"] = "correlation";
  const AccountResult credit = run(r).accounts[0];
  const double expected = std::sqrt(eth * eth + btc * btc + 2 * 0.8 * eth * btc);
  EXPECT_NEAR(credit.grid.im, expected, 1e-9 * expected);
  EXPECT_LT(credit.grid.im, sum.grid.im);
  // Euler shares of sqrt(L' ρ L): (ρL)_b / T × L_b, adding up to T.
  EXPECT_NEAR(credit.positions[0].gridContribution, (eth + 0.8 * btc) / expected * eth, 1e-9);
  EXPECT_NEAR(credit.positions[0].gridContribution + credit.positions[1].gridContribution, expected,
              1e-9);
  // A long/short pair: ETH's worst is a fall, BTC's a rise; their losses correlate as -0.8.
  r["accounts"] = {
      account("pair", {position("ETH-PERP", 30, 3000), position("BTC-PERP", -1, 90000)}, usd(1e5))};
  const double credited = run(r).accounts[0].grid.im;
  EXPECT_NEAR(credited, std::sqrt(2 * 9000.0 * 9000.0 * (1 - 0.8)), 1e-6);
}

TEST(GridMargin, ContingenciesShortOptionsAndNetNotional) {
  Json r = market();
  r["config"]["grid"]["*"]["short_option_minimum"] = 0.01;
  r["accounts"] = {
      account("short-calls", {position("ETH-C", -5, 0)}, usd(1e5)),
      account("netted", {position("ETH-C", -5, 0), position("ETH-C", 5, 0)}, usd(1e5))};
  MarginResponse m = run(r);
  EXPECT_NEAR(m.accounts[0].gridFigures.underlyings[0].shortOptionAddOn, 0.01 * 3000 * 5, 1e-9);
  EXPECT_NEAR(m.accounts[0].gridFigures.contingency, 150.0, 1e-9);
  EXPECT_NEAR(m.accounts[0].grid.im, 5 * callPnl(0.1, 1) + 150.0, 1e-8);
  EXPECT_EQ(m.accounts[1].gridFigures.contingency, 0.0);  // net zero on the instrument
  EXPECT_EQ(m.accounts[1].grid.im, 0.0);

  // Net notional 30,000: a 20% floor lifts the 10% grid loss from 3,000 to 6,000.
  r = market();
  r["config"]["grid"]["ETH"] = {{"net_notional_minimum", 0.2}};
  r["accounts"] = {account("long", {position("ETH-PERP", 10, 3000)}, usd(1e5))};
  const AccountResult a = run(r).accounts[0];
  EXPECT_NEAR(a.gridFigures.loss, 3000.0, 1e-9);
  EXPECT_NEAR(a.gridFigures.underlyings[0].notionalFloor, 3000.0, 1e-9);
  EXPECT_NEAR(a.grid.im, 6000.0, 1e-9);
  EXPECT_NEAR(a.grid.mm, 3000.0, 1e-9);  // mm_ratio 0.5
}

TEST(GridMargin, CompareEqualsSeparateRunsAndSnapshotsAgree) {
  Json r = market();
  r["instruments"].push_back({{"id", "ETH-FUT"},
                              {"type", "future"},
                              {"underlying", "ETH"},
                              {"expiry", "2026-06-26T08:00:00Z"},
                              {"contract_size", 1}});
  r["market"]["rate"] = 0.04;
  r["accounts"] = {
      account("a", {position("ETH-C", -3, 0), position("ETH-FUT", 2, 3000)}, usd(5000)),
      account("b", {position("BTC-PERP", 0.5, 90000)},
              Json::array({{{"asset", "ETH"}, {"amount", 4}}})),
      account("c", Json::array(), usd(100))};
  Json gridOnly = r, esWithGrid = r;
  esWithGrid["config"]["method"] = "es";
  esWithGrid["config"]["compare"] = {"grid"};
  Json esOnly = esWithGrid;
  esOnly["config"].erase("compare");
  esOnly["config"].erase("grid");
  const MarginResponse grid = run(gridOnly), both = run(esWithGrid), es = run(esOnly);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(both.accounts[i].initialMargin, es.accounts[i].initialMargin);
    EXPECT_EQ(both.accounts[i].grid.im, grid.accounts[i].initialMargin);
    EXPECT_EQ(both.accounts[i].grid.mm, grid.accounts[i].maintenanceMargin);
    EXPECT_TRUE(both.accounts[i].gridCompared);
    EXPECT_EQ(grid.accounts[i].es, es.accounts[i].es);
  }
  EXPECT_EQ(both.totals.grid.im, grid.totals.initialMargin);
  // The future moves with its carry, (S' - S) e^{rT} per unit; the call is priced at r = 4%.
  const double carry = std::exp(0.04 * (176.0 + 8.0 / 24.0) / 365.0);
  const double v0 = blackScholes(true, 3000, 3300, kYears, 0.8, 0.04);
  double worst = 0.0;
  for (double move : {-0.1, 0.0, 0.1}) {
    for (double shift : {0.2, 0.0, -0.3}) {
      const double call =
          blackScholes(true, 3000 * (1 + move), 3300, kYears, 0.8 * (1 + shift * kScale), 0.04);
      worst = std::max(worst, 3 * (call - v0) - 2 * 3000 * move * carry);
    }
  }
  EXPECT_NEAR(grid.accounts[0].gridFigures.loss, worst, 1e-9 * worst);
  // The ETH collateral of b is moved by the ETH grid: 4 × 300 = 1,200 beside BTC's 4,500.
  EXPECT_NEAR(grid.accounts[1].grid.im, 1200.0 + 4500.0, 1e-9);

  // On a snapshot (every instrument revalued, accounts later): the same figures to the bit.
  const MarginRequest definition = parseRequest(gridOnly);
  PreparedMarket prepared(definition, RowSet::All, {});
  const std::vector<AccountResult> snap = prepared.assess(definition.accounts);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(snap[i].grid.im, grid.accounts[i].grid.im);
    EXPECT_EQ(snap[i].gridFigures.underlyings.size(),
              grid.accounts[i].gridFigures.underlyings.size());
  }
}

// A request written back (requestToJson, as `xmargin generate` writes one) keeps its
// methods: the same margins when parsed again.
TEST(GridMargin, RequestsKeepTheirMethodsWrittenBack) {
  Json r = market();
  r["config"]["compare"] = {"es", "flat"};
  r["config"]["grid_aggregation"] = "correlation";
  r["config"]["grid"]["BTC"] = {{"extreme", {{"multiple", 2}, {"fraction", 0.3}}}};
  r["config"]["flat"] = {{"ETH-PERP",
                          {{"tiers",
                            {{{"notional_up_to", 5000}, {"imf", 0.05}, {"mmf", 0.03}},
                             {{"imf", 0.1}, {"mmf", 0.05}}}}}},
                         {"BTC-PERP", {{"imf", 0.05}, {"mmf", 0.03}}},
                         {"ETH-C", {{"imf", 0.15}, {"mmf", 0.075}}}};
  r["accounts"] = {account(
      "a",
      {position("ETH-PERP", 3, 3000), position("BTC-PERP", -0.2, 90000), position("ETH-C", -2, 0)},
      usd(5000))};
  const MarginRequest first = parseRequest(r);
  const MarginRequest again = parseRequest(requestToJson(first));
  const AccountResult a = computeMargin(first).accounts[0], b = computeMargin(again).accounts[0];
  EXPECT_EQ(again.config.method, MarginMethod::Grid);
  EXPECT_EQ(again.config.compare, first.config.compare);
  EXPECT_EQ(b.grid.im, a.grid.im);
  EXPECT_EQ(b.flat.im, a.flat.im);
  EXPECT_EQ(b.esMargin.im, a.esMargin.im);
  EXPECT_GT(a.flat.im, 0.0);
}

TEST(GridMargin, ParsesStrictly) {
  auto pathOf = [](const Json& r) {
    try {
      parseRequest(r);
    } catch (const InputError& e) {
      return e.path();
    }
    return std::string("accepted");
  };
  Json r = market();
  EXPECT_EQ(pathOf(r), "accepted");
  r["config"]["grid"]["DOGE"] = Json::object();
  EXPECT_EQ(pathOf(r), "/config/grid/DOGE");
  r = market();
  r["config"]["grid"]["ETH"] = {{"points", 1}};
  EXPECT_EQ(pathOf(r), "/config/grid/ETH/points");
  r["config"]["grid"]["ETH"] = {{"range", 1.0}};
  EXPECT_EQ(pathOf(r), "/config/grid/ETH/range");
  r["config"]["grid"]["ETH"] = {{"range", 0.4}, {"extreme", {{"multiple", 3}, {"fraction", 0.3}}}};
  EXPECT_EQ(pathOf(r), "/config/grid/ETH/extreme");  // a -120% move
  r["config"]["grid"]["ETH"] = {{"vol_shift", {{"mode", "log"}}}};
  EXPECT_EQ(pathOf(r), "/config/grid/ETH/vol_shift/mode");
  r["config"]["grid"]["ETH"] = {{"ranges", 0.1}};
  EXPECT_EQ(pathOf(r), "/config/grid/ETH/ranges");
  r = market();
  r["config"]["method"] = "es";
  EXPECT_EQ(pathOf(r), "/config/grid");  // given, unused
  r["config"].erase("grid");
  r["config"]["grid_aggregation"] = "sum";
  EXPECT_EQ(pathOf(r), "/config/grid_aggregation");
  r = market();
  r["config"]["grid_aggregation"] = "max";
  EXPECT_EQ(pathOf(r), "/config/grid_aggregation");
  r = market();
  r["config"].erase("grid");  // the documented defaults
  EXPECT_EQ(pathOf(r), "accepted");
}

}  // namespace
}  // namespace xm
