// Flat-rate margin (contract §11): the venues' formulas by hand, tiers, liquidation prices
// (dYdX's published example), and compare equal to separate runs.
#include <gtest/gtest.h>

#include <cmath>

#include "host/engine/Pricing.h"
#include "host/margin/FlatMargin.h"
#include "host/margin/MarginEngine.h"
#include "tests/TestSupport.h"

namespace xm {
namespace {

using test::account;
using test::position;

Json ethMarket() {
  return Json::parse(R"({
    "market": {"as_of": "2026-01-01T00:00:00Z", "rate": 0.0,
      "assets": [{"id": "USD", "price": 1.0}, {"id": "ETH", "price": 3000.0, "vol": 0.9}]},
    "instruments": [
      {"id": "ETH-PERP", "type": "perpetual", "underlying": "ETH", "contract_size": 1},
      {"id": "ETH-C", "type": "option", "underlying": "ETH", "right": "call", "strike": 3300,
       "expiry": "2026-03-01T08:00:00Z", "iv": 0.8, "contract_size": 1}],
    "accounts": [],
    "config": {"scenarios": 2000, "seed": 3, "method": "flat",
               "flat": {"ETH-PERP": {"imf": 0.1, "mmf": 0.05}, "ETH-C": {"imf": 0.15, "mmf": 0.1}}}
  })");
}

TEST(FlatMargin, DydxLiquidationPriceOfAShort) {
  // dYdX's example: equity 1,000, short 3 ETH at 3,000, MMF 5%: p = (e - s p0) / (|s| mmf - s).
  Json r = ethMarket();
  r["accounts"] = {
      account("short", {position("ETH-PERP", -3, 3000)}, {{{"asset", "USD"}, {"amount", 1000}}})};
  const AccountResult a = computeMargin(parseRequest(r)).accounts[0];
  EXPECT_DOUBLE_EQ(a.equity, 1000.0);
  EXPECT_DOUBLE_EQ(a.initialMargin, 0.1 * 3 * 3000);
  EXPECT_DOUBLE_EQ(a.maintenanceMargin, 0.05 * 3 * 3000);
  EXPECT_NEAR(a.positions[0].liquidationPrice, 10000.0 / 3.15, 1e-6);  // 3,174.60
  EXPECT_NEAR(a.positions[0].liquidationPrice, 3174.60, 0.005);
  EXPECT_EQ(a.status, MarginStatus::Ok);  // 1,000 >= 900
  // A long: p = (e - s p0) / (|s| mmf - s) = (1000 - 9000) / (0.15 - 3) = 2,807.02.
  r["accounts"] = {
      account("long", {position("ETH-PERP", 3, 3000)}, {{{"asset", "USD"}, {"amount", 1000}}})};
  EXPECT_NEAR(computeMargin(parseRequest(r)).accounts[0].positions[0].liquidationPrice,
              -8000.0 / -2.85, 1e-6);
}

TEST(FlatMargin, TiersShortOptionsAndLongOptions) {
  Json r = ethMarket();
  r["config"]["flat"]["ETH-PERP"] = {{"tiers",
                                      {{{"notional_up_to", 10000}, {"imf", 0.05}, {"mmf", 0.03}},
                                       {{"notional_up_to", 100000}, {"imf", 0.1}, {"mmf", 0.05}},
                                       {{"imf", 0.2}, {"mmf", 0.1}}}}};
  r["accounts"] = {
      account("small", {position("ETH-PERP", 2, 3000)}, {{{"asset", "USD"}, {"amount", 1e6}}}),
      account("mid", {position("ETH-PERP", -10, 3000)}, {{{"asset", "USD"}, {"amount", 1e6}}}),
      account("large", {position("ETH-PERP", 100, 3000)}, {{{"asset", "USD"}, {"amount", 1e6}}}),
      account("short-call", {position("ETH-C", -4, 100)}, {{{"asset", "USD"}, {"amount", 1e6}}}),
      account("long-call", {position("ETH-C", 4, 100)}, {{{"asset", "USD"}, {"amount", 1e6}}})};
  const MarginResponse m = computeMargin(parseRequest(r));
  EXPECT_DOUBLE_EQ(m.accounts[0].initialMargin, 0.05 * 6000);    // 6,000 in tier 1
  EXPECT_DOUBLE_EQ(m.accounts[1].initialMargin, 0.1 * 30000);    // 30,000 in tier 2
  EXPECT_DOUBLE_EQ(m.accounts[2].maintenanceMargin, 0.1 * 3e5);  // beyond: the last tier
  const double years = (std::chrono::sys_days{std::chrono::March / 1 / 2026} -
                        std::chrono::sys_days{std::chrono::January / 1 / 2026})
                               .count() /
                           365.0 +
                       8.0 / (24 * 365.0);
  const double premium = blackScholes(true, 3000, 3300, years, 0.8, 0.0);
  EXPECT_NEAR(m.accounts[3].initialMargin, 4 * premium + 0.15 * 4 * 3000, 1e-6);
  EXPECT_NEAR(m.accounts[3].maintenanceMargin, 4 * premium + 0.1 * 4 * 3000, 1e-6);
  EXPECT_EQ(m.accounts[4].initialMargin, 0.0);  // paid for
  // The short call's liquidation price: equity = mm there, found above the mark.
  const double p = m.accounts[3].positions[0].liquidationPrice;
  ASSERT_TRUE(std::isfinite(p));
  EXPECT_GT(p, 3000.0);
  const double t = years;
  const double v = blackScholes(true, p, 3300, t, 0.8, 0.0);
  const double equityThere = 1e6 - 4 * (v - 100);
  EXPECT_NEAR(equityThere, 4 * v + 0.1 * 4 * p, 1e-3);
}

TEST(FlatMargin, CompareEqualsSeparateRuns) {
  Json r = ethMarket();
  r["accounts"] = {account("a", {position("ETH-PERP", -3, 2900), position("ETH-C", 2, 150)},
                           {{{"asset", "USD"}, {"amount", 2500}}}),
                   account("b", {position("ETH-C", -5, 120)}, {{{"asset", "ETH"}, {"amount", 2}}})};
  Json esOnly = r, flatOnly = r, esWithFlat = r, flatWithEs = r;
  esOnly["config"].erase("method");
  esOnly["config"].erase("flat");
  esWithFlat["config"]["method"] = "es";
  esWithFlat["config"]["compare"] = {"flat"};
  flatWithEs["config"]["compare"] = {"es"};
  const MarginResponse es = computeMargin(parseRequest(esOnly));
  const MarginResponse flat = computeMargin(parseRequest(flatOnly));
  const MarginResponse both = computeMargin(parseRequest(esWithFlat));
  const MarginResponse both2 = computeMargin(parseRequest(flatWithEs));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(both.accounts[i].initialMargin, es.accounts[i].initialMargin);
    EXPECT_EQ(both.accounts[i].flat.im, flat.accounts[i].initialMargin);
    EXPECT_EQ(both.accounts[i].flat.mm, flat.accounts[i].maintenanceMargin);
    EXPECT_TRUE(both.accounts[i].flatCompared);
    EXPECT_EQ(both2.accounts[i].initialMargin, flat.accounts[i].initialMargin);
    EXPECT_EQ(both2.accounts[i].esMargin.im, es.accounts[i].initialMargin);
    EXPECT_EQ(both2.accounts[i].status, flat.accounts[i].status);
  }
  EXPECT_EQ(both.totals.flat.im, flat.totals.initialMargin);
  EXPECT_EQ(both2.totals.esMargin.im, es.totals.initialMargin);
  const Json j = responseToJson(parseRequest(esWithFlat), both);
  EXPECT_EQ(j["accounts"][0]["compare"]["flat"]["im"].get<double>(),
            flat.accounts[0].initialMargin);
  EXPECT_EQ(j["run"]["method"], "es");
  EXPECT_EQ(j["totals"]["compare"]["flat"]["mm"].get<double>(), flat.totals.maintenanceMargin);
}

TEST(FlatMargin, ParsesStrictly) {
  auto pathOf = [](const Json& r) {
    try {
      parseRequest(r);
    } catch (const InputError& e) {
      return e.path();
    }
    return std::string("accepted");
  };
  Json r = ethMarket();
  r["config"]["flat"].erase("ETH-C");
  EXPECT_EQ(pathOf(r), "/config/flat");  // a derivative without a rate
  r = ethMarket();
  r["config"]["flat"]["NOPE"] = {{"imf", 0.1}, {"mmf", 0.05}};
  EXPECT_EQ(pathOf(r), "/config/flat/NOPE");
  r = ethMarket();
  r["config"]["flat"]["ETH-PERP"] = {{"imf", 0.05}, {"mmf", 0.1}};
  EXPECT_EQ(pathOf(r), "/config/flat/ETH-PERP/mmf");
  r = ethMarket();
  r["config"]["compare"] = {"flat"};
  EXPECT_EQ(pathOf(r), "/config/compare/0");  // the method itself
  r = ethMarket();
  r["config"]["method"] = "es";
  EXPECT_EQ(pathOf(r), "/config/flat");  // given, unused
  r = ethMarket();
  r["config"]["method"] = "span";
  EXPECT_EQ(pathOf(r), "/config/method");
  r = ethMarket();
  r["config"]["flat"]["ETH-PERP"] = {{"tiers",
                                      {{{"notional_up_to", 5}, {"imf", 0.1}, {"mmf", 0.05}},
                                       {{"notional_up_to", 4}, {"imf", 0.2}, {"mmf", 0.1}}}}};
  EXPECT_EQ(pathOf(r), "/config/flat/ETH-PERP/tiers/1/notional_up_to");
}

}  // namespace
}  // namespace xm
