// The command line: `run` prints a contract-shaped response; bad input prints the error object
// on stderr and exits 2; --out writes atomically.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/cli/Cli.h"
#include "api/json/CsvWriter.h"
#include "api/json/JsonCodec.h"
#include "api/mpi/DistributedRun.h"
#include "host/margin/MarginEngine.h"
#include "tests/CliSupport.h"

namespace xm {
namespace {

using test::Captured;
using test::cli;
using test::kExample;
using test::temp;

TEST(Cli, RunPrintsAContractShapedResponse) {
  const Captured c = cli({"run", kExample});
  ASSERT_EQ(c.status, 0) << c.err;
  const Json r = Json::parse(c.out);
  for (const char* k : {"run", "accounts", "totals"}) EXPECT_TRUE(r.contains(k)) << k;
  for (const char* k : {"backend", "device", "scenarios", "seed", "elapsed_ms", "version"})
    EXPECT_TRUE(r["run"].contains(k)) << k;
  const Json& a = r["accounts"][0];
  for (const char* k :
       {"id", "equity", "var", "es", "es_stderr", "isolated_margin", "diversification_benefit",
        "initial_margin", "maintenance_margin", "excess", "status", "positions", "collateral"})
    EXPECT_TRUE(a.contains(k)) << k;
  EXPECT_EQ(a["id"], "acct-1");
  ASSERT_EQ(a["positions"].size(), 2u);
  EXPECT_EQ(a["positions"][0]["instrument"], "BTC-PERP");
  for (const char* k : {"instrument", "value", "standalone_es", "es_contribution"})
    EXPECT_TRUE(a["positions"][0].contains(k)) << k;
  EXPECT_EQ(a["collateral"][1]["asset"], "BTC");
  EXPECT_DOUBLE_EQ(a["collateral"][1]["value"].get<double>(), 1.5 * 91000);
  EXPECT_DOUBLE_EQ(a["positions"][0]["value"].get<double>(), -2.0 * (91000 - 90000));
  for (const char* k :
       {"accounts", "equity", "initial_margin", "isolated_margin", "margin_call", "liquidate"})
    EXPECT_TRUE(r["totals"].contains(k)) << k;
  // The hedge works: short perp against long calls and BTC collateral diversifies strongly.
  EXPECT_GT(a["diversification_benefit"].get<double>(), 0.5);
  EXPECT_EQ(a["status"], "ok");
}

TEST(Cli, BadInputPrintsTheErrorObjectAndExits2) {
  const std::string path = temp("bad.json");
  std::ifstream in(kExample);
  Json body = Json::parse(in);
  body["accounts"][0]["positions"][1]["instrument"] = "NOPE";
  std::ofstream(path) << body.dump();
  const Captured c = cli({"run", path});
  EXPECT_EQ(c.status, 2);
  EXPECT_TRUE(c.out.empty());
  const Json e = Json::parse(c.err);
  EXPECT_EQ(e["error"]["code"], "invalid_request");
  EXPECT_EQ(e["error"]["path"], "/accounts/0/positions/1/instrument");

  std::ofstream(path) << "{\"market\": ";
  EXPECT_EQ(cli({"run", path}).status, 2);
  EXPECT_EQ(cli({"run", temp("does-not-exist.json")}).status, 2);
  EXPECT_EQ(cli({"frobnicate"}).status, 2);
  EXPECT_EQ(cli({"run", kExample, "--batch-accounts", "zero"}).status, 2);
  EXPECT_EQ(cli({"run", kExample, "--no-such-flag"}).status, 2);
}

TEST(Cli, OutWritesTheWholeResponseOrNothing) {
  const std::string out = temp("out.json");
  std::filesystem::remove(out);
  ASSERT_EQ(cli({"run", kExample, "--out", out}).status, 0);
  std::ifstream in(out);
  const Json r = Json::parse(in);
  EXPECT_EQ(r["totals"]["accounts"], 1);
  // A failing run leaves an existing file untouched.
  const std::string bad = temp("bad2.json");
  std::ofstream(bad) << "{}";
  EXPECT_EQ(cli({"run", bad, "--out", out}).status, 2);
  std::ifstream again(out);
  EXPECT_EQ(Json::parse(again)["totals"]["accounts"], 1);
}

TEST(Cli, OutToADeviceWritesThroughIt) {
  // Renaming a temporary file over /dev/null would replace the device (as root) or fail.
  ASSERT_TRUE(std::filesystem::is_character_file("/dev/null"));
  const Captured c = cli({"run", kExample, "--out", "/dev/null"});
  EXPECT_EQ(c.status, 0) << c.err;
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
  EXPECT_FALSE(std::filesystem::exists("/dev/null.tmp"));
}

TEST(Cli, HelpEverywhere) {
  for (auto args : std::vector<std::vector<std::string>>{{"--help"},
                                                         {"run", "--help"},
                                                         {"demo", "--help"},
                                                         {"generate", "--help"},
                                                         {"backtest", "--help"},
                                                         {"simulate", "--help"},
                                                         {"whatif", "--help"},
                                                         {"neutralize", "--help"},
                                                         {"info", "--help"}}) {
    const Captured c = cli(args);
    EXPECT_EQ(c.status, 0);
    EXPECT_NE(c.out.find("xmargin"), std::string::npos);
  }
}

// run --snapshot, whatif and neutralize (contract §10): the accounts of a request naming a
// snapshot file give the full request's figures; marks give a full request's at the new prices.
TEST(Cli, SnapshotFilesGiveTheFullRequestsFigures) {
  Json example = Json::parse(std::ifstream(kExample));
  Json definition = example;
  definition.erase("accounts");
  const std::string market = test::temp("market.json"), accounts = test::temp("accounts.json"),
                    marks = test::temp("marks.json"), whatif = test::temp("whatif.json"),
                    moved = test::temp("moved.json");
  std::ofstream(market) << definition.dump();
  std::ofstream(accounts)
      << Json{{"snapshot", "xm-cli-test-market"}, {"accounts", example["accounts"]}}.dump();
  const Captured full = cli({"run", kExample});
  const Captured mine = cli({"run", accounts, "--snapshot", market});
  ASSERT_EQ(mine.status, 0) << mine.err;
  EXPECT_EQ(Json::parse(mine.out)["accounts"], Json::parse(full.out)["accounts"]);
  // Marks: BTC at 88,000, as a full request at that price.
  std::ofstream(marks) << R"({"prices": {"BTC": 88000}})";
  Json atMarks = example;
  atMarks["market"]["assets"][1]["price"] = 88000;
  std::ofstream(moved) << atMarks.dump();
  const Captured movedFull = cli({"run", moved});
  const Captured movedMine = cli({"run", accounts, "--snapshot", market, "--marks", marks});
  ASSERT_EQ(movedMine.status, 0) << movedMine.err;
  EXPECT_EQ(Json::parse(movedMine.out)["accounts"], Json::parse(movedFull.out)["accounts"]);
  EXPECT_NE(Json::parse(movedMine.out)["accounts"], Json::parse(mine.out)["accounts"]);
  // What-if: "before" is the account's figures.
  std::ofstream(whatif) << Json{{"snapshot", "xm-cli-test-market"},
                                {"account", example["accounts"][0]},
                                {"trades",
                                 {{{"instrument", "BTC-PERP"}, {"qty", 2}, {"price", 91000}}}}}
                               .dump();
  const Captured w = cli({"whatif", whatif, "--snapshot", market});
  ASSERT_EQ(w.status, 0) << w.err;
  EXPECT_EQ(Json::parse(w.out)["before"], Json::parse(full.out)["accounts"][0]);
  // Errors: a request naming another snapshot, --marks without --snapshot, whatif without one.
  std::ofstream(accounts) << Json{{"snapshot", "other"}, {"accounts", Json::array()}}.dump();
  const Captured other = cli({"run", accounts, "--snapshot", market});
  EXPECT_EQ(other.status, 2);
  EXPECT_NE(other.err.find("\"path\":\"/snapshot\""), std::string::npos) << other.err;
  EXPECT_EQ(cli({"run", kExample, "--marks", marks}).status, 2);
  EXPECT_EQ(cli({"whatif", whatif}).status, 2);
  // Neutralize: the contract's healthy account gets no trades.
  const Captured n = cli({"neutralize", kExample});
  ASSERT_EQ(n.status, 0) << n.err;
  EXPECT_EQ(Json::parse(n.out)["accounts"][0]["outcome"], "healthy");
  for (const std::string& f : {market, accounts, marks, whatif, moved}) std::remove(f.c_str());
}

TEST(Cli, DemoPrintsASummary) {
  const Captured c = cli({"demo", "--accounts", "300", "--scenarios", "2000", "--top", "3"});
  ASSERT_EQ(c.status, 0) << c.err;
  for (const char* s :
       {"Accounts by status", "saved by cross-margining", "Riskiest accounts", "liquidate",
        "What happens next", "Monte Carlo: 200 paths x 24 steps", "crash", "Cover-2"})
    EXPECT_NE(c.out.find(s), std::string::npos) << s;
}

TEST(Cli, SimulatePrintsJsonOrATableAndNamesBadFields) {
  const std::string path = temp("simulate.json");
  Json body = Json::parse(std::ifstream(kExample));
  for (Json& a : body["market"]["assets"]) a["daily_volume"] = 1e9;
  body["clearing"] = {{"paths", 10},
                      {"steps", 3},
                      {"stress_paths", {{{"name", "crash"}, {"returns", {{"BTC", {-0.5}}}}}}}};
  std::ofstream(path) << body.dump();
  const Captured json = cli({"simulate", path});
  ASSERT_EQ(json.status, 0) << json.err;
  const Json answer = Json::parse(json.out);
  EXPECT_EQ(answer["simulation"]["monte_carlo"]["paths"], 10);
  EXPECT_EQ(answer["t0"]["accounts"].size(), body["accounts"].size());
  const Captured table = cli({"simulate", path, "--format", "table"});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("crash"), std::string::npos) << table.out;
  body["clearing"]["steps"] = 0;
  std::ofstream(path) << body.dump();
  const Captured bad = cli({"simulate", path});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(Json::parse(bad.err)["error"]["path"], "/clearing/steps");
  EXPECT_EQ(cli({"simulate", path, "--format", "xml"}).status, 2);
}

}  // namespace
}  // namespace xm

namespace xm {
namespace {

using test::Captured;
using test::cli;
using test::kExample;
using test::temp;

TEST(Cli, IdsNeedingEscapesSurviveTheResponseWriter) {
  std::ifstream in(kExample);
  Json body = Json::parse(in);
  const std::string tricky = "acct \"q\" \\ back\tslash \u00e9\u4e2d";
  body["accounts"][0]["id"] = tricky;
  const std::string path = temp("escape.json");
  std::ofstream(path) << body.dump();
  const Captured c = cli({"run", path});
  ASSERT_EQ(c.status, 0) << c.err;
  const Json r = Json::parse(c.out);
  EXPECT_EQ(r["accounts"][0]["id"], tricky);
  // And numbers read back exactly: the response's values equal the in-memory results.
  const MarginRequest req = parseRequest(body);
  const MarginResponse mem = computeMargin(req);
  EXPECT_EQ(r["accounts"][0]["es"].get<double>(), mem.accounts[0].es);
  EXPECT_EQ(r["accounts"][0]["positions"][1]["value"].get<double>(),
            mem.accounts[0].positions[1].value);
}

TEST(Cli, BacktestOnTheRepositorysPricesAndExamplePortfolios) {
  const std::string prices = std::string(XM_SOURCE_DIR) + "/data/prices";
  const std::string portfolio = std::string(XM_SOURCE_DIR) + "/examples/backtest/portfolios.json";
  const std::string config = temp("backtest-config.json"), series = temp("backtest-series.csv");
  std::ofstream(config) << R"({"scenarios": 2000, "vol_model": {"ewma": {"lambda": 0.94}}})";
  Captured c = cli({"backtest", "--prices", prices, "--portfolio", portfolio, "--start",
                    "2022-11-01", "--end", "2022-11-30", "--config", config, "--series", series});
  ASSERT_EQ(c.status, 0) << c.err;
  const Json r = Json::parse(c.out);
  EXPECT_EQ(r["backtest"]["test_days"], 30);
  EXPECT_EQ(r["backtest"]["config"]["vol_model"]["ewma"]["lambda"], 0.94);
  ASSERT_EQ(r["accounts"].size(), 4u);
  EXPECT_EQ(r["accounts"][0]["id"], "outright-btc");
  EXPECT_EQ(r["accounts"][0]["days"], 30);
  // FTX's collapse (2022-11-08/09, BTC -10% and -14%) is in the month: the worst loss of a long
  // BTC perpetual is the 2022-11-08 close to the 2022-11-09 close.
  EXPECT_EQ(r["accounts"][0]["worst_loss_date"], "2022-11-08");
  EXPECT_GE(r["accounts"][0]["var_exceedances"].get<int>(), 1);
  std::ifstream in(series);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header, "date,account,var,es,initial_margin,loss");
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, 30 * 4);

  c = cli({"backtest", "--prices", prices, "--portfolio", portfolio, "--start", "2022-11-01",
           "--end", "2022-11-05", "--config", config, "--format", "table"});
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_NE(c.out.find("kupiec_p"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("short-straddle"), std::string::npos) << c.out;

  // Usage errors exit 2 with the error object.
  for (auto args : std::vector<std::vector<std::string>>{
           {"backtest", "--prices", prices, "--portfolio", portfolio, "--start", "2022-11-31",
            "--end", "2022-12-01"},
           {"backtest", "--prices", prices, "--portfolio", portfolio, "--end", "2022-12-01"},
           {"backtest", "--prices", prices, "--portfolio", portfolio, "--start", "2022-12-02",
            "--end", "2022-12-01"},
           {"backtest", "--prices", prices, "--portfolio", portfolio, "--start", "2022-11-01",
            "--end", "2022-11-02", "--format", "xml"},
           {"backtest", "--prices", "/nonexistent", "--portfolio", portfolio, "--start",
            "2022-11-01", "--end", "2022-11-02"},
           {"backtest", "--prices", prices, "--portfolio", "/nonexistent.json", "--start",
            "2022-11-01", "--end", "2022-11-02"}}) {
    c = cli(args);
    EXPECT_EQ(c.status, 2) << args[5];
    EXPECT_TRUE(Json::parse(c.err).contains("error")) << c.err;
  }
  std::filesystem::remove(config);
  std::filesystem::remove(series);
}

TEST(Cli, BacktestByMarginMethod) {
  const std::string prices = std::string(XM_SOURCE_DIR) + "/data/prices";
  const std::string portfolio = std::string(XM_SOURCE_DIR) + "/examples/backtest/portfolios.json";
  const std::string config = temp("methods-config.json"), series = temp("methods-series.csv");
  std::ofstream(config) << R"({"scenarios": 2000, "flat": {
      "BTC-PERP": {"imf": 0.05, "mmf": 0.03}, "ETH-PERP": {"imf": 0.05, "mmf": 0.03},
      "ADA-PERP": {"imf": 0.1, "mmf": 0.05}, "XRP-PERP": {"imf": 0.1, "mmf": 0.05},
      "DOGE-PERP": {"imf": 0.1, "mmf": 0.05}, "LINK-PERP": {"imf": 0.1, "mmf": 0.05},
      "LTC-PERP": {"imf": 0.1, "mmf": 0.05}, "BTC-30D-C": {"imf": 0.15, "mmf": 0.075},
      "BTC-30D-P": {"imf": 0.15, "mmf": 0.075}}})";
  Captured c = cli({"backtest", "--prices", prices, "--portfolio", portfolio, "--start",
                    "2022-11-01", "--end", "2022-11-30", "--config", config, "--method", "grid",
                    "--compare", "es,flat", "--series", series});
  ASSERT_EQ(c.status, 0) << c.err;
  const Json r = Json::parse(c.out);
  EXPECT_EQ(r["backtest"]["config"]["method"], "grid");
  const Json& btc = r["accounts"][0];
  ASSERT_EQ(btc["methods"].size(), 3u);
  // The method sets the margin the report's margin_breaches count against.
  EXPECT_EQ(btc["methods"]["grid"]["margin_breaches"], btc["margin_breaches"]);
  EXPECT_EQ(btc["methods"]["grid"]["mean_margin"], btc["mean_margin"]);
  // 1 BTC at 5%: the flat margin is 5% of each day's close; November 2022's closes average
  // 17,600.81 in data/prices.
  EXPECT_NEAR(btc["methods"]["flat"]["mean_margin"].get<double>(), 0.05 * 17600.81, 0.01);
  // FTX: BTC fell 14% from the 8th to the 9th, past a 5% flat margin; ES and grid may hold.
  EXPECT_GE(btc["methods"]["flat"]["margin_breaches"].get<int>(), 1);
  std::ifstream in(series);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "date,account,var,es,initial_margin,loss,im_es,im_flat");

  // The method given twice, or unknown: exit 2 naming it.
  std::ofstream(config) << R"({"method": "es"})";
  c = cli({"backtest", "--prices", prices, "--portfolio", portfolio, "--start", "2022-11-01",
           "--end", "2022-11-02", "--config", config, "--method", "grid"});
  EXPECT_EQ(c.status, 2);
  EXPECT_NE(c.err.find("give it once"), std::string::npos) << c.err;
  c = cli({"backtest", "--prices", prices, "--portfolio", portfolio, "--start", "2022-11-01",
           "--end", "2022-11-02", "--compare", "grid,span"});
  EXPECT_EQ(c.status, 2);
  EXPECT_EQ(Json::parse(c.err)["error"]["path"], "/config/compare/1") << c.err;
  std::filesystem::remove(config);
  std::filesystem::remove(series);
}

}  // namespace
}  // namespace xm

namespace xm {
namespace {

// The MPI job's account ranges (api/mpi): contiguous, each boundary nearest its share of legs.
TEST(MpiRanges, BalancedByLegs) {
  using mpi::rangesByLegs;
  // 16 legs, half is 8: after account 3 (4 legs) or after account 4 (14): 4 is nearer.
  EXPECT_EQ(rangesByLegs({1, 1, 1, 1, 10, 1, 1}, 2), (std::vector<int64_t>{0, 4, 7}));
  // Even accounts: even counts; an account without legs counts as 1.
  EXPECT_EQ(rangesByLegs({2, 2, 2, 2, 2, 2}, 3), (std::vector<int64_t>{0, 2, 4, 6}));
  EXPECT_EQ(rangesByLegs({0, 0, 0, 0}, 2), (std::vector<int64_t>{0, 2, 4}));
  // More ranks than accounts: the last ranks get none; no accounts: every range empty.
  EXPECT_EQ(rangesByLegs({5}, 3), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(rangesByLegs({}, 2), (std::vector<int64_t>{0, 0, 0}));
  // One rank: everything.
  EXPECT_EQ(rangesByLegs({3, 1, 4}, 1), (std::vector<int64_t>{0, 3}));
}

}  // namespace
}  // namespace xm

namespace xm {
namespace {

// RFC 4180 rows (quoted cells with doubled quotes), as csvCell writes them.
std::vector<std::vector<std::string>> readCsv(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\n') {
      rows.emplace_back(1);
    } else {
      rows.back().back().push_back(c);
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

// A cell equals the JSON value it came from: strings as they are, numbers exactly.
void expectCell(const std::string& cell, const Json& v, const std::string& where) {
  if (v.is_string())
    EXPECT_EQ(cell, v.get<std::string>()) << where;
  else if (v.is_number())
    EXPECT_EQ(std::stod(cell), v.get<double>()) << where;
  else
    EXPECT_EQ(Json::parse(cell), v) << where;
}

TEST(Cli, CsvFilesHoldEveryFieldOfTheJsonResponse) {
  const std::string request = test::temp("csv-request.json"), dir = test::temp("csv-out");
  std::filesystem::remove_all(dir);
  ASSERT_EQ(test::cli({"generate", "demo", "--accounts", "300", "--scenarios", "2000", "--out",
                       request, "--quiet"})
                .status,
            0);
  const test::Captured json = test::cli({"run", request});
  ASSERT_EQ(json.status, 0) << json.err;
  const Json r = Json::parse(json.out);
  const test::Captured csv = test::cli({"run", request, "--format", "csv", "--out", dir});
  ASSERT_EQ(csv.status, 0) << csv.err;

  const auto accounts = readCsv(dir + "/accounts.csv");
  ASSERT_EQ(accounts.size(), r["accounts"].size() + 1);
  const std::vector<std::string>& header = accounts[0];
  size_t positions = 0, collateral = 0;
  for (size_t i = 0; i < r["accounts"].size(); ++i) {
    const Json& a = r["accounts"][i];
    ASSERT_EQ(accounts[i + 1].size(), header.size());
    size_t fields = 0;
    for (size_t c = 0; c < header.size(); ++c) {
      ASSERT_TRUE(a.contains(header[c])) << header[c];
      expectCell(accounts[i + 1][c], a[header[c]], a["id"].get<std::string>() + " " + header[c]);
    }
    for (auto it = a.begin(); it != a.end(); ++it)
      fields += it.key() != "positions" && it.key() != "collateral";
    EXPECT_EQ(fields, header.size());  // no field left out
    positions += a["positions"].size();
    collateral += a["collateral"].size();
  }
  // One row per position and per collateral asset, keyed by the account and its index.
  const auto ps = readCsv(dir + "/positions.csv");
  ASSERT_EQ(ps.size(), positions + 1);
  EXPECT_EQ(ps[0][0], "account");
  EXPECT_EQ(ps[0][1], "index");
  for (size_t row = 1; row < ps.size(); row += 97) {
    const Json* acct = nullptr;
    for (const Json& a : r["accounts"])
      if (a["id"] == ps[row][0]) acct = &a;
    ASSERT_NE(acct, nullptr) << ps[row][0];
    const Json& p = (*acct)["positions"][std::stoul(ps[row][1])];
    for (size_t c = 2; c < ps[0].size(); ++c) expectCell(ps[row][c], p[ps[0][c]], ps[0][c]);
  }
  EXPECT_EQ(readCsv(dir + "/collateral.csv").size(), collateral + 1);
  // The run and the totals beside them.
  std::ifstream runFile(dir + "/run.json");
  const Json run = Json::parse(runFile);
  EXPECT_EQ(run["totals"], r["totals"]);
  EXPECT_EQ(run["run"]["scenarios"], r["run"]["scenarios"]);

  // MessagePack: the same document.
  const std::string packed = test::temp("run.msgpack");
  ASSERT_EQ(test::cli({"run", request, "--format", "msgpack", "--out", packed}).status, 0);
  std::ifstream pin(packed, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(pin)), {});
  Json unpacked = Json::from_msgpack(bytes);
  EXPECT_EQ(unpacked["accounts"], r["accounts"]);

  // Usage errors name the option.
  const test::Captured noOut = test::cli({"run", request, "--format", "csv"});
  EXPECT_EQ(noOut.status, 2);
  EXPECT_NE(noOut.err.find("--out DIR"), std::string::npos) << noOut.err;
  const test::Captured xml = test::cli({"run", request, "--format", "xml"});
  EXPECT_EQ(xml.status, 2);
  EXPECT_NE(xml.err.find("json, msgpack or csv"), std::string::npos) << xml.err;
  std::filesystem::remove_all(dir);
}

TEST(Cli, CsvCellsQuoteWhatNeedsIt) {
  EXPECT_EQ(csvCell("plain-id"), "plain-id");
  EXPECT_EQ(csvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(csvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csvCell("two\nlines"), "\"two\nlines\"");
}

}  // namespace
}  // namespace xm

namespace xm {
namespace {

TEST(Cli, ReportWritesAPageOrNothingAndNamesTheBadField) {
  const std::string response = test::temp("report-response.json"), page = test::temp("report.html");
  std::filesystem::remove(page);
  ASSERT_EQ(test::cli({"run", test::kExample, "--out", response}).status, 0);
  const test::Captured ok = test::cli(
      {"report", response, "--request", test::kExample, "--title", "CLI <test>", "--out", page});
  ASSERT_EQ(ok.status, 0) << ok.err;
  std::ifstream in(page);
  std::stringstream html;
  html << in.rdbuf();
  EXPECT_NE(html.str().find("<title>CLI &lt;test&gt;"), std::string::npos);
  EXPECT_NE(html.str().find("data-chart=\"exposure-notional\""), std::string::npos);
  std::filesystem::remove(page);

  const std::string bad = test::temp("report-bad.json");
  std::ofstream(bad) << R"({"accounts": [{"id": "a"}]})";
  const test::Captured b = test::cli({"report", bad, "--out", page});
  EXPECT_EQ(b.status, 2);
  EXPECT_EQ(Json::parse(b.err)["error"]["path"], "/accounts/0/status") << b.err;
  EXPECT_FALSE(std::filesystem::exists(page));  // no half a page
  const test::Captured none = test::cli({"report", "--out", page});
  EXPECT_EQ(none.status, 2);
  EXPECT_EQ(Json::parse(none.err)["error"]["code"], "usage");
  const test::Captured missing = test::cli({"report", test::temp("no-such.json"), "--out", page});
  EXPECT_EQ(missing.status, 2);
  EXPECT_EQ(Json::parse(missing.err)["error"]["code"], "io_error");
}

}  // namespace
}  // namespace xm
