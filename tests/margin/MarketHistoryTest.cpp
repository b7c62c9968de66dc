// Market-driven parameters: EWMA vols and correlations against hand-computed values, the as-of
// cutoff, history validation with JSON Pointers, and the CSV loader on the repository's data.
#include <gtest/gtest.h>

#include <cmath>

#include "api/json/JsonCodec.h"
#include "host/engine/MarketFactors.h"
#include "host/margin/MarginEngine.h"
#include "host/market/MarketHistory.h"
#include "host/market/PriceFiles.h"
#include "host/model/Time.h"
#include "tests/BadRequests.h"

namespace xm {
namespace {

std::vector<DailyClose> series(std::initializer_list<double> closes, long long firstDay = 19000) {
  std::vector<DailyClose> out;
  for (double c : closes) out.push_back({firstDay++, c});
  return out;
}

TEST(Ewma, VarianceMatchesAHandComputation) {
  // Closes 100, 110, 99, 108.9: returns ln 1.1, ln 0.9, ln 1.1; lambda 0.9.
  //   s1 = r1^2                       = 0.0090840303743...
  //   s2 = 0.9 s1 + 0.1 r2^2          = 0.0092857111628...
  //   s3 = 0.9 s2 + 0.1 r3^2          = 0.0092655430840...
  const std::vector<double> r = logReturns(series({100, 110, 99, 108.9}));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_NEAR(r[1], std::log(0.9), 1e-15);
  EXPECT_NEAR(ewmaVariance(r, 0.9), 0.0092655430840, 1e-12);
  MarketHistory h;
  h[1] = series({100, 110, 99, 108.9});
  const EwmaEstimate e = estimateEwma(h, 20000, 0.9, 2);
  ASSERT_EQ(e.assets, std::vector<int>{1});
  EXPECT_NEAR(e.vol[0], std::sqrt(365 * 0.0092655430840), 1e-9);  // 1.83900... annualised
  EXPECT_EQ(e.days[0], 3);
}

TEST(Ewma, CorrelationOfScaledAndMirroredSeries) {
  MarketHistory h;
  h[0] = series({100, 103, 99, 104, 101, 105});
  std::vector<DailyClose> up, down;
  const std::vector<double> r = logReturns(h[0]);
  double u = 50, d = 20;
  up.push_back({19000, u});
  down.push_back({19000, d});
  for (size_t i = 0; i < r.size(); ++i) {
    u *= std::exp(2 * r[i]);  // returns twice A's: correlation +1, vol twice A's
    d *= std::exp(-r[i]);     // returns minus A's: correlation -1
    up.push_back({19001 + static_cast<long long>(i), u});
    down.push_back({19001 + static_cast<long long>(i), d});
  }
  h[1] = up;
  h[2] = down;
  const EwmaEstimate e = estimateEwma(h, 20000, 0.94, 3);
  EXPECT_NEAR(e.correlation(0, 1), 1.0, 1e-12);
  EXPECT_NEAR(e.correlation(0, 2), -1.0, 1e-12);
  EXPECT_NEAR(e.correlation(1, 2), -1.0, 1e-12);
  EXPECT_NEAR(e.vol[1], 2 * e.vol[0], 1e-12);
  EXPECT_EQ(e.commonDays, 5);
}

TEST(Ewma, OnlyClosesUpToAsOfAndTheCommonCalendar) {
  MarketHistory h;
  h[0] = series({100, 101, 102, 103, 500});  // days 19000..19004; the jump is after as_of
  h[1] = series({10, 11, 12, 13}, 19001);    // days 19001..19004
  const EwmaEstimate e = estimateEwma(h, 19003, 0.94, 2);
  EXPECT_EQ(e.days[0], 3);     // returns ending 19001, 19002, 19003
  EXPECT_EQ(e.days[1], 2);     // returns ending 19002, 19003
  EXPECT_EQ(e.commonDays, 2);  // 19002 and 19003
  EXPECT_LT(e.vol[0], 0.5);    // the 100 -> 500 jump is not seen
  // One common return day is not enough for a correlation; a series after as_of is none.
  EXPECT_THROW(estimateEwma(h, 19002, 0.94, 2), InputError);
  h[1] = series({10, 11}, 19100);
  EXPECT_THROW(estimateEwma(h, 19003, 0.94, 2), InputError);
}

Json withHistory(double dailyVol, int days) {
  Json r = test::validRequest();
  Json closes = Json::array();
  double c = 50000;
  for (int d = 0; d < days; ++d) {
    closes.push_back({{"date", formatRfc3339((19000.0 + d) * 86400).substr(0, 10)}, {"close", c}});
    c *= std::exp(dailyVol * (d % 2 ? 1 : -1));  // |r| = dailyVol every day: EWMA is exact
  }
  r["market"]["as_of"] = formatRfc3339((19000.0 + days) * 86400);
  r["market"]["history"] = {{"BTC", closes}};
  r["config"]["vol_model"] = {{"ewma", {{"lambda", 0.94}}}};
  return r;
}

TEST(Ewma, EngineUsesTheEstimateAndReportsIt) {
  const double daily = 0.8 / std::sqrt(365.0);
  const MarginResponse ewma = computeMargin(parseRequest(withHistory(daily, 200)));
  EXPECT_EQ(ewma.run.volModel, VolModel::Ewma);
  ASSERT_EQ(ewma.run.estimates.size(), 1u);
  EXPECT_EQ(ewma.run.estimates[0].asset, "BTC");
  EXPECT_NEAR(ewma.run.estimates[0].vol, 0.8, 1e-12);
  EXPECT_EQ(ewma.run.estimates[0].days, 199);
  // The request's BTC vol is 0.8 too (test::baseRequest): same market, same figures.
  Json given = withHistory(daily, 200);
  given["config"].erase("vol_model");
  const MarginResponse g = computeMargin(parseRequest(given));
  EXPECT_NEAR(ewma.accounts[0].es, g.accounts[0].es, 1e-9 * g.accounts[0].es);
  // Twice the history's vol, about twice the ES of the linear position.
  const MarginResponse twice = computeMargin(parseRequest(withHistory(2 * daily, 200)));
  EXPECT_NEAR(twice.run.estimates[0].vol, 1.6, 1e-12);
  EXPECT_NEAR(twice.accounts[0].es / ewma.accounts[0].es, 2.0, 0.1);
}

TEST(Ewma, HistoryErrorsNameTheField) {
  const double daily = 0.03;
  struct Case {
    const char* name;
    std::function<void(Json&)> mutate;
    const char* path;
  } cases[] = {
      {"unknown asset", [](Json& r) { r["market"]["history"]["DOGE"] = Json::array(); },
       "/market/history/DOGE"},
      {"base currency", [](Json& r) { r["market"]["history"]["USD"] = Json::array(); },
       "/market/history/USD"},
      {"decreasing dates", [](Json& r) { r["market"]["history"]["BTC"][5]["date"] = "2019-01-01"; },
       "/market/history/BTC/5/date"},
      {"bad date", [](Json& r) { r["market"]["history"]["BTC"][2]["date"] = "2022-02-30"; },
       "/market/history/BTC/2/date"},
      {"zero close", [](Json& r) { r["market"]["history"]["BTC"][3]["close"] = 0; },
       "/market/history/BTC/3/close"},
      {"unknown key", [](Json& r) { r["market"]["history"]["BTC"][3]["open"] = 1; },
       "/market/history/BTC/3/open"},
      {"lambda 1", [](Json& r) { r["config"]["vol_model"]["ewma"]["lambda"] = 1; },
       "/config/vol_model/ewma/lambda"},
      {"unknown model", [](Json& r) { r["config"]["vol_model"] = "garch"; }, "/config/vol_model"},
      {"ewma without history", [](Json& r) { r["market"].erase("history"); }, "/config/vol_model"},
  };
  for (const Case& c : cases) {
    Json body = withHistory(daily, 30);
    c.mutate(body);
    try {
      computeMargin(parseRequest(body));
      ADD_FAILURE() << c.name << ": accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(e.path(), c.path) << c.name << ": " << e.what();
    }
  }
}

TEST(PriceFiles, LoadsTheRepositorysRealCloses) {
  Market m;
  m.asOf = *parseRfc3339("2023-12-31T00:00:00Z");
  m.assets = {{"USD", 1.0, 0, 0, 0}, {"BTC", 42265.2, 0.5, 0, 0}, {"XYZ", 1.0, 0.5, 0, 0}};
  EXPECT_EQ(loadPriceFiles(std::string(XM_SOURCE_DIR) + "/data/prices", m), 1);  // no XYZ file
  const auto& btc = m.history.at(1);
  ASSERT_EQ(btc.size(), 3393u);  // 2014-09-17 .. 2023-12-31 (data/prices/SOURCES.md)
  EXPECT_EQ(btc.front().day, daysFromCivil(2014, 9, 17));
  EXPECT_NEAR(btc.front().close, 457.334, 1e-3);
  // SOURCES.md's checks: BTC 4,970.79 on 2020-03-12 and 15,880.78 on 2022-11-09.
  auto closeOn = [&](long long day) {
    for (const DailyClose& c : btc)
      if (c.day == day) return c.close;
    return -1.0;
  };
  EXPECT_NEAR(closeOn(daysFromCivil(2020, 3, 12)), 4970.79, 0.01);
  EXPECT_NEAR(closeOn(daysFromCivil(2022, 11, 9)), 15880.78, 0.01);
  EXPECT_EQ(btc.back().day, daysFromCivil(2023, 12, 31));
  // An earlier as_of keeps only the closes up to it.
  Market early = m;
  early.history.clear();
  early.asOf = *parseRfc3339("2020-03-12T00:00:00Z");
  loadPriceFiles(std::string(XM_SOURCE_DIR) + "/data/prices", early);
  EXPECT_EQ(early.history.at(1).back().day, daysFromCivil(2020, 3, 12));
}

}  // namespace
}  // namespace xm

#include <algorithm>

#include "host/engine/MarketFactors.h"
#include "scenarios/FactorModel.h"
#include "scenarios/ScenarioGenerator.h"
#include "scenarios/ShockDraws.h"

namespace xm {
namespace {

TEST(Fhs, DayDrawIsPureAndCoversTheRange) {
  std::vector<int> hits(7, 0);
  for (uint64_t s = 0; s < 70000; ++s) {
    const int64_t d = fhsDay(5, s, 7);
    ASSERT_GE(d, 0);
    ASSERT_LT(d, 7);
    ++hits[d];
    ASSERT_EQ(d, fhsDay(5, s, 7));
  }
  for (int h : hits) EXPECT_NEAR(h, 10000, 400);  // uniform: sd ~93 per bin
}

// A heavy-tailed history with constant scale: r_t = sd * t4 draw (unit variance).
Market fatTailedMarket(double dailySd, int days) {
  Market m;
  m.asOf = (19000.0 + days) * 86400;
  m.assets = {{"USD", 1.0, 0, 0, 0}, {"X", 100.0, dailySd * std::sqrt(365.0), 0, 0}};
  m.correlation = Eigen::MatrixXd::Identity(2, 2);
  std::vector<DailyClose> closes{{19000, 100.0}};
  for (int t = 1; t <= days; ++t) {
    const double w = normalDraw(77, static_cast<uint64_t>(t), 0) *
                     studentTScale(77, static_cast<uint64_t>(t), 4.0);
    closes.push_back({19000 + t, closes.back().close * std::exp(dailySd * w)});
  }
  m.history[1] = closes;
  return m;
}

double quantile(std::vector<double> x, double p) {
  std::sort(x.begin(), x.end());
  return x[static_cast<size_t>(p * (x.size() - 1))];
}

TEST(Fhs, ReproducesTheHistorysQuantilesWhenTodaysVolIsTheHistoricalVol) {
  const double sd = 0.03;
  const int lookback = 1500;
  const Market m = fatTailedMarket(sd, 2000);
  const FactorModel model = buildFactorModel(m, CorrelationRepair::None);
  ShockSpec spec{9, false, 0.0, buildFhsTable(m, model, 0.94, lookback)};
  ASSERT_EQ(spec.fhs->residuals.rows(), lookback);
  ShockMatrix z;
  ScenarioGenerator(model, spec).generate(0, 200000, z);
  // Simulated one-day log returns at today's vol (= the history's sd), drift aside.
  std::vector<double> simulated(z.cols());
  for (Eigen::Index s = 0; s < z.cols(); ++s) simulated[s] = sd * z(0, s);
  const std::vector<double> r = logReturns(m.history.at(1));
  const std::vector<double> window(r.end() - lookback, r.end());
  for (double p : {0.005, 0.01, 0.05, 0.95, 0.99, 0.995}) {
    // EWMA's forecast wanders around the true scale (fat tails move it): 15% of the quantile.
    EXPECT_NEAR(quantile(simulated, p), quantile(window, p), 0.15 * std::abs(quantile(window, p)))
        << "p=" << p;
  }
  // And the tails are the history's, not a normal's: the 0.5% quantile beyond 2.576 sd.
  EXPECT_LT(quantile(simulated, 0.005), -2.576 * sd * 1.05);
}

TEST(Fhs, ErrorsNameTheField) {
  Json body = withHistory(0.03, 40);
  body["config"]["shocks"] = {{"fhs", {{"lookback_days", 5}}}};
  try {
    parseRequest(body);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/config/shocks/fhs/lookback_days");
  }
  body["config"]["shocks"] = {{"fhs", Json::object()}};
  body["market"].erase("history");
  body["config"].erase("vol_model");
  try {
    computeMargin(parseRequest(body));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/config/shocks");
  }
  // With 40 days of history only 19 remain after the 20-day burn-in: refused, naming why.
  Json shortHistory = withHistory(0.03, 40);
  shortHistory["config"]["shocks"] = {{"fhs", Json::object()}};
  try {
    computeMargin(parseRequest(shortHistory));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/config/shocks");
    EXPECT_NE(std::string(e.what()).find("burn-in"), std::string::npos);
  }
}

// A history whose implied vol moves against the price: r_t = ±a alternating, ln(iv_t/iv_{t-1})
// = -2 r_t. Every EWMA of constant squares is exact: vol_of_vol 2a√365, spot_vol_corr -1.
std::vector<DailyClose> againstThePrice(double a, int days, long long first = 19000) {
  std::vector<DailyClose> c{{first, 100.0, -1.0, 0.6}};
  for (int t = 1; t <= days; ++t) {
    const double r = t % 2 ? a : -a;
    c.push_back({first + t, c.back().close * std::exp(r), -1.0, c.back().iv * std::exp(-2 * r)});
  }
  return c;
}

TEST(ImpliedVol, EwmaEstimatesVolOfVolAndSpotVolCorrelation) {
  MarketHistory h;
  h[1] = againstThePrice(0.02, 60);
  h[1][10].iv = -1;  // a day without the index: the two changes touching it are left out
  const EwmaEstimate e = estimateEwma(h, 20000, 0.94, 2);
  ASSERT_EQ(e.assets, std::vector<int>{1});
  EXPECT_EQ(e.ivDays[0], 58);
  EXPECT_NEAR(e.volOfVol[0], 0.04 * std::sqrt(365.0), 1e-12);
  EXPECT_NEAR(e.spotVolCorr[0], -1.0, 1e-12);
  // Without iv nothing is estimated.
  h[1] = series({100, 101, 99, 102});
  EXPECT_EQ(estimateEwma(h, 20000, 0.94, 2).ivDays[0], 0);
}

TEST(ImpliedVol, EngineEstimatesTheDynamicsOfOptionUnderlyingsOnly) {
  Json r = test::validRequest();
  Json closes = Json::array();
  for (const DailyClose& c : againstThePrice(0.02, 60)) {
    closes.push_back({{"date", formatDate(c.day)}, {"close", c.close}, {"iv", c.iv}});
  }
  r["market"]["as_of"] = formatRfc3339((19061.0) * 86400);
  r["market"]["history"] = {{"BTC", closes}};
  r["config"]["vol_model"] = {{"ewma", Json::object()}};
  // Only a perpetual is held, but BTC-C in the instruments is an option on BTC: estimated.
  MarginResponse m = computeMargin(parseRequest(r));
  ASSERT_EQ(m.run.estimates.size(), 1u);
  EXPECT_EQ(m.run.estimates[0].ivDays, 60);
  EXPECT_NEAR(m.run.estimates[0].volOfVol, 0.04 * std::sqrt(365.0), 1e-12);
  EXPECT_NEAR(m.run.estimates[0].spotVolCorr, -1.0, 1e-12);
  const Json j = runToJson(m.run);
  EXPECT_NEAR(j["ewma"]["estimates"]["BTC"]["vol_of_vol"].get<double>(), 0.04 * std::sqrt(365.0),
              1e-12);
  EXPECT_EQ(j["ewma"]["estimates"]["BTC"]["iv_days"], 60);
  // A long call's implied vol now rises exactly when the price falls (correlation -1): its vega
  // gain cushions the delta loss of the tail scenarios, so ES falls.
  r["accounts"][0]["positions"] = {test::position("BTC-C", 10, 1000)};
  const double withDynamics = computeMargin(parseRequest(r)).accounts[0].es;
  for (Json& day : r["market"]["history"]["BTC"]) day.erase("iv");
  const double without = computeMargin(parseRequest(r)).accounts[0].es;
  EXPECT_LT(withDynamics, 0.8 * without);
  // No option on the asset: no estimate, no implied-vol factor.
  r = test::validRequest();
  r["instruments"] = Json::array({r["instruments"][0]});
  r["market"]["as_of"] = formatRfc3339((19061.0) * 86400);
  r["market"]["history"] = {{"BTC", closes}};
  r["config"]["vol_model"] = {{"ewma", Json::object()}};
  m = computeMargin(parseRequest(r));
  EXPECT_EQ(m.run.estimates[0].ivDays, 0);
  // iv must be positive; it round-trips through the request writer.
  Json bad = r;
  bad["market"]["history"]["BTC"][3]["iv"] = 0;
  try {
    parseRequest(bad);
    ADD_FAILURE() << "iv 0 accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/market/history/BTC/3/iv");
  }
  EXPECT_DOUBLE_EQ(
      requestToJson(parseRequest(r))["market"]["history"]["BTC"][5]["iv"].get<double>(),
      closes[5]["iv"].get<double>());
}

TEST(ImpliedVol, FhsReplaysTheDaysImpliedVolResidual) {
  // Price and implied vol residuals are all ±1 (constant |change|), of opposite signs each day.
  Market m;
  m.asOf = 19200.0 * 86400;
  m.assets = {{"USD", 1.0}, {"X", 100.0, 0.6, 1.2, 0.3}};  // vol_of_vol 1.2: a vol factor
  m.correlation = Eigen::MatrixXd::Identity(2, 2);
  m.history[1] = againstThePrice(0.02, 150);
  const FactorModel model = buildFactorModel(m, CorrelationRepair::None);
  const auto table = buildFhsTable(m, model, 0.94, 100);
  ASSERT_EQ(table->volColumn.size(), 1u);
  ASSERT_EQ(table->volColumn[0], 1);
  ASSERT_EQ(table->residuals.rows(), 100);
  for (Eigen::Index d = 0; d < table->residuals.rows(); ++d) {
    EXPECT_NEAR(std::abs(table->residuals(d, 0)), 1.0, 1e-12);
    EXPECT_NEAR(table->residuals(d, 1), -table->residuals(d, 0), 1e-12);
  }
  ShockMatrix z;
  ScenarioGenerator(model, {3, false, 0.0, table}).generate(0, 1000, z);
  const int price = model.priceFactorOf[1], vol = model.volFactorOf[1];
  for (Eigen::Index s = 0; s < z.cols(); ++s) {
    ASSERT_NEAR(std::abs(z(price, s)), 1.0, 1e-12);
    ASSERT_NEAR(z(vol, s), -z(price, s), 1e-12) << s;  // the same day's implied-vol residual
  }
  // Without iv in the history the vol factor falls back to rho z + sqrt(1 - rho²) eps.
  for (DailyClose& c : m.history[1]) c.iv = -1;
  const auto plain = buildFhsTable(m, model, 0.94, 100);
  EXPECT_EQ(plain->volColumn[0], -1);
  EXPECT_EQ(plain->residuals.cols(), 1);
}

TEST(ImpliedVol, IndexFilesAttachToTheHistorysCloses) {
  Market m;
  m.asOf = parseRfc3339("2021-03-26T00:00:00Z").value();
  m.assets = {{"USD", 1.0}, {"BTC", 50000.0, 0.8}, {"LTC", 100.0, 0.9}};
  ASSERT_EQ(loadPriceFiles(XM_SOURCE_DIR "/data/prices", m), 2);
  EXPECT_EQ(loadImpliedVolFiles(XM_SOURCE_DIR "/data/implied_vol", m), 1);  // no LTC index
  const std::vector<DailyClose>& btc = m.history.at(1);
  // data/implied_vol/BTC-DVOL_1d.csv: 2021-03-24 close 95.04, 2021-03-25 89.74; none before.
  EXPECT_EQ(btc[btc.size() - 4].iv, -1.0);
  EXPECT_DOUBLE_EQ(btc[btc.size() - 3].iv, 0.9504);
  EXPECT_DOUBLE_EQ(btc[btc.size() - 2].iv, 0.8974);
  EXPECT_EQ(formatDate(btc[btc.size() - 3].day), "2021-03-24");
}

}  // namespace
}  // namespace xm
