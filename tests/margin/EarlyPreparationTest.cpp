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
