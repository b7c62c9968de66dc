// Anti-procyclicality and the add-ons: the reference vols against hand computations, each APC
// measure against the same request with the vol it should produce, the buffer's release, the
// square-root liquidity add-on and the minimum margin in closed form, and their errors.
#include <gtest/gtest.h>

#include <cmath>

#include "api/json/JsonCodec.h"
#include "host/margin/MarginEngine.h"
#include "host/market/MarketHistory.h"
#include "host/market/PriceFiles.h"
#include "host/model/Time.h"
#include "tests/BadRequests.h"

namespace xm {
namespace {

// |r| = a for `calm` days, then b for `stressed` days, signs alternating: every sum of r² is
// exact in closed form.
std::vector<double> regimes(double a, int calm, double b, int stressed) {
  std::vector<double> r;
  for (int d = 0; d < calm; ++d) r.push_back(d % 2 ? a : -a);
  for (int d = 0; d < stressed; ++d) r.push_back(d % 2 ? b : -b);
  return r;
}

std::vector<DailyClose> closesOf(const std::vector<double>& returns, long long firstDay = 19000,
                                 double volume = -1.0) {
  std::vector<DailyClose> out{{firstDay, 50000.0, volume}};
  for (double r : returns)
    out.push_back({out.back().day + 1, out.back().close * std::exp(r), volume});
  return out;
}

TEST(ReferenceVols, MatchAHandComputation) {
  const auto closes = closesOf(regimes(0.01, 10, 0.03, 10));  // days 19000..19020
  const double y = std::sqrt(365.0);
  // The whole series: mean r² = (10e-4 + 90e-4) / 20; the worst 5 days are all 0.03.
  ReferenceVols v = referenceVols(closes, 20000, 20, 5);
  EXPECT_EQ(v.days, 20);
  EXPECT_NEAR(v.longRun, y * std::sqrt(5e-4), 1e-12);
  EXPECT_NEAR(v.stressed, y * 0.03, 1e-12);
  // A lookback of the last 10 returns sees only the stressed regime.
  v = referenceVols(closes, 20000, 10, 5);
  EXPECT_NEAR(v.longRun, y * 0.03, 1e-12);
  // as_of on day 19010: only the calm regime exists yet; a 20-day window is cut to 10 returns.
  v = referenceVols(closes, 19010, 1000, 20);
  EXPECT_EQ(v.days, 10);
  EXPECT_NEAR(v.longRun, y * 0.01, 1e-12);
  EXPECT_NEAR(v.stressed, y * 0.01, 1e-12);
  // A window straddling the regimes: 6 days, the worst holds 6 of b.
  v = referenceVols(closesOf(regimes(0.01, 10, 0.03, 4)), 20000, 1000, 6);
  EXPECT_NEAR(v.stressed, y * std::sqrt((2 * 1e-4 + 4 * 9e-4) / 6), 1e-12);
  EXPECT_EQ(referenceVols(closesOf({}), 20000, 100, 5).days, 0);
}

TEST(ReferenceVols, AverageDailyVolumeTakesTheLastDaysUpToAsOf) {
  std::vector<DailyClose> c = closesOf(regimes(0.01, 6, 0.01, 0));
  for (size_t i = 0; i < c.size(); ++i) c[i].volume = 100.0 * static_cast<double>(i);  // 0..600
  EXPECT_NEAR(averageDailyVolume(c, 20000, 3), 500.0, 1e-12);  // 400, 500, 600
  EXPECT_NEAR(averageDailyVolume(c, 19004, 2), 350.0, 1e-12);  // 300, 400
  c[5].volume = -1;                                            // not known that day
  EXPECT_NEAR(averageDailyVolume(c, 20000, 3), (600.0 + 400 + 300) / 3, 1e-12);
  EXPECT_EQ(averageDailyVolume(closesOf({}), 20000, 3), -1.0);
}

// One long BTC perpetual against USD, with a two-regime BTC history: long-run vol over the whole
// history and a stressed vol of the second regime.
Json apcRequest(double calmDaily, double stressedDaily) {
  Json r = test::validRequest();
  r["config"]["scenarios"] = 20000;
  const auto closes = closesOf(regimes(calmDaily, 300, stressedDaily, 100));
  Json history = Json::array();
  for (const DailyClose& c : closes) {
    history.push_back({{"date", formatRfc3339(static_cast<double>(c.day) * 86400).substr(0, 10)},
                       {"close", c.close},
                       {"volume", 2e9}});
  }
  r["market"]["history"] = {{"BTC", history}};
  r["market"]["as_of"] = formatRfc3339((static_cast<double>(closes.back().day) + 1) * 86400);
  return r;
}

double esWithVol(Json r, double vol) {
  r["config"].erase("anti_procyclicality");
  r["market"]["assets"][1]["vol"] = vol;
  return computeMargin(parseRequest(r)).accounts[0].es;
}

TEST(AntiProcyclicality, FloorLiftsTheVolToTheLongRunVol) {
  const double y = std::sqrt(365.0);
  Json r = apcRequest(0.04, 0.08);  // long run sqrt((300·16 + 100·64)/400)·1e-2·√365 ≈ 1.01
  const double longRun = y * std::sqrt((300 * 0.0016 + 100 * 0.0064) / 400);
  r["config"]["anti_procyclicality"] = {{"floor", true}, {"stress_window_days", 100}};
  const MarginResponse m = computeMargin(parseRequest(r));
  ASSERT_TRUE(m.run.antiProcyclicality);
  ASSERT_EQ(m.run.apc.size(), 1u);
  EXPECT_EQ(m.run.apc[0].asset, "BTC");
  EXPECT_DOUBLE_EQ(m.run.apc[0].modelVol, 0.8);
  EXPECT_NEAR(m.run.apc[0].longRunVol, longRun, 1e-12);
  EXPECT_NEAR(m.run.apc[0].stressedVol, y * 0.08, 1e-12);
  EXPECT_NEAR(m.run.apc[0].vol, longRun, 1e-12);
  EXPECT_NEAR(m.accounts[0].es, esWithVol(r, longRun), 1e-9 * m.accounts[0].es);
  // A model vol above the floor is left alone.
  r["market"]["assets"][1]["vol"] = 1.5;
  EXPECT_DOUBLE_EQ(computeMargin(parseRequest(r)).run.apc[0].vol, 1.5);
}

TEST(AntiProcyclicality, StressWeightBlendsTheVariances) {
  const double y = std::sqrt(365.0);
  Json r = apcRequest(0.02, 0.06);
  r["config"]["anti_procyclicality"] = {{"stress_weight", 0.25}, {"stress_window_days", 50}};
  const double expected = std::sqrt(0.75 * 0.8 * 0.8 + 0.25 * (y * 0.06) * (y * 0.06));
  const MarginResponse m = computeMargin(parseRequest(r));
  EXPECT_NEAR(m.run.apc[0].vol, expected, 1e-12);
  EXPECT_NEAR(m.accounts[0].es, esWithVol(r, expected), 1e-9 * m.accounts[0].es);
  EXPECT_DOUBLE_EQ(m.accounts[0].apcBuffer, 0.0);
}

TEST(AntiProcyclicality, BufferIsReleasedAsTheModelVolNearsTheStressedVol) {
  const double y = std::sqrt(365.0);
  Json r = apcRequest(0.02, 0.06);
  r["config"]["anti_procyclicality"] = {{"buffer", 0.25}, {"stress_window_days", 100}};
  const double longRun = y * std::sqrt((300 * 0.0004 + 100 * 0.0036) / 400);  // 0.6618…
  const double stressed = y * 0.06;                                           // 1.1463…
  // Model vol 0.8: stress level (0.8 - L) / (S - L); the buffer is 25% of ES times what is left.
  MarginResponse m = computeMargin(parseRequest(r));
  const double level = (0.8 - longRun) / (stressed - longRun);
  EXPECT_NEAR(m.run.apc[0].stressLevel, level, 1e-12);
  EXPECT_DOUBLE_EQ(m.run.apc[0].vol, 0.8);  // the buffer does not touch vols
  const AccountResult& a = m.accounts[0];
  EXPECT_NEAR(a.apcBuffer, 0.25 * (1 - level) * a.es, 1e-9 * a.es);
  EXPECT_NEAR(a.initialMargin, a.es + a.apcBuffer, 1e-9 * a.es);
  // Calm (model vol below the long-run vol): the whole buffer; stress: none of it.
  r["market"]["assets"][1]["vol"] = 0.5;
  m = computeMargin(parseRequest(r));
  EXPECT_NEAR(m.accounts[0].apcBuffer, 0.25 * m.accounts[0].es, 1e-9 * m.accounts[0].es);
  r["market"]["assets"][1]["vol"] = 1.5;
  m = computeMargin(parseRequest(r));
  EXPECT_EQ(m.run.apc[0].stressLevel, 1.0);
  EXPECT_EQ(m.accounts[0].apcBuffer, 0.0);
  EXPECT_NEAR(m.accounts[0].initialMargin, m.accounts[0].es, 1e-9 * m.accounts[0].es);
}

TEST(AddOns, LiquidityIsTheSquareRootImpactOfTheNetDelta) {
  Json r = test::validRequest();
  r["market"]["assets"][1]["daily_volume"] = 1e8;  // BTC: $100M a day
  r["market"]["assets"][2]["daily_volume"] = 5e7;
  r["config"]["add_ons"] = {{"liquidity", {{"coefficient", 0.7}}}};
  r["accounts"][0]["positions"] = {test::position("BTC-PERP", 40, 50000)};  // $2M, 2% of ADV
  const double dailyVol = 0.8 / std::sqrt(365.0);
  auto impact = [&](double n, double adv, double vol) {
    return 0.7 * vol * n * std::sqrt(n / adv);
  };
  MarginResponse m = computeMargin(parseRequest(r));
  EXPECT_NEAR(m.accounts[0].liquidityAddOn, impact(2e6, 1e8, dailyVol), 1e-9);
  EXPECT_NEAR(m.accounts[0].initialMargin, m.accounts[0].es + m.accounts[0].liquidityAddOn, 1e-6);
  EXPECT_NEAR(m.accounts[0].grossNotional, 2e6, 1e-6);

  // Net per asset: a short inverse perpetual (face 100 per contract, delta S/entry per face)
  // offsets part of the long; BTC collateral adds to it; a call adds its BSM delta.
  r["accounts"][0]["positions"] = {test::position("BTC-PERP", 40, 50000),
                                   test::position("BTC-INV", -5000, 40000),  // delta -625,000
                                   test::position("BTC-C", 10, 3000)};
  r["accounts"][0]["collateral"] = {{{"asset", "BTC"}, {"amount", 2}}};
  const double years = (parseRfc3339("2026-02-27T08:00:00Z").value() -
                        parseRfc3339("2026-01-01T00:00:00Z").value()) /
                       kSecondsPerYear;
  const double d1 =
      (std::log(50000.0 / 55000) + 0.5 * 0.75 * 0.75 * years) / (0.75 * std::sqrt(years));
  const double net = 2e6 - 5000 * 100 * 50000.0 / 40000 + 10 * test::phi(d1) * 50000 + 2 * 50000;
  m = computeMargin(parseRequest(r));
  EXPECT_NEAR(m.accounts[0].liquidityAddOn, impact(net, 1e8, dailyVol),
              1e-9 * impact(net, 1e8, dailyVol));
  EXPECT_NEAR(m.accounts[0].grossNotional, 2e6 + 5000 * 100 + 10 * 50000, 1e-6);

  // Perfectly offsetting deltas need no liquidation: no add-on.
  r["accounts"][0]["positions"] = {test::position("BTC-PERP", 40, 50000),
                                   {{"instrument", "BTC-SPOT"}, {"qty", -40}}};
  r["accounts"][0]["collateral"] = Json::array();
  EXPECT_EQ(computeMargin(parseRequest(r)).accounts[0].liquidityAddOn, 0.0);
}

TEST(AddOns, LiquidityTakesTheHistorysAverageVolume) {
  Json r = apcRequest(0.02, 0.02);  // every history day traded $2e9
  r["config"]["add_ons"] = {{"liquidity", {{"coefficient", 1.0}, {"adv_days", 20}}}};
  r["accounts"][0]["positions"] = {test::position("BTC-PERP", -1000, 50000)};  // $50M short
  const MarginResponse m = computeMargin(parseRequest(r));
  const double n = 5e7;
  EXPECT_NEAR(m.accounts[0].liquidityAddOn, 0.8 / std::sqrt(365.0) * n * std::sqrt(n / 2e9), 1e-6);
}

TEST(AddOns, PriceFilesCarryTheVolumeColumn) {
  Market m;
  m.asOf = parseRfc3339("2014-09-18T00:00:00Z").value();
  m.assets = {{"USD", 1.0}, {"BTC", 457.0, 0.8}};
  ASSERT_EQ(loadPriceFiles(XM_SOURCE_DIR "/data/prices", m), 1);
  const auto& btc = m.history.at(1);
  ASSERT_EQ(btc.size(), 2u);  // data/prices/BTC-USD_1d.csv's first two rows
  EXPECT_DOUBLE_EQ(btc[0].volume, 21056800.0);
  EXPECT_DOUBLE_EQ(btc[1].volume, 34483200.0);
}

TEST(AddOns, MinimumMarginIsAFractionOfGrossNotional) {
  Json r = test::validRequest();
  // Long 10 BTC linear, short the same in inverse contracts (face $500,000 at entry 50,000): the
  // P&L cancels in every scenario, ES 0, gross notional 2 x $500,000.
  r["accounts"][0]["positions"] = {test::position("BTC-PERP", 10, 50000),
                                   test::position("BTC-INV", -5000, 50000)};
  r["config"]["add_ons"] = {{"minimum_rate", 0.01}};
  MarginResponse m = computeMargin(parseRequest(r));
  const AccountResult& a = m.accounts[0];
  EXPECT_NEAR(a.es, 0.0, 1e-6);
  EXPECT_NEAR(a.grossNotional, 1e6, 1e-6);
  EXPECT_NEAR(a.minimumAddOn, 1e4, 1e-6);
  EXPECT_NEAR(a.initialMargin, 1e4, 1e-6);
  EXPECT_NEAR(a.maintenanceMargin, 5e3, 1e-6);
  // Collateral $10,000 covers it exactly: ok; with less, a margin call.
  EXPECT_EQ(a.status, MarginStatus::Ok);
  r["accounts"][0]["collateral"][0]["amount"] = 9000;
  EXPECT_EQ(computeMargin(parseRequest(r)).accounts[0].status, MarginStatus::MarginCall);
  // When ES is above the minimum, the minimum adds nothing.
  r["accounts"][0]["positions"] = {test::position("BTC-PERP", 10, 50000)};
  m = computeMargin(parseRequest(r));
  EXPECT_EQ(m.accounts[0].minimumAddOn, 0.0);
  EXPECT_GT(m.accounts[0].es, 0.01 * 5e5);
  EXPECT_DOUBLE_EQ(m.accounts[0].initialMargin, m.accounts[0].es);
}

TEST(AddOns, AppearInBothResponseWritersOnlyWhenAsked) {
  Json r = test::validRequest();
  MarginRequest plain = parseRequest(r);
  MarginResponse m = computeMargin(plain);
  EXPECT_FALSE(accountToJson(plain, 0, m.accounts[0]).contains("add_ons"));
  r["config"]["add_ons"] = {{"minimum_rate", 0.5}};
  const MarginRequest req = parseRequest(r);
  m = computeMargin(req);
  const Json dom = accountToJson(req, 0, m.accounts[0]);
  std::string text;
  appendAccountJson(text, req, 0, m.accounts[0]);
  EXPECT_EQ(Json::parse(text), dom);
  EXPECT_DOUBLE_EQ(dom["add_ons"]["minimum"].get<double>(), m.accounts[0].minimumAddOn);
  EXPECT_GT(m.accounts[0].minimumAddOn, 0.0);
  // The request writer keeps them.
  EXPECT_EQ(requestToJson(req)["config"]["add_ons"]["minimum_rate"], 0.5);
}

TEST(AddOns, ErrorsNameTheField) {
  struct Case {
    const char* name;
    std::function<void(Json&)> mutate;
    const char* path;
  } cases[] = {
      {"apc with no measure", [](Json& r) { r["config"]["anti_procyclicality"] = Json::object(); },
       "/config/anti_procyclicality"},
      {"apc weight above 1",
       [](Json& r) {
         r["config"]["anti_procyclicality"] = {{"stress_weight", 1.5}};
       },
       "/config/anti_procyclicality/stress_weight"},
      {"apc floor not boolean",
       [](Json& r) {
         r["config"]["anti_procyclicality"] = {{"floor", 1}};
       },
       "/config/anti_procyclicality/floor"},
      {"apc window above lookback",
       [](Json& r) {
         r["config"]["anti_procyclicality"] = {
             {"floor", true}, {"lookback_days", 100}, {"stress_window_days", 200}};
       },
       "/config/anti_procyclicality/stress_window_days"},
      {"apc unknown key",
       [](Json& r) {
         r["config"]["anti_procyclicality"] = {{"floor", true}, {"cap", 1}};
       },
       "/config/anti_procyclicality/cap"},
      {"apc without history",
       [](Json& r) {
         r["config"]["anti_procyclicality"] = {{"floor", true}};
         r["market"].erase("history");
       },
       "/config/anti_procyclicality"},
      {"liquidity without coefficient",
       [](Json& r) {
         r["config"]["add_ons"] = {{"liquidity", Json::object()}};
       },
       "/config/add_ons/liquidity/coefficient"},
      {"liquidity coefficient 0",
       [](Json& r) {
         r["config"]["add_ons"] = {{"liquidity", {{"coefficient", 0}}}};
       },
       "/config/add_ons/liquidity/coefficient"},
      {"liquidity without volume",
       [](Json& r) {
         r["config"]["add_ons"] = {{"liquidity", {{"coefficient", 1}}}};
         r["market"].erase("history");
       },
       "/market/assets/1/daily_volume"},
      {"negative daily volume", [](Json& r) { r["market"]["assets"][1]["daily_volume"] = -5; },
       "/market/assets/1/daily_volume"},
      {"negative history volume", [](Json& r) { r["market"]["history"]["BTC"][3]["volume"] = -1; },
       "/market/history/BTC/3/volume"},
      {"minimum rate above 1",
       [](Json& r) {
         r["config"]["add_ons"] = {{"minimum_rate", 2}};
       },
       "/config/add_ons/minimum_rate"},
  };
  for (const Case& c : cases) {
    Json body = apcRequest(0.02, 0.04);
    c.mutate(body);
    try {
      computeMargin(parseRequest(body));
      ADD_FAILURE() << c.name << ": accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(e.path(), c.path) << c.name << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace xm
