// Snapshots, marks, what-if and neutralization (contract §10): every figure on a snapshot equals
// a fresh full request's, bit for bit; the store stays within its bytes; neutralization restores
// accounts, never makes them worse, and its proposals are what a fresh request says.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "api/json/IntradayJson.h"
#include "host/intraday/Neutralize.h"
#include "host/intraday/SnapshotStore.h"
#include "host/intraday/WhatIf.h"
#include "tests/TestSupport.h"

namespace xm {
namespace {

using test::account;
using test::baseRequest;
using test::position;

bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expectSame(const AccountResult& a, const AccountResult& b, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_TRUE(same(a.var, b.var));
  EXPECT_TRUE(same(a.es, b.es));
  EXPECT_TRUE(same(a.esStderr, b.esStderr));
  EXPECT_TRUE(same(a.equity, b.equity));
  EXPECT_TRUE(same(a.isolatedMargin, b.isolatedMargin));
  EXPECT_TRUE(same(a.liquidityAddOn, b.liquidityAddOn));
  EXPECT_TRUE(same(a.initialMargin, b.initialMargin));
  EXPECT_EQ(a.status, b.status);
  ASSERT_EQ(a.positions.size(), b.positions.size());
  for (size_t i = 0; i < a.positions.size(); ++i) {
    EXPECT_TRUE(same(a.positions[i].value, b.positions[i].value));
    EXPECT_TRUE(same(a.positions[i].esContribution, b.positions[i].esContribution));
    EXPECT_TRUE(same(a.positions[i].standaloneEs, b.positions[i].standaloneEs));
  }
}

Json definitionOf(Json request) {
  request.erase("accounts");
  return request;
}

std::shared_ptr<MarketSnapshot> snapshotOf(const Json& request, const std::string& id = "s") {
  return std::make_shared<MarketSnapshot>(id, parseSnapshotDefinition(definitionOf(request)));
}

Json book() {
  Json r = baseRequest();
  r["accounts"] = {account("hedged", {position("BTC-PERP", 2, 48000), position("BTC-C", -3, 2500)},
                           {{{"asset", "USD"}, {"amount", 30000}}}),
                   account("options",
                           {position("ETH-P", 10, 90), position("ETH-FUT", -4, 2450),
                            position("BTC-INV", -500, 51000)},
                           {{{"asset", "ETH"}, {"amount", 3}}}),
                   account("idle", Json::array(), {{{"asset", "USD"}, {"amount", 10}}})};
  r["config"]["add_ons"] = {{"liquidity", {{"coefficient", 0.5}}}};
  r["market"]["assets"][1]["daily_volume"] = 2e9;
  r["market"]["assets"][2]["daily_volume"] = 8e8;
  return r;
}

TEST(Snapshot, MarginOnASnapshotIsTheFullRequestsToTheBit) {
  const Json r = book();
  const MarginResponse full = computeMargin(parseRequest(r));
  const auto snapshot = snapshotOf(r);
  std::vector<Account> accounts = parseRequest(r).accounts;
  // Any subset, any order: an account's figures do not depend on its company.
  std::reverse(accounts.begin(), accounts.end());
  const std::vector<AccountResult> mine = snapshot->prepared().assess(accounts);
  for (size_t i = 0; i < accounts.size(); ++i)
    expectSame(full.accounts[accounts.size() - 1 - i], mine[i], accounts[i].id);
  // Through the parser, as the service receives it.
  Json onSnapshot = {{"snapshot", "s"}, {"accounts", r["accounts"]}};
  RequestOptions options;
  options.snapshots = [&](const std::string&, const std::string&) { return snapshot; };
  const ParsedRequest parsed = parseRequestText(onSnapshot.dump(), {}, options);
  const MarginResponse viaSnapshot = computeParsedMargin(parsed, {});
  ASSERT_EQ(viaSnapshot.accounts.size(), full.accounts.size());
  for (size_t i = 0; i < full.accounts.size(); ++i)
    expectSame(full.accounts[i], viaSnapshot.accounts[i], "parsed " + std::to_string(i));
  EXPECT_TRUE(same(full.totals.initialMargin, viaSnapshot.totals.initialMargin));
  EXPECT_EQ(responseToJson(parsed.request, viaSnapshot)["accounts"],
            responseToJson(parseRequest(r), full)["accounts"]);
}

TEST(Snapshot, ARequestOnASnapshotCarriesNoMarketAndNamesItsErrors) {
  const Json r = book();
  const auto snapshot = snapshotOf(r);
  RequestOptions options;
  options.snapshots = [&](const std::string& id, const std::string& path) {
    if (id != "s") throw InputError(path, path + ": no snapshot", ErrorKind::NotFound);
    return std::shared_ptr<const MarketSnapshot>(snapshot);
  };
  auto errorOf = [&](const Json& body) {
    try {
      parseRequestText(body.dump(), {}, options);
    } catch (const InputError& e) {
      return std::make_pair(e.path(), e.kind());
    }
    return std::make_pair(std::string("none"), ErrorKind::Internal);
  };
  Json both = r;
  both["snapshot"] = "s";
  EXPECT_EQ(errorOf(both).first, "/market");
  EXPECT_EQ(errorOf({{"snapshot", "t"}, {"accounts", Json::array()}}),
            std::make_pair(std::string("/snapshot"), ErrorKind::NotFound));
  EXPECT_EQ(errorOf({{"snapshot", "bad id!"}, {"accounts", Json::array()}}).first, "/snapshot");
  EXPECT_EQ(errorOf({{"snapshot", 3}, {"accounts", Json::array()}}).first, "/snapshot");
  EXPECT_EQ(
      errorOf({{"snapshot", "s"}, {"config", Json::object()}, {"accounts", Json::array()}}).first,
      "/config");
  Json unknown = {{"snapshot", "s"}, {"accounts", {account("a", {position("NOPE", 1, 1)})}}};
  EXPECT_EQ(errorOf(unknown).first, "/accounts/0/positions/0/instrument");
  // A definition with accounts is refused, naming them; a CUDA one too.
  Json withAccounts = definitionOf(r);
  withAccounts["accounts"] = Json::array();
  EXPECT_THROW(parseSnapshotDefinition(std::string_view(withAccounts.dump())), InputError);
  Json cuda = definitionOf(r);
  cuda["config"]["backend"] = "cuda";
  try {
    MarketSnapshot("c", parseSnapshotDefinition(cuda));
    ADD_FAILURE() << "a CUDA snapshot was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/config/backend");
  }
}

TEST(Snapshot, NewMarksRevalueTheSameScenariosAsAFreshRequest) {
  Json r = book();
  const auto snapshot = snapshotOf(r);
  Marks marks;
  marks.prices = {{1, 47000.0}, {2, 2600.0}};
  marks.impliedVols = {{4, 0.9}};
  const auto moved = snapshot->withMarks("s2", marks);
  EXPECT_EQ(moved->generation(), 1);
  EXPECT_EQ(moved->prepared().shocks(), snapshot->prepared().shocks());  // reused, not redrawn
  r["market"]["assets"][1]["price"] = 47000.0;
  r["market"]["assets"][2]["price"] = 2600.0;
  r["instruments"][4]["iv"] = 0.9;
  const MarginRequest fresh = parseRequest(r);
  const MarginResponse full = computeMargin(fresh);
  const std::vector<AccountResult> mine = moved->prepared().assess(fresh.accounts);
  for (size_t i = 0; i < mine.size(); ++i) expectSame(full.accounts[i], mine[i], "marks");
  // The parser names unknown assets and non-options.
  std::string into;
  EXPECT_THROW(parseMarks(R"({"prices": {"DOGE": 1}})", *snapshot, into), InputError);
  EXPECT_THROW(parseMarks(R"({"implied_vols": {"BTC-PERP": 0.5}})", *snapshot, into), InputError);
  EXPECT_THROW(parseMarks(R"({})", *snapshot, into), InputError);
  const Marks parsed =
      parseMarks(R"({"snapshot": "next", "prices": {"BTC": 47000}})", *snapshot, into);
  EXPECT_EQ(into, "next");
  ASSERT_EQ(parsed.prices.size(), 1u);
  EXPECT_EQ(parsed.prices[0], std::make_pair(1, 47000.0));
}

TEST(SnapshotStore, EvictsTheLeastRecentlyUsedWithinItsBytes) {
  const Json r = book();
  const auto a = snapshotOf(r, "a");
  const int64_t one = a->bytes();
  ASSERT_GT(one, 4000 * 8 * 3);            // at least the cube of three rows
  SnapshotStore store(2 * one + one / 2);  // room for two
  EXPECT_TRUE(store.put(a).empty());
  EXPECT_TRUE(store.put(snapshotOf(r, "b")).empty());
  ASSERT_NE(store.find("a"), nullptr);  // a is now the most recent: b goes first
  EXPECT_EQ(store.put(snapshotOf(r, "c")), std::vector<std::string>{"b"});
  EXPECT_EQ(store.find("b"), nullptr);
  EXPECT_LE(store.bytes(), store.capacity());
  try {
    store.get("b", "/snapshot");
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  // An id reused replaces its snapshot without evicting the others.
  EXPECT_TRUE(store.put(snapshotOf(r, "c")).empty());
  EXPECT_EQ(store.list().size(), 2u);
  // Too large alone: refused, nothing evicted.
  SnapshotStore tiny(one / 2);
  EXPECT_THROW(tiny.put(a), InputError);
  EXPECT_EQ(tiny.bytes(), 0);
  EXPECT_TRUE(store.drop("a"));
  EXPECT_FALSE(store.drop("a"));
  EXPECT_EQ(store.bytes(), one);
}

TEST(SnapshotStore, WhatIfsRunWhileTheirSnapshotIsReplaced) {
  const Json r = book();
  const MarginRequest request = parseRequest(r);
  const MarginResponse full = computeMargin(request);
  SnapshotStore store(int64_t{1} << 30);
  store.put(snapshotOf(r, "live"));
  std::atomic<bool> stop{false};
  std::atomic<int> mismatches{0}, done{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        const auto s = store.get("live", "");
        const AccountResult got = s->prepared().assess({request.accounts[0]})[0];
        if (!same(got.initialMargin, full.accounts[0].initialMargin)) ++mismatches;
        ++done;
      }
    });
  }
  // Replaced under the readers: each replacement waits for what-ifs to run on the previous one
  // (on a loaded machine the readers may otherwise not have started before the last).
  for (int i = 0; i < 6; ++i) {
    const int before = done.load();
    store.put(snapshotOf(r, "live"));
    while (done.load() < before + 3) std::this_thread::yield();
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(done.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(store.list().size(), 1u);
}

TEST(WhatIf, BeforeAndAfterAreFreshRequestsFigures) {
  Json r = book();
  const auto snapshot = snapshotOf(r);
  const MarginRequest request = parseRequest(r);
  const std::vector<Trade> trades = {{0, -1.5, 50500.0}, {4, 2.0, 2300.0}};
  const WhatIfResult w = whatIf(snapshot->prepared(), request.accounts[0], trades);
  r["accounts"][0]["positions"].push_back(position("BTC-PERP", -1.5, 50500.0));
  r["accounts"][0]["positions"].push_back(position("BTC-C", 2.0, 2300.0));
  const MarginResponse fresh = computeMargin(parseRequest(r));
  expectSame(computeMargin(request).accounts[0], w.before, "before");
  expectSame(fresh.accounts[0], w.afterResult, "after");
  EXPECT_TRUE(same(w.incrementalIm, w.afterResult.initialMargin - w.before.initialMargin));
  ASSERT_EQ(w.contributionChange.size(), 4u);
  EXPECT_TRUE(same(w.contributionChange[3], w.afterResult.positions[3].esContribution));
  // Selling a perpetual against a long one lowers its ES (half the BTC delta gone).
  EXPECT_LT(w.afterResult.es, w.before.es);
  // Spot moves cash: refused, naming the trade.
  try {
    whatIf(snapshot->prepared(), request.accounts[0], {{3, 1.0, 50000.0}});
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/trades/0/instrument");
  }
}

// Neutralization on the snapshot of `r`, every account; the proposals checked against fresh
// requests with the traded lines.
std::vector<Proposal> neutralizeAll(const Json& r, const NeutralizeConfig& config) {
  const auto snapshot = snapshotOf(r);
  const MarginRequest request = parseRequest(r);
  std::vector<Proposal> out =
      neutralizeAccounts(snapshot->prepared(), request.accounts, config, {});
  for (size_t a = 0; a < out.size(); ++a) {
    const Proposal& p = out[a];
    // Never worse: IM does not rise, the deficit does not grow.
    EXPECT_LE(p.after.initialMargin, p.before.initialMargin);
    EXPECT_LE(config.targetCoverage * p.after.initialMargin - p.after.equity,
              config.targetCoverage * p.before.initialMargin - p.before.equity);
    // The proposal's figures are a fresh request's with the traded positions, to the bit.
    Json fresh = r;
    fresh["accounts"] = Json::array();
    Json acct = r["accounts"][a];
    for (const ProposedTrade& t : p.trades)
      acct["positions"].push_back(position(request.instruments[t.instrument].id, t.qty, t.price));
    fresh["accounts"].push_back(acct);
    expectSame(computeMargin(parseRequest(fresh)).accounts[0], p.after,
               "fresh " + acct["id"].get<std::string>());
  }
  return out;
}

TEST(Neutralize, TrimsTheRiskierLegOfAPairTrade) {
  Json r = baseRequest();
  // Long BTC, short ETH (the more volatile coin, the larger leg): ETH's leg carries more ES.
  r["accounts"] = {account("pair",
                           {position("BTC-PERP", 4, 50000), position("ETH-FUT", -100, 2500)},
                           {{{"asset", "USD"}, {"amount", 15000}}})};
  const auto p = neutralizeAll(r, {});
  ASSERT_EQ(p.size(), 1u);
  ASSERT_LT(p[0].before.equity, p[0].before.initialMargin) << "the book must start below IM";
  EXPECT_GT(p[0].before.positions[1].esContribution, p[0].before.positions[0].esContribution);
  EXPECT_EQ(p[0].outcome, NeutralizeOutcome::Restored);
  double ethBought = 0.0, btcSold = 0.0;  // notional traded on each leg
  for (const ProposedTrade& t : p[0].trades) {
    if (t.instrument == 2) ethBought += t.qty * 2500.0;
    if (t.instrument == 0) btcSold -= t.qty * 50000.0;
  }
  EXPECT_GT(ethBought, 0.0);      // the short ETH leg is bought back, toward flat
  EXPECT_GT(ethBought, btcSold);  // and is what the proposal mostly trims
  EXPECT_GE(p[0].after.equity, p[0].after.initialMargin);
}

TEST(Neutralize, AShortCallSellerBuysBackOrHedges) {
  Json r = baseRequest();
  r["accounts"] = {
      account("seller", {position("BTC-C", -20, 2000)}, {{{"asset", "USD"}, {"amount", 60000}}})};
  NeutralizeConfig c;
  c.hedgeInstruments = {0};  // BTC-PERP
  c.feeRate = 0.0005;
  const auto p = neutralizeAll(r, c);
  ASSERT_LT(p[0].before.equity, p[0].before.initialMargin);
  EXPECT_EQ(p[0].outcome, NeutralizeOutcome::Restored);
  bool boughtBack = false, hedged = false;
  for (const ProposedTrade& t : p[0].trades) {
    boughtBack = boughtBack || (t.instrument == 4 && t.qty > 0);
    hedged = hedged || (t.instrument == 0 && t.qty > 0 && t.hedge);  // long perp vs short call
    EXPECT_GT(t.cost, 0.0);                                          // the fee
  }
  EXPECT_TRUE(boughtBack || hedged);
  EXPECT_LT(p[0].after.equity, p[0].before.equity);  // costs are paid
}

TEST(Neutralize, AHealthyAccountGetsNoTrades) {
  Json r = book();
  const auto p = neutralizeAll(r, {});
  for (const Proposal& x : p) {
    if (x.before.equity >= x.before.initialMargin) {
      EXPECT_EQ(x.outcome, NeutralizeOutcome::Healthy);
      EXPECT_TRUE(x.trades.empty());
      EXPECT_EQ(x.evaluations, 1);
    }
  }
  EXPECT_EQ(p[2].outcome, NeutralizeOutcome::Healthy);  // "idle": no positions
}

TEST(Neutralize, SaysWhenNothingRestoresAndReturnsTheBest) {
  Json r = baseRequest();
  // Equity below zero: no trade restores it (costs only lower equity); the search still cuts IM.
  r["accounts"] = {account("underwater", {position("BTC-PERP", 5, 60000)},
                           {{{"asset", "USD"}, {"amount", 1000}}})};
  const auto p = neutralizeAll(r, {});
  EXPECT_EQ(p[0].outcome, NeutralizeOutcome::NotRestored);
  EXPECT_LT(p[0].after.initialMargin, p[0].before.initialMargin);
}

TEST(Neutralize, ParsesItsSettingsStrictly) {
  Json r = book();
  r["neutralize"] = {
      {"target_coverage", 1.5}, {"hedge_instruments", {"BTC-PERP"}}, {"fee_rate", 0.001}};
  const NeutralizeRequest n = parseNeutralizeText(r.dump(), {}, {});
  EXPECT_EQ(n.config.targetCoverage, 1.5);
  EXPECT_EQ(n.config.hedgeInstruments, std::vector<int>{0});
  r["neutralize"]["hedge_instruments"] = {"BTC-SPOT"};
  EXPECT_THROW(parseNeutralizeText(r.dump(), {}, {}), InputError);
  r["neutralize"] = {{"fee", 1}};
  try {
    parseNeutralizeText(r.dump(), {}, {});
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), "/neutralize/fee");
  }
}

}  // namespace
}  // namespace xm
