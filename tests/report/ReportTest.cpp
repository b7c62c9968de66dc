// The risk report (api/report): money and tick formatting, the figures a response is reduced to
// (coverage bins, the riskiest accounts, diversification by size), the page's charts, and the
// errors a document that is not a response gets, with the field's JSON Pointer.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "api/report/Report.h"
#include "api/report/Svg.h"
#include "host/model/Errors.h"

namespace xm::report {
namespace {

// One account of a response (contract §4) with the given equity, ES and IM.
std::string accountJson(const std::string& id, double equity, double es, double im,
                        const std::string& status, double hedge = 0.0) {
  const double isolated = es + 2.0 * std::abs(hedge);
  return R"({"id":")" + id + R"(","equity":)" + std::to_string(equity) + R"(,"var":)" +
         std::to_string(0.9 * es) + R"(,"es":)" + std::to_string(es) +
         R"(,"es_stderr":1.5,"isolated_margin":)" + std::to_string(isolated) +
         R"(,"diversification_benefit":)" + std::to_string(1.0 - im / isolated) +
         R"(,"initial_margin":)" + std::to_string(im) + R"(,"maintenance_margin":)" +
         std::to_string(im / 2) + R"(,"excess":)" + std::to_string(equity - im) + R"(,"status":")" +
         status + R"(","positions":[{"instrument":"BTC-PERP","value":-2000,)" +
         R"("standalone_es":)" + std::to_string(es + std::abs(hedge)) + R"(,"es_contribution":)" +
         std::to_string(es - hedge) + R"(},{"instrument":"BTC-C","value":1500,"standalone_es":)" +
         std::to_string(std::abs(hedge)) + R"(,"es_contribution":)" + std::to_string(hedge) +
         R"(}],"collateral":[]})";
}

std::string responseJson() {
  return R"({"accounts":[)" + accountJson("a1", 1000.0, 100.0, 100.0, "ok", -30.0) + "," +
         accountJson("a2", 150.0, 200.0, 200.0, "margin_call") + "," +
         accountJson("a3", 50.0, 300.0, 300.0, "liquidate", 40.0) + "," +
         accountJson("a4", -10.0, 50.0, 50.0, "liquidate") +
         R"(],"run":{"backend":"cpu","scenarios":1000,"seed":1},)" +
         R"("totals":{"accounts":4,"equity":1190,"initial_margin":650,"maintenance_margin":325,)" +
         R"("isolated_margin":790,"ok":1,"margin_call":1,"liquidate":2}})";
}

TEST(ReportFormat, MoneyGroupsThousandsAndKeepsCentsBelowAThousand) {
  EXPECT_EQ(money(0.0), "0.00");
  EXPECT_EQ(money(12.345), "12.35");  // %.2f rounds half away here: 12.345 is 12.3450000000000006
  EXPECT_EQ(money(-12.34), "-12.34");
  EXPECT_EQ(money(999.99), "999.99");
  EXPECT_EQ(money(1000.0), "1,000");
  EXPECT_EQ(money(-1234567.4), "-1,234,567");
  EXPECT_EQ(money(1234567890.6), "1,234,567,891");
  EXPECT_EQ(money(-0.001), "0.00");  // no "-0.00"
  // Found by fuzzing: 1e300 has 301 digits, past the buffer; from 1e15 up, scientific.
  EXPECT_EQ(money(1e300), "1.000e+300");
  EXPECT_EQ(money(-2.5e15), "-2.500e+15");
  EXPECT_EQ(money(999999999999999.0), "999,999,999,999,999");
  EXPECT_EQ(money(std::numeric_limits<double>::quiet_NaN()), "\u2013");
  EXPECT_EQ(money(std::numeric_limits<double>::infinity()), "\u2013");
  EXPECT_EQ(percent(0.1234), "12.3%");
  EXPECT_EQ(percent(-0.5, 0), "-50%");
}

TEST(ReportFormat, EscapesEveryHtmlMetacharacter) {
  EXPECT_EQ(escapeHtml(R"(<a href="x">&'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(escapeHtml("BTC-26DEC26"), "BTC-26DEC26");
}

TEST(ReportFormat, TicksAreOneTwoOrFiveTimesAPowerOfTenAndCoverTheRange) {
  const std::vector<double> t = niceTicks(0.0, 97.0, 5);
  ASSERT_FALSE(t.empty());
  EXPECT_LE(t.front(), 0.0);
  EXPECT_GE(t.back(), 97.0);
  EXPECT_EQ(t.size(), 3u);
  const double step = t[1] - t[0];
  EXPECT_DOUBLE_EQ(step, 50.0);  // 97 / 4 = 24.25 rounds up to 50: 0, 50, 100
  for (size_t i = 1; i < t.size(); ++i) EXPECT_NEAR(t[i] - t[i - 1], step, 1e-9);

  const std::vector<double> m = niceTicks(-3.2e6, 1.1e6, 6);
  EXPECT_LE(m.front(), -3.2e6);
  EXPECT_GE(m.back(), 1.1e6);
  EXPECT_DOUBLE_EQ(m[1] - m[0], 1e6);
  EXPECT_DOUBLE_EQ(m.back(), 2e6);  // 1.1M is above the 1M tick: the axis goes on to 2M
}

TEST(ReportBuilder, ReducesAResponseToCoverageRiskiestAndDiversification) {
  ReportBuilder b;
  readResponse(responseJson(), b, "RESPONSE");
  EXPECT_EQ(b.accounts(), 4);

  // Coverage equity / IM: 10 (above the top), 0.75 (bin 7), 0.1667 (bin 1), below zero.
  EXPECT_EQ(b.coverageAbove(), 1);
  EXPECT_EQ(b.coverageBelowZero(), 1);
  EXPECT_EQ(b.coverage()[7], 1);
  EXPECT_EQ(b.coverage()[1], 1);
  int64_t binned = 0;
  for (int64_t c : b.coverage()) binned += c;
  EXPECT_EQ(binned, 2);
  EXPECT_EQ(b.noMargin(), 0);

  const std::vector<ReportBuilder::Risky> r = b.riskiest();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].id, "a3");
  EXPECT_EQ(r[1].id, "a2");
  EXPECT_EQ(r[2].id, "a1");
  EXPECT_EQ(r[3].id, "a4");
  EXPECT_EQ(r[0].status, "liquidate");
  ASSERT_EQ(r[2].legs.size(), 2u);
  EXPECT_DOUBLE_EQ(r[2].legs[0].esContribution + r[2].legs[1].esContribution, 100.0);
  EXPECT_DOUBLE_EQ(r[2].legs[1].esContribution, -30.0);  // the hedge

  // Every account has two legs: one bucket, holding all four.
  ASSERT_EQ(b.bySize().size(), 1u);
  const ReportBuilder::Bucket& two = b.bySize().begin()->second;
  EXPECT_EQ(two.accounts, 4);
  EXPECT_NEAR(two.margin, 650.0, 1e-9);
  EXPECT_NEAR(two.isolated, 790.0, 1e-9);
  EXPECT_FALSE(b.exposureByAsset());  // no request: exposure by instrument
}

TEST(ReportBuilder, KeepsOnlyTheRiskiestHundred) {
  std::string doc = R"({"accounts":[)";
  for (int i = 0; i < 250; ++i) {
    if (i > 0) doc += ",";
    doc += accountJson("x" + std::to_string(i), 1e6, 10.0 + i, 10.0 + i, "ok");
  }
  doc +=
      R"(],"run":{},"totals":{"accounts":250,"equity":0,"initial_margin":0,"maintenance_margin":0,)"
      R"("isolated_margin":0,"ok":250,"margin_call":0,"liquidate":0}})";
  ReportBuilder b;
  readResponse(doc, b, "RESPONSE");
  const std::vector<ReportBuilder::Risky> r = b.riskiest();
  ASSERT_EQ(r.size(), ReportBuilder::kRiskiest);
  EXPECT_EQ(r.front().id, "x249");
  EXPECT_EQ(r.back().id, "x150");
  EXPECT_EQ(b.accounts(), 250);
}

TEST(ReportHtml, EveryChartIsOneSvgAndTheTablesAreSortable) {
  ReportBuilder b;
  readResponse(responseJson(), b, "RESPONSE");
  const std::string page = b.html("Nightly <run>", "2026-12-05T00:00:00Z");
  EXPECT_NE(page.find("<title>Nightly &lt;run&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<script src"), std::string::npos);  // self-contained
  EXPECT_EQ(page.find("http://"), std::string::npos);
  for (const char* id : {"status", "coverage", "margin-saved", "diversification", "exposure-es"}) {
    const std::string mark = std::string("data-chart=\"") + id;
    EXPECT_NE(page.find(mark), std::string::npos) << id;
  }
  EXPECT_NE(page.find("data-chart=\"contrib-1\""), std::string::npos);
  // a3's hedge and a1's show as bars; the coverage chart has its two rules.
  EXPECT_NE(page.find("class=\"rule\""), std::string::npos);
  EXPECT_NE(page.find("class=\"sortable"), std::string::npos);
  EXPECT_NE(page.find("margin_call"), std::string::npos);
}

void expectInputError(const std::string& body, const std::string& path) {
  try {
    reportFromText(body, Limits{}, "2026-12-05T00:00:00Z");
    ADD_FAILURE() << "accepted: " << body.substr(0, 80);
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), path) << e.what();
  }
}

TEST(ReportInput, NamesTheFieldOfEveryBadDocument) {
  expectInputError("{", "");
  expectInputError("[]", "");
  expectInputError("{}", "/response");
  expectInputError(R"({"response": 3})", "/response");
  expectInputError(R"({"response": {"accounts": [{"id": "a"}]}})", "/response/accounts/0/status");
  expectInputError(R"({"response": {"accounts": [{"id": "a", "status": "ok", "equity": "x"}]}})",
                   "/response/accounts/0/equity");
  expectInputError(R"({"response": )" + responseJson() + R"(, "title": 5})", "/title");
  expectInputError(R"({"response": )" + responseJson() + R"(, "series": "x,y\n"})", "/series");
  expectInputError(std::string(40, '[') + std::string(40, ']'), "");
}

TEST(ReportInput, AValidBodyGivesAPage) {
  const std::string page = reportFromText(
      R"({"response": )" + responseJson() + R"(, "title": "T"})", Limits{}, "2026-12-05T00:00:00Z");
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("2026-12-05T00:00:00Z"), std::string::npos);
}

TEST(ReportHtml, TheBacktestShowsEachComparedMethodAndItsThroughTimeChart) {
  ReportBuilder b;
  readResponse(responseJson(), b, "RESPONSE");
  b.backtest(Json::parse(R"({"backtest": {"start": "2023-01-02", "end": "2023-01-03",
      "test_days": 2, "horizon_days": 1, "confidence": 0.99},
    "accounts": [{"id": "p1", "days": 2, "var_exceedances": 1, "margin_breaches": 1,
      "methods": {"es": {"margin_breaches": 1, "breach_rate": 0.5, "mean_margin": 12},
                  "grid": {"margin_breaches": 0, "breach_rate": 0.0, "mean_margin": 30}}}]})"),
             readBacktestSeries("date,account,var,es,initial_margin,loss\n"
                                "2023-01-02,p1,10,12,12,3\n2023-01-03,p1,10,12,12,15\n",
                                "SERIES"));
  const std::string page = b.html("T", "2026-12-05T00:00:00Z");
  EXPECT_NE(page.find("data-chart=\"backtest-methods\""), std::string::npos);
  EXPECT_NE(page.find("data-chart=\"backtest-1\""), std::string::npos);
  EXPECT_NE(page.find("50.00%"), std::string::npos);  // es's breach rate in the table
  // The day with loss 15 > IM 12 is a breach marker; loss 3 is neither.
  EXPECT_NE(page.find("circle class=\"marker breach"), std::string::npos);
}

TEST(ReportSeries, ReadsTheBacktestSeriesAndRejectsABadLine) {
  const std::vector<SeriesRow> rows = readBacktestSeries(
      "date,account,var,es,initial_margin,loss\n2023-01-02,a,1,2,3,4\n2023-01-03,a,1,2,3,-4\n",
      "SERIES");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].day - rows[0].day, 1);
  EXPECT_DOUBLE_EQ(rows[0].initialMargin, 3.0);
  EXPECT_DOUBLE_EQ(rows[1].loss, -4.0);
  EXPECT_THROW(
      readBacktestSeries("date,account,var,es,initial_margin,loss\n2023-01-02,a,1\n", "SERIES"),
      InputError);
}

}  // namespace
}  // namespace xm::report
