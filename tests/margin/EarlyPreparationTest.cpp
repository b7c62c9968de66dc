// The market prepared while the accounts are read (EarlyPreparation, host/margin/MarginEngine):
// runMargin's figures to the bit, through the parallel reader's hand-over as well; a preparation
// never run is abandoned cleanly; a market that cannot be prepared fails run() with runMargin's
// error.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "api/json/JsonCodec.h"
#include "api/json/RequestWriter.h"
#include "host/synthetic/SyntheticExchange.h"
#include "tests/BadRequests.h"
#include "tests/TestSupport.h"

namespace xm {
namespace {

struct Collect final : ResultSink {
  std::vector<AccountResult> results;
  void accounts(int64_t, const std::vector<AccountResult>& r) override {
    results.insert(results.end(), r.begin(), r.end());
  }
};

MarginRequest demo(int64_t accounts) {
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = accounts;
  spec.scenarios = 3000;
  return makeSyntheticExchange(spec);
}

// Every figure of every account, bit for bit.
void expectSameResults(const std::vector<AccountResult>& a, const std::vector<AccountResult>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    for (auto field : {&AccountResult::equity, &AccountResult::var, &AccountResult::es,
                       &AccountResult::esStderr, &AccountResult::initialMargin,
                       &AccountResult::maintenanceMargin, &AccountResult::isolatedMargin})
      EXPECT_EQ(std::memcmp(&(a[i].*field), &(b[i].*field), sizeof(double)), 0) << i;
    ASSERT_EQ(a[i].positions.size(), b[i].positions.size());
    for (size_t p = 0; p < a[i].positions.size(); ++p)
      EXPECT_EQ(std::memcmp(&a[i].positions[p].esContribution, &b[i].positions[p].esContribution,
                            sizeof(double)),
                0);
  }
}

TEST(EarlyPreparation, RunMarginsFiguresToTheBit) {
  const MarginRequest request = demo(500);
  Collect plain, early;
  const RunSummary a = runMargin(request, {}, plain);
  EarlyPreparation preparation;
  MarginRequest catalogue = request;
  catalogue.accounts.clear();
  preparation.start(catalogue, {});
  EXPECT_TRUE(preparation.started());
  const RunSummary b = preparation.run(request, {}, early);
  expectSameResults(plain.results, early.results);
  EXPECT_EQ(a.totals.accounts, b.totals.accounts);
  for (auto field : {&MarginTotals::equity, &MarginTotals::initialMargin,
                     &MarginTotals::maintenanceMargin, &MarginTotals::isolatedMargin})
    EXPECT_EQ(std::memcmp(&(a.totals.*field), &(b.totals.*field), sizeof(double)), 0);
  EXPECT_EQ(a.totals.liquidate, b.totals.liquidate);
  EXPECT_GT(b.run.prepareMs, 0.0);  // the preparation's own time, not zero
}

// The hand-over from the parallel reader: the catalogue arrives before the accounts are read.
TEST(EarlyPreparation, StartedByTheParallelReader) {
  const MarginRequest request = demo(800);
  const std::string text = toText(requestToJson(request));
  EarlyPreparation preparation;
  RequestOptions options;
  options.parallelFromBytes = 0;
  int handed = 0;
  options.catalogueRead = [&](const MarginRequest& catalogue) {
    ++handed;
    EXPECT_TRUE(catalogue.accounts.empty());
    preparation.start(catalogue, {});
  };
  const ParsedRequest parsed = parseRequestText(text, Limits{}, options);
  EXPECT_EQ(handed, 1);
  Collect plain, early;
  runMargin(parsed.request, {}, plain);
  preparation.run(parsed.request, {}, early);
  expectSameResults(plain.results, early.results);
}

// A second start() before run() abandons the first preparation: run() gives the second
// catalogue's figures (a reader may hand over a catalogue that replaces the first).
TEST(EarlyPreparation, StartedAgainPreparesTheNewCatalogue) {
  const MarginRequest request = demo(300);
  MarginRequest first = request;
  first.accounts.clear();
  first.config.scenarios = 1000;  // a different market: other scenarios
  MarginRequest second = request;
  second.accounts.clear();
  EarlyPreparation preparation;
  preparation.start(first, {});
  preparation.start(second, {});
  EXPECT_EQ(preparation.definition().config.scenarios, request.config.scenarios);
  Collect plain, early;
  runMargin(request, {}, plain);
  preparation.run(request, {}, early);
  expectSameResults(plain.results, early.results);
}

// The JSON reader's guess of where the accounts end can fall in a later array whose objects look
// like accounts: the text around that guess still reads as a request, so its catalogue is handed
// over, and then again, exactly, once the guess fails; the request read is the right one.
TEST(EarlyPreparation, AWrongGuessHandsTheCatalogueOverAgain) {
  const MarginRequest request = demo(200);
  Json body = requestToJson(request);
  Json ordered = Json::object();
  for (const char* key : {"market", "instruments", "accounts"}) ordered[key] = body[key];
  Json members = Json::array();
  for (int m = 0; m < 40; ++m) {
    std::string id = "member-";  // (not "m" + to_string: GCC 12 warns of a restrict overlap)
    id += std::to_string(m);
    members.push_back({{"id", id}, {"x", m}});
  }
  ordered["members"] = members;
  ordered["config"] = body["config"];
  const std::string text = toText(ordered);
  RequestOptions options;
  options.parallelFromBytes = 0;
  options.pieceBytes = 256;
  options.extraKeys = {"members"};
  EarlyPreparation preparation;
  int handed = 0;
  options.catalogueRead = [&](const MarginRequest& catalogue) {
    ++handed;
    preparation.start(catalogue, {});
  };
  const ParsedRequest parsed = parseRequestText(text, Limits{}, options);
  EXPECT_EQ(handed, 2);
  EXPECT_GT(parsed.accountPieces, 1);
  EXPECT_EQ(parsed.extras["members"], members);
  RequestOptions strict = options;
  strict.parallelFromBytes = SIZE_MAX;
  strict.catalogueRead = nullptr;
  EXPECT_EQ(toText(requestToJson(parsed.request)),
            toText(requestToJson(parseRequestText(text, Limits{}, strict).request)));
  Collect plain, early;
  runMargin(parsed.request, {}, plain);
  preparation.run(parsed.request, {}, early);
  expectSameResults(plain.results, early.results);
}

TEST(EarlyPreparation, AbandonedWhenTheRequestFailsLater) {
  const MarginRequest request = demo(50);
  MarginRequest catalogue = request;
  catalogue.accounts.clear();
  EarlyPreparation preparation;
  preparation.start(catalogue, {});
  // Destroyed without run(): the preparing thread ends its market and is joined.
}

TEST(EarlyPreparation, AMarketThatCannotBePreparedFailsRunWithRunMarginsError) {
  Json body = test::validRequest();
  test::addIndefiniteCorrelations(body);
  const MarginRequest request = parseRequest(body);
  std::string expected;
  try {
    Collect sink;
    runMargin(request, {}, sink);
  } catch (const InputError& e) {
    expected = e.what();
  }
  ASSERT_FALSE(expected.empty()) << "the matrix was accepted";
  MarginRequest catalogue = request;
  catalogue.accounts.clear();
  EarlyPreparation preparation;
  preparation.start(catalogue, {});
  Collect sink;
  try {
    preparation.run(request, {}, sink);
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), expected);
  }
}

}  // namespace
}  // namespace xm
