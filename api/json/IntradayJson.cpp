#include "api/json/IntradayJson.h"

#include <chrono>
#include <cmath>
#include <memory>

#include "api/json/JsonWriter.h"
#include "api/json/RequestFields.h"
#include "api/json/ResponseWriter.h"
#include "host/model/WireNames.h"

namespace xm {

using json::Node;

namespace {

// Trades and proposals are bounded like positions: a what-if is one account's question.
constexpr size_t kMaxTrades = 1000;

Trade parseTrade(const Node& n, const MarketSnapshot& s) {
  n.object({"instrument", "qty", "price"});
  const Node id = n.at("instrument");
  const auto it = s.instrumentIndex().find(id.string());
  if (it == s.instrumentIndex().end())
    id.fail("unknown instrument \"" + id.string() + "\" (not in the snapshot's instruments)");
  Trade t;
  t.instrument = it->second;
  t.qty = n.at("qty").bounded(-1e12, 1e12, false, "within [-1e12, 1e12]");
  if (t.qty == 0.0) n.child("qty").fail("must not be 0");
  t.price = n.at("price").bounded(0, 1e12, true, "> 0 and at most 1e12");
  return t;
}

}  // namespace

MarginRequest parseSnapshotDefinition(std::string_view text, const Limits& limits) {
  RequestOptions options;
  options.noAccounts = true;
  return parseRequestText(text, limits, options).request;
}

MarginRequest parseSnapshotDefinition(Json body, const Limits& limits) {
  RequestOptions options;
  options.noAccounts = true;
  return parseRequest(std::move(body), limits, options).request;
}

Json snapshotToJson(const MarketSnapshot& s, const std::vector<std::string>& evicted) {
  const PreparedMarket& p = s.prepared();
  const RunInfo& run = p.preparation();
  Json j = {{"id", s.id()},
            {"bytes", s.bytes()},
            {"generation", s.generation()},
            {"scenarios", run.scenarios},
            {"rows", static_cast<int64_t>(p.problem().rows.size())},
            {"assets", static_cast<int64_t>(s.definition().market.assets.size())},
            {"instruments", static_cast<int64_t>(s.definition().instruments.size())},
            {"backend", wireName(run.backend)},
            {"prepare_ms", run.compileMs + run.prepareMs}};
  if (!evicted.empty()) j["evicted"] = evicted;
  return j;
}

Json snapshotListToJson(const SnapshotStore& store) {
  Json list = Json::array();
  for (const SnapshotStore::Info& i : store.list()) {
    list.push_back(
        {{"id", i.id}, {"bytes", i.bytes}, {"generation", i.generation}, {"uses", i.uses}});
  }
  return {{"snapshots", std::move(list)},
          {"bytes", store.bytes()},
          {"capacity_bytes", store.capacity()}};
}

Marks parseMarks(std::string_view text, const MarketSnapshot& snapshot, std::string& into) {
  Json body;
  try {
    body = Json::parse(text);
  } catch (const Json::exception& e) {
    throw InputError("", std::string("malformed JSON: ") + e.what());
  }
  const Node root(body, "");
  root.object({"snapshot", "prices", "implied_vols"});
  into = snapshot.id();
  if (root.has("snapshot")) {
    into = root.child("snapshot").string();
    checkSnapshotId(into, "/snapshot");
  }
  Marks marks;
  if (root.has("prices")) {
    const Node prices = root.child("prices");
    if (!prices.raw().is_object()) prices.fail("must be an object of asset id to price");
    for (auto it = prices.raw().begin(); it != prices.raw().end(); ++it) {
      const Node p = prices.child(it.key());
      const auto a = snapshot.assetIndex().find(it.key());
      if (a == snapshot.assetIndex().end()) p.fail("unknown asset (not in the snapshot's market)");
      marks.prices.emplace_back(a->second, p.bounded(0, 1e12, true, "> 0 and at most 1e12"));
    }
  }
  if (root.has("implied_vols")) {
    const Node vols = root.child("implied_vols");
    if (!vols.raw().is_object()) vols.fail("must be an object of option instrument id to vol");
    for (auto it = vols.raw().begin(); it != vols.raw().end(); ++it) {
      const Node v = vols.child(it.key());
      const auto i = snapshot.instrumentIndex().find(it.key());
      if (i == snapshot.instrumentIndex().end())
        v.fail("unknown instrument (not in the snapshot's instruments)");
      if (snapshot.definition().instruments[i->second].type != InstrumentType::Option)
        v.fail("not an option: only options carry an implied vol");
      marks.impliedVols.emplace_back(i->second, v.bounded(0, 10, true, "within (0, 10]"));
    }
  }
  if (marks.prices.empty() && marks.impliedVols.empty())
    root.fail("give new marks: \"prices\" (asset id to price) and/or \"implied_vols\"");
  return marks;
}

WhatIfRequest parseWhatIfText(std::string_view text, const Limits& limits,
                              const SnapshotLookup& snapshots) {
  RequestOptions options;
  options.snapshots = snapshots;
  options.extraKeys = {"account", "trades"};
  options.noAccounts = true;
  ParsedRequest parsed = parseRequestText(text, limits, options);
  const Node root(parsed.extras, "");
  if (!parsed.snapshot) {
    throw InputError("/snapshot",
                     "/snapshot: required field is missing (a what-if runs on a "
                     "stored snapshot: PUT /v1/snapshots/{id} first)");
  }
  WhatIfRequest w;
  w.snapshot = std::move(parsed.snapshot);
  const MarketSnapshot& s = *w.snapshot;
  w.account = json::parseAccount(root.at("account"), s.assetIndex(), s.instrumentIndex(),
                                 s.definition().instruments);
  const Node trades = root.at("trades");
  const size_t n = trades.array();
  if (n > kMaxTrades) trades.fail("at most " + std::to_string(kMaxTrades) + " trades");
  for (size_t i = 0; i < n; ++i) w.trades.push_back(parseTrade(trades[i], s));
  return w;
}

std::string whatIfToText(const WhatIfRequest& request, const WhatIfResult& result) {
  const MarginRequest& view = request.snapshot->definition();
  std::string out = "{\"snapshot\":";
  {
    JsonWriter w(out);
    w.value(request.snapshot->id());
  }
  out += ",\"before\":";
  appendAccountJson(out, view, request.account, result.before);
  out += ",\"after\":";
  appendAccountJson(out, view, result.after, result.afterResult);
  out += ",\"incremental_im\":";
  {
    JsonWriter w(out);
    w.value(result.incrementalIm);
  }
  out += ",\"contribution_change\":";
  JsonWriter w(out);
  w.beginArray();
  const auto& instruments = request.snapshot->definition().instruments;
  for (size_t i = 0; i < result.contributionChange.size(); ++i) {
    w.beginObject()
        .field("instrument", std::string_view(instruments[result.after.positions[i].instrument].id))
        .field("trade", static_cast<int64_t>(i >= request.account.positions.size()))
        .field("change", result.contributionChange[i])
        .endObject();
  }
  w.endArray();
  out += '}';
  return out;
}

NeutralizeRequest parseNeutralizeText(std::string_view text, const Limits& limits,
                                      const SnapshotLookup& snapshots) {
  RequestOptions options;
  options.snapshots = snapshots;
  options.extraKeys = {"neutralize"};
  NeutralizeRequest r;
  r.margin = parseRequestText(text, limits, options);
  const Json settings =
      r.margin.extras.contains("neutralize") ? r.margin.extras["neutralize"] : Json::object();
  const Node n(settings, "/neutralize");
  n.object({"target_coverage", "hedge_instruments", "fee_rate", "step", "max_moves"});
  NeutralizeConfig& c = r.config;
  if (n.has("target_coverage"))
    c.targetCoverage = n.child("target_coverage").number(0, 100, true, false, "within (0, 100]");
  if (n.has("fee_rate"))
    c.feeRate = n.child("fee_rate").number(0, 0.1, false, false, "within [0, 0.1]");
  if (n.has("step")) c.step = n.child("step").number(0, 1, true, false, "within (0, 1]");
  if (n.has("max_moves")) {
    const uint64_t m = n.child("max_moves").unsignedInteger();
    if (m < 1 || m > 10000) n.child("max_moves").fail("must be within [1, 10000]");
    c.maxMoves = static_cast<int>(m);
  }
  if (n.has("hedge_instruments")) {
    const Node list = n.child("hedge_instruments");
    const MarginRequest& req = r.margin.request;
    for (size_t i = 0; i < list.array(); ++i) {
      const std::string id = list[i].string();
      int found = -1;
      for (size_t k = 0; k < req.instruments.size(); ++k)
        if (req.instruments[k].id == id) found = static_cast<int>(k);
      if (found < 0) list[i].fail("unknown instrument \"" + id + "\"");
      if (req.instruments[found].type == InstrumentType::Spot)
        list[i].fail("\"" + id + "\" is spot: a hedge is a derivative (buying spot moves cash)");
      c.hedgeInstruments.push_back(found);
    }
  }
  return r;
}

Json neutralizeToJson(const NeutralizeRequest& request, const std::vector<Proposal>& proposals,
                      const RunInfo& run) {
  const MarginRequest& req = request.margin.request;
  Json accounts = Json::array();
  int64_t counts[3] = {0, 0, 0};
  double cost = 0.0;
  MarginRequest view;  // the account before and after, for the account writer
  view.market.assets = req.market.assets;
  view.instruments = req.instruments;
  view.config = req.config;
  for (size_t a = 0; a < proposals.size(); ++a) {
    const Proposal& p = proposals[a];
    ++counts[static_cast<int>(p.outcome)];
    cost += p.cost;
    Json trades = Json::array();
    for (const ProposedTrade& t : p.trades) {
      trades.push_back({{"instrument", req.instruments[t.instrument].id},
                        {"qty", t.qty},
                        {"price", t.price},
                        {"cost", t.cost},
                        {"hedge", t.hedge}});
    }
    view.accounts = {req.accounts[a], p.account};
    auto coverage = [](const AccountResult& r) {
      return r.initialMargin > 0.0 ? Json(r.equity / r.initialMargin) : Json(nullptr);
    };
    accounts.push_back({{"id", req.accounts[a].id},
                        {"outcome", p.outcome == NeutralizeOutcome::Healthy    ? "healthy"
                                    : p.outcome == NeutralizeOutcome::Restored ? "restored"
                                                                               : "not_restored"},
                        {"coverage_before", coverage(p.before)},
                        {"coverage_after", coverage(p.after)},
                        {"cost", p.cost},
                        {"trades", std::move(trades)},
                        {"evaluations", p.evaluations},
                        {"before", accountToJson(view, 0, p.before)},
                        {"after", accountToJson(view, 1, p.after)}});
  }
  return {{"accounts", std::move(accounts)},
          {"target_coverage", request.config.targetCoverage},
          {"totals",
           {{"accounts", static_cast<int64_t>(proposals.size())},
            {"healthy", counts[0]},
            {"restored", counts[1]},
            {"not_restored", counts[2]},
            {"cost", cost}}},
          {"run", runToJson(run)}};
}

Json runNeutralize(const NeutralizeRequest& request, const EngineOptions& options) {
  std::unique_ptr<PreparedMarket> own;  // a full request: prepared here, every row revalued
  const PreparedMarket* market = nullptr;
  if (request.margin.snapshot) {
    market = &request.margin.snapshot->prepared();
  } else {
    own = std::make_unique<PreparedMarket>(request.margin.request, RowSet::All, options);
    market = own.get();
  }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Proposal> proposals =
      neutralizeAccounts(*market, request.margin.request.accounts, request.config, options);
  RunInfo run = market->preparation();
  if (request.margin.snapshot) run.compileMs = run.prepareMs = 0.0;
  run.marginMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  run.elapsedMs = run.compileMs + run.prepareMs + run.marginMs;
  return neutralizeToJson(request, proposals, run);
}

MarginResponse computeParsedMargin(const ParsedRequest& parsed, const EngineOptions& options) {
  if (!parsed.snapshot) return computeMargin(parsed.request, options);
  struct Collect final : ResultSink {
    std::vector<AccountResult>* out;
    void accounts(int64_t, const std::vector<AccountResult>& r) override {
      out->insert(out->end(), r.begin(), r.end());
    }
  };
  MarginResponse response;
  response.accounts.reserve(parsed.request.accounts.size());
  Collect sink;
  sink.out = &response.accounts;
  RunSummary s = parsed.snapshot->prepared().run(parsed.request.accounts, options, sink);
  response.run = std::move(s.run);
  response.totals = s.totals;
  return response;
}

}  // namespace xm
