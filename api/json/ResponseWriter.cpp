#include "api/json/ResponseWriter.h"

#include <future>
#include <sstream>

#include "api/json/JsonWriter.h"
#include "api/json/Utf8.h"
#include "host/base/FaultInjection.h"
#include "host/base/Parallel.h"
#include "host/model/Version.h"
#include "host/model/WireNames.h"

namespace xm {

namespace {

// Accounts carry add_ons when a config asks for any (the buffer, liquidity or a minimum).
bool showAddOns(const MarginConfig& c) {
  return c.antiProcyclicality.buffer > 0 || c.addOns.liquidityCoefficient > 0 ||
         c.addOns.minimumRate > 0;
}

}  // namespace

namespace {

// An account's fields (contract §4), written once for both writers.
template <typename Writer>
void writeAccount(Writer& w, const MarginRequest& request, const Account& a,
                  const AccountResult& r) {
  w.beginObject()
      .field("id", a.id)
      .field("equity", r.equity)
      .field("var", r.var)
      .field("es", r.es)
      .field("es_stderr", r.esStderr)
      .field("isolated_margin", r.isolatedMargin)
      .field("diversification_benefit", r.diversificationBenefit)
      .field("initial_margin", r.initialMargin)
      .field("maintenance_margin", r.maintenanceMargin)
      .field("excess", r.excess)
      .field("status", wireName(r.status));
  auto leg = [&](const char* refKey, const std::string& ref, const LegResult& l, bool liquidation) {
    w.beginObject()
        .field(refKey, ref)
        .field("value", l.value)
        .field("standalone_es", l.standaloneEs)
        .field("es_contribution", l.esContribution);
    if (liquidation) w.field("liquidation_price", l.liquidationPrice);  // NaN: null
    if (r.hasGrid) w.field("grid_contribution", l.gridContribution);
    w.endObject();
  };
  w.key("positions").beginArray();
  for (size_t i = 0; i < r.positions.size(); ++i)
    leg("instrument", request.instruments[a.positions[i].instrument].id, r.positions[i], r.hasFlat);
  w.endArray().key("collateral").beginArray();
  for (size_t i = 0; i < r.collateral.size(); ++i)
    leg("asset", request.market.assets[a.collateral[i].asset].id, r.collateral[i], false);
  w.endArray();
  if (r.flatCompared || r.esCompared || r.gridCompared) {
    auto margins = [&](const char* name, const MethodMargin& m) {
      w.key(name).beginObject().field("im", m.im).field("mm", m.mm).endObject();
    };
    w.key("compare").beginObject();
    if (r.esCompared) margins("es", r.esMargin);
    if (r.gridCompared) margins("grid", r.grid);
    if (r.flatCompared) margins("flat", r.flat);
    w.endObject();
  }
  if (r.hasGrid) {  // contract §11
    const GridFigures& g = r.gridFigures;
    w.key("grid")
        .beginObject()
        .field("loss", g.loss)
        .field("contingency", g.contingency)
        .key("underlyings")
        .beginArray();
    for (const GridUnderlying& u : g.underlyings) {
      w.beginObject()
          .field("asset", request.market.assets[u.asset].id)
          .field("loss", u.loss)
          .field("move", u.move)
          .field("vol", u.vol > 0   ? "up"
                        : u.vol < 0 ? "down"
                                    : "unchanged")
          .field("extreme", u.extreme)
          .field("short_option_add_on", u.shortOptionAddOn)
          .field("notional_floor", u.notionalFloor)
          .endObject();
    }
    w.endArray().endObject();
  }
  if (showAddOns(request.config)) {
    w.key("add_ons")
        .beginObject()
        .field("apc_buffer", r.apcBuffer)
        .field("liquidity", r.liquidityAddOn)
        .field("minimum", r.minimumAddOn)
        .field("gross_notional", r.grossNotional)
        .endObject();
  }
  w.endObject();
}

}  // namespace

Json accountToJson(const MarginRequest& request, int64_t index, const AccountResult& r) {
  Json j;
  JsonDomWriter w(j);
  writeAccount(w, request, request.accounts[index], r);
  return j;
}

Json accountToJson(const MarginRequest& catalog, const Account& account, const AccountResult& r) {
  Json j;
  JsonDomWriter w(j);
  writeAccount(w, catalog, account, r);
  return j;
}

void appendAccountJson(std::string& out, const MarginRequest& request, int64_t index,
                       const AccountResult& r) {
  JsonWriter w(out);
  writeAccount(w, request, request.accounts[index], r);
}

void appendAccountJson(std::string& out, const MarginRequest& catalog, const Account& account,
                       const AccountResult& r) {
  JsonWriter w(out);
  writeAccount(w, catalog, account, r);
}

Json runToJson(const RunInfo& run) {
  Json j{{"backend", wireName(run.backend)},
         {"device", run.device},
         {"scenarios", run.scenarios},
         {"seed", run.seed},
         {"tail_count", run.tailCount},
         {"elapsed_ms", run.elapsedMs},
         {"version", kVersion},
         {"precision", wireName(run.precision)},
         {"correlation_repair", wireName(run.correlationRepair)},
         {"stages_ms",
          {{"compile", run.compileMs},
           {"prepare", run.prepareMs},
           {"risk", run.riskMs},
           {"margin", run.marginMs}}}};
  if (run.correlationRepair != CorrelationRepair::None)
    j["correlation_repair_distance"] = run.correlationRepairDistance;
  j["vol_model"] = wireName(run.volModel);
  if (run.sampling != SamplingMethod::Mc) {  // docs/sampling.md
    j["sampling"] = wireName(run.sampling);
    if (run.sampling == SamplingMethod::Sobol) j["replications"] = run.replications;
  }
  if (run.method != MarginMethod::Es || !run.compare.empty()) {  // contract §11
    j["method"] = wireName(run.method);
    Json compare = Json::array();
    for (MarginMethod m : run.compare) compare.push_back(wireName(m));
    j["compare"] = std::move(compare);
  }
  if (run.volModel == VolModel::Ewma) {
    Json est = Json::object();
    for (const auto& e : run.estimates) {
      est[e.asset] = {{"vol", e.vol}, {"days", e.days}};
      if (e.ivDays > 0) {
        est[e.asset]["vol_of_vol"] = e.volOfVol;
        est[e.asset]["spot_vol_corr"] = e.spotVolCorr;
        est[e.asset]["iv_days"] = e.ivDays;
      }
    }
    j["ewma"] = {
        {"lambda", run.ewmaLambda}, {"common_days", run.ewmaCommonDays}, {"estimates", est}};
  }
  if (run.antiProcyclicality) {
    Json assets = Json::object();
    for (const auto& a : run.apc) {
      assets[a.asset] = {{"model_vol", a.modelVol},
                         {"long_run_vol", a.longRunVol},
                         {"stressed_vol", a.stressedVol},
                         {"vol", a.vol},
                         {"stress_level", a.stressLevel}};
    }
    const AntiProcyclicality& c = run.apcConfig;
    j["anti_procyclicality"] = {{"lookback_days", c.lookbackDays},
                                {"stress_window_days", c.stressWindowDays},
                                {"floor", c.floor},
                                {"stress_weight", c.stressWeight},
                                {"buffer", c.buffer},
                                {"assets", std::move(assets)}};
  }
  return j;
}

Json totalsToJson(const MarginTotals& t) {
  Json j{{"accounts", t.accounts},
         {"equity", t.equity},
         {"initial_margin", t.initialMargin},
         {"maintenance_margin", t.maintenanceMargin},
         {"isolated_margin", t.isolatedMargin},
         {"ok", t.ok},
         {"margin_call", t.marginCall},
         {"liquidate", t.liquidate}};
  if (t.flatCompared || t.esCompared || t.gridCompared) {
    Json c = Json::object();
    if (t.esCompared) c["es"] = {{"im", t.esMargin.im}, {"mm", t.esMargin.mm}};
    if (t.gridCompared) c["grid"] = {{"im", t.grid.im}, {"mm", t.grid.mm}};
    if (t.flatCompared) c["flat"] = {{"im", t.flat.im}, {"mm", t.flat.mm}};
    j["compare"] = std::move(c);
  }
  return j;
}

Json responseToJson(const MarginRequest& request, const MarginResponse& response) {
  Json accounts = Json::array();
  for (size_t i = 0; i < response.accounts.size(); ++i)
    accounts.push_back(accountToJson(request, static_cast<int64_t>(i), response.accounts[i]));
  return {{"accounts", std::move(accounts)},
          {"run", runToJson(response.run)},
          {"totals", totalsToJson(response.totals)}};
}

std::string responseToText(const MarginRequest& request, const MarginResponse& response) {
  std::string out = "{\"accounts\":[";
  for (size_t i = 0; i < response.accounts.size(); ++i) {
    if (i) out += ',';
    appendAccountJson(out, request, static_cast<int64_t>(i), response.accounts[i]);
  }
  out += "],\"run\":" + toText(runToJson(response.run)) +
         ",\"totals\":" + toText(totalsToJson(response.totals)) + "}";
  return out;
}

std::string responseToMsgpack(const MarginRequest& request, const MarginResponse& response) {
  std::ostringstream out;
  StreamingResponseWriter writer(request, out, StreamingResponseWriter::Msgpack{});
  writer.accounts(0, response.accounts);
  writer.finish(RunSummary{response.run, response.totals});
  return std::move(out).str();
}

Json errorToJson(const std::string& code, const std::string& message, const std::string& path) {
  // The message may quote what the caller sent, and the path its keys: whatever their bytes, the
  // envelope itself is always valid UTF-8.
  return {{"error",
           {{"code", code}, {"message", sanitizeUtf8(message)}, {"path", sanitizeUtf8(path)}}}};
}

Json errorToJson(const InputError& e) { return errorToJson(e.code(), e.what(), e.path()); }

Json errorToJson(const ErrorReport& r) {
  return errorToJson(errorKindInfo(r.kind).code, r.message, r.path);
}

StreamingResponseWriter::StreamingResponseWriter(const MarginRequest& request, std::ostream& out,
                                                 int indent)
    : request_(request), out_(out), indent_(indent), accounts_(&request.accounts) {
  out_ << opening();
}

StreamingResponseWriter::StreamingResponseWriter(const MarginRequest& request, std::ostream& out,
                                                 Msgpack)
    : request_(request), out_(out), indent_(-1), msgpack_(true), accounts_(&request.accounts) {
  std::string head;
  MsgpackWriter::header(head, 'm', 3);
  MsgpackWriter::header(head, 's', 8);
  head += "accounts";
  MsgpackWriter::header(head, 'a', request.accounts.size());
  out_ << head;
}

StreamingResponseWriter::StreamingResponseWriter(const MarginRequest& request, std::ostream& out,
                                                 int indent, Shard shard)
    : request_(request),
      out_(out),
      indent_(indent),
      any_(shard.follows),
      accounts_(&request.accounts) {}

void StreamingResponseWriter::accounts(int64_t first, const std::vector<AccountResult>& results) {
  // Serialise the batch's accounts in parallel, write them in request order.
  const int64_t n = static_cast<int64_t>(results.size());
  std::vector<std::string> text(n);
  ParallelErrors errors;
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t i = 0; i < n; ++i) {
    errors.capture([&] {
      faultPoint("writer.accounts");
      const Account& account = (*accounts_)[first + i];
      if (msgpack_) {
        MsgpackWriter w(text[i]);
        writeAccount(w, request_, account, results[i]);
      } else if (indent_ >= 0) {
        text[i] = toText(accountToJson(request_, account, results[i]), indent_);
      } else {
        appendAccountJson(text[i], request_, account, results[i]);
      }
    });
  }
  errors.rethrow();
  // The stream takes the batch on a thread of its own while the engine computes the next batch:
  // one batch in flight, written in order (the previous one's failure surfaces here).
  waitForWrite();
  pending_ = std::async(std::launch::async, [this, text = std::move(text)] {
    for (const std::string& account : text) {
      if (!msgpack_) out_ << (any_ ? "," : "") << (indent_ >= 0 ? "\n" : "");
      out_ << account;
      any_ = true;
    }
  });
}

void StreamingResponseWriter::waitForWrite() {
  if (pending_.valid()) pending_.get();
}

StreamingResponseWriter::~StreamingResponseWriter() {
  if (pending_.valid()) pending_.wait();  // a failed run: its caller discards what was written
}

void writeResponseClosing(std::ostream& out, const RunSummary& summary, int indent) {
  const char* nl = indent >= 0 ? "\n" : "";
  out << nl << "],\"run\":" << toText(runToJson(summary.run), indent) << "," << nl
      << "\"totals\":" << toText(totalsToJson(summary.totals), indent) << "}\n";
}

void StreamingResponseWriter::finish(const RunSummary& summary) {
  waitForWrite();
  if (msgpack_) {
    std::string tail;
    for (const auto& [key, value] : {std::pair{"run", runToJson(summary.run)},
                                     std::pair{"totals", totalsToJson(summary.totals)}}) {
      MsgpackWriter::header(tail, 's', std::string_view(key).size());
      tail += key;
      const std::vector<uint8_t> bytes = Json::to_msgpack(value);
      tail.append(bytes.begin(), bytes.end());
    }
    out_ << tail;
    return;
  }
  writeResponseClosing(out_, summary, indent_);
}

}  // namespace xm
