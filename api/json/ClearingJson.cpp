#include "api/json/ClearingJson.h"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <unordered_map>

#include "api/json/ReportText.h"
#include "api/json/RequestFields.h"
#include "api/json/RequestParser.h"
#include "api/json/ResponseWriter.h"
#include "host/model/Time.h"
#include "host/model/WireNames.h"

namespace xm {
namespace {

using json::Node;

// Clearing's limits: paths × steps bound a run's work like scenarios do a margin run's.
constexpr int64_t kMaxPaths = 1'000'000;
constexpr int kMaxSteps = 10'000;
constexpr double kMaxPathSteps = 1e8;

long long parseDay(const Node& n) {
  const std::string s = n.string();
  const auto d = parseDate(s);
  if (!d) n.fail("must be a date YYYY-MM-DD, got \"" + s + "\"");
  return *d;
}

void parseLiquidation(const Node& n, ClearingConfig& c) {
  n.object({"fee_rate", "impact", "surplus"});
  if (n.has("fee_rate"))
    c.feeRate = n.child("fee_rate").number(0, 1, false, false, "within [0, 1]");
  if (n.has("surplus")) c.surplus = n.child("surplus").choice<LiquidationSurplus>();
  if (n.has("impact")) {
    const Node i = n.child("impact");
    i.object({"coefficient", "decay"});
    if (i.has("coefficient"))
      c.impactCoefficient = i.child("coefficient").number(0, 100, false, false, "within [0, 100]");
    if (i.has("decay"))
      c.impactDecay = i.child("decay").number(0, 1, false, false, "within [0, 1]");
  }
}

void parseBreaker(const Node& n, ClearingConfig& c) {
  n.object({"move", "window_steps", "halt_steps"});
  c.circuitBreaker = true;
  c.breakerMove = n.at("move").number(0, 10, true, false, "within (0, 10]");
  auto steps = [&](const char* key, int fallback) {
    if (!n.has(key)) return fallback;
    const uint64_t v = n.child(key).unsignedInteger();
    if (v < 1 || v > static_cast<uint64_t>(kMaxSteps))
      n.child(key).fail("must be within [1, 10000]");
    return static_cast<int>(v);
  };
  c.breakerWindowSteps = steps("window_steps", 1);
  c.breakerHaltSteps = steps("halt_steps", 1);
}

StressPath parseStressPath(const Node& n, const MarginRequest& r) {
  n.object({"name", "returns"});
  StressPath p;
  p.name = n.at("name").string();
  if (p.name.empty()) n.child("name").fail("must not be empty");
  const Node ret = n.at("returns");
  if (!ret.raw().is_object()) ret.fail("must be an object of per-asset return lists");
  p.returns.assign(r.market.assets.size(), {});
  std::unordered_map<std::string, int> index;
  for (size_t a = 0; a < r.market.assets.size(); ++a)
    index[r.market.assets[a].id] = static_cast<int>(a);
  for (auto it = ret.raw().begin(); it != ret.raw().end(); ++it) {
    const Node list = ret.child(it.key());
    const auto found = index.find(it.key());
    if (found == index.end()) list.fail("not an asset of market.assets");
    const size_t steps = list.array();
    if (steps == 0 || steps > static_cast<size_t>(kMaxSteps))
      list.fail("must hold 1 to 10000 returns");
    for (size_t t = 0; t < steps; ++t) {
      p.returns[found->second].push_back(
          list[t].number(-1, 100, true, false, "a simple return within (-1, 100]"));
    }
    p.steps = std::max(p.steps, static_cast<int>(steps));
  }
  if (p.steps == 0) ret.fail("must give the returns of at least one asset");
  return p;
}

ClearingConfig parseClearing(const Node& n, const MarginRequest& r) {
  ClearingConfig c;
  n.object({"paths", "steps", "step_hours", "insurance_fund", "loss_allocation", "liquidation",
            "circuit_breaker", "stress_paths", "replay"});
  if (n.has("paths")) {
    const uint64_t v = n.child("paths").unsignedInteger();
    if (v > static_cast<uint64_t>(kMaxPaths)) n.child("paths").fail("must be within [0, 1000000]");
    c.paths = static_cast<int64_t>(v);
  }
  if (n.has("steps")) {
    const uint64_t v = n.child("steps").unsignedInteger();
    if (v < 1 || v > static_cast<uint64_t>(kMaxSteps))
      n.child("steps").fail("must be within [1, 10000]");
    c.steps = static_cast<int>(v);
  }
  if (static_cast<double>(c.paths) * c.steps > kMaxPathSteps) {
    n.child(n.has("paths") ? "paths" : "steps").fail("paths × steps must be at most 1e8");
  }
  if (n.has("step_hours"))
    c.stepHours = n.child("step_hours").number(0, 24 * 365, true, false, "within (0, 8760]");
  if (n.has("insurance_fund"))
    c.insuranceFund = n.child("insurance_fund").number(0, 1e15, false, false, "within [0, 1e15]");
  if (n.has("loss_allocation"))
    c.lossAllocation = n.child("loss_allocation").choice<LossAllocation>();
  if (n.has("liquidation")) parseLiquidation(n.child("liquidation"), c);
  if (n.has("circuit_breaker")) parseBreaker(n.child("circuit_breaker"), c);
  if (n.has("stress_paths")) {
    const Node list = n.child("stress_paths");
    const size_t count = list.array();
    if (count > 1000) list.fail("at most 1000 stress paths");
    for (size_t i = 0; i < count; ++i) c.stressPaths.push_back(parseStressPath(list[i], r));
  }
  if (n.has("replay")) {
    const Node rp = n.child("replay");
    rp.object({"from", "to"});
    c.replay = true;
    c.replayFrom = parseDay(rp.at("from"));
    c.replayTo = parseDay(rp.at("to"));
    if (c.replayTo <= c.replayFrom) rp.child("to").fail("must be after from");
    if (c.replayTo - c.replayFrom > kMaxSteps) rp.child("to").fail("at most 10000 days after from");
  }
  return c;
}

Json distributionToJson(const Distribution& d) {
  return {{"mean", d.mean},
          {"median", d.median},
          {"q99", d.q99},
          {"es99", d.es99},
          {"histogram", {{"lo", d.lo}, {"hi", d.hi}, {"counts", d.counts}}}};
}

Json finite(double x) { return std::isfinite(x) ? Json(x) : Json(); }

Json summaryToJson(const MarginRequest& r, const ClearingSummary& s, double fund0) {
  Json accounts = Json::array();
  for (size_t i = 0; i < s.probLiquidated.size(); ++i) {
    accounts.push_back({{"id", r.accounts[i].id},
                        {"prob_liquidated", s.probLiquidated[i]},
                        {"expected_deficit", s.expectedDeficit[i]},
                        {"prob_deleveraged", s.probDeleveraged[i]},
                        {"expected_socialized", s.expectedSocialized[i]}});
  }
  return {{"paths", s.paths},
          {"insurance_fund",
           {{"start", fund0},
            {"end", distributionToJson(s.fundEnd)},
            {"drawdown", distributionToJson(s.fundDrawdown)},
            {"prob_exhausted", s.probExhausted}}},
          {"liquidations",
           {{"count", distributionToJson(s.liquidations)},
            {"notional", distributionToJson(s.liquidatedNotional)},
            {"impact_cost", distributionToJson(s.impactCost)}}},
          {"adl", {{"probability", s.probAdl}, {"mean", s.meanAdl}}},
          {"socialized", {{"probability", s.probSocialized}, {"mean", s.meanSocialized}}},
          {"uncovered", {{"probability", s.probUncovered}, {"mean", s.meanUncovered}}},
          {"circuit_breaker_firings", s.meanBreakerFirings},
          {"worst_cover2", {{"amount", s.worstCover2}, {"path", s.worstCover2Path}}},
          {"accounts", std::move(accounts)}};
}

Json pathToJson(const MarginRequest& r, const NamedOutcome& n, double fund0) {
  const PathOutcome& o = n.outcome;
  Json liquidations = Json::array();
  for (const Liquidation& l : o.liquidations) {
    Json positions = Json::array();
    const Account& acct = r.accounts[l.account];
    for (size_t p = 0; p < acct.positions.size(); ++p) {
      positions.push_back({{"instrument", r.instruments[acct.positions[p].instrument].id},
                           {"bankruptcy_price", finite(l.bankruptcyPrice[p])},
                           {"close_price", l.closePrice[p]}});
    }
    liquidations.push_back({{"account", acct.id},
                            {"step", l.step},
                            {"equity_before", l.equityBefore},
                            {"notional", l.notional},
                            {"impact_cost", l.impactCost},
                            {"fee", l.fee},
                            {"surplus_to_fund", l.surplusToFund},
                            {"deficit", l.deficit},
                            {"positions", std::move(positions)}});
  }
  Json accounts = Json::array();
  for (size_t i = 0; i < r.accounts.size(); ++i) {
    if (o.deficit[i] == 0 && o.deleveragedQty[i] == 0 && o.socializedCharge[i] == 0 &&
        o.uncollateralised[i] == 0)
      continue;
    accounts.push_back({{"id", r.accounts[i].id},
                        {"deficit", o.deficit[i]},
                        {"deleveraged_qty", o.deleveragedQty[i]},
                        {"adl_loss", o.adlLoss[i]},
                        {"socialized_charge", o.socializedCharge[i]},
                        {"uncollateralised_loss", o.uncollateralised[i]}});
  }
  return {{"name", n.name},
          {"insurance_fund",
           {{"start", fund0},
            {"end", o.fundEnd},
            {"lowest", o.fundMin},
            {"draw", o.fundDraw},
            {"income", o.fundIncome}}},
          {"deficits", o.deficits},
          {"adl", o.adl},
          {"socialized", o.socialized},
          {"uncovered", o.uncovered},
          {"circuit_breaker_firings", o.breakerFirings},
          {"cover1", o.cover1},
          {"cover2", o.cover2},
          {"covers_cover2", fund0 >= o.cover2},
          {"cover2_margin", fund0 - o.cover2},
          {"liquidations", std::move(liquidations)},
          {"accounts", std::move(accounts)}};
}

}  // namespace

SimulateRequest parseSimulateRequest(Json body, const Limits& limits) {
  if (!body.is_object()) throw InputError("", "request: must be a JSON object");
  Json clearing = body.contains("clearing") ? body["clearing"] : Json(nullptr);
  if (clearing.is_null()) throw InputError("/clearing", "/clearing: required field is missing");
  body.erase("clearing");
  SimulateRequest sim;
  sim.request = parseRequest(std::move(body), limits);
  sim.clearing = parseClearing(Node(clearing, "/clearing"), sim.request);
  return sim;
}

SimulateRequest parseSimulateText(std::string_view text, const Limits& limits) {
  Json body;
  try {
    body = Json::parse(text);
  } catch (const Json::parse_error&) {
    parseRequestText(text, limits);  // throws the located error of the margin parser
    throw;
  }
  return parseSimulateRequest(std::move(body), limits);
}

Json clearingToJson(const SimulateRequest& sim, const ClearingResult& result) {
  const ClearingConfig& c = sim.clearing;
  const MarginRequest& r = sim.request;
  Json named = Json::array(), without = Json::array();
  for (const NamedOutcome& n : result.named) named.push_back(pathToJson(r, n, c.insuranceFund));
  for (const NamedOutcome& n : result.namedWithoutBreaker)
    without.push_back(pathToJson(r, n, c.insuranceFund));
  Json sim0 = {{"backend", wireName(result.backend)},
               {"loss_allocation", wireName(c.lossAllocation)},
               {"steps", c.steps},
               {"step_hours", c.stepHours},
               {"monte_carlo", summaryToJson(r, result.monteCarlo, c.insuranceFund)},
               {"stress_paths", std::move(named)}};
  if (c.replay) sim0["replay_held"] = result.replayHeld;
  if (result.compared) {
    sim0["without_circuit_breaker"] = {
        {"monte_carlo", summaryToJson(r, result.monteCarloWithoutBreaker, c.insuranceFund)},
        {"stress_paths", std::move(without)}};
  }
  Json margin = responseToJson(r, result.t0);
  return {{"t0", std::move(margin)}, {"simulation", std::move(sim0)}};
}

namespace {

// The Monte Carlo summary's lines of the table.
void monteCarloLines(const ClearingConfig& c, const ClearingSummary& s, std::ostream& out) {
  char line[256];
  if (s.paths > 0) {
    std::snprintf(line, sizeof line, "  Monte Carlo: %lld paths x %d steps of %g h\n",
                  static_cast<long long>(s.paths), c.steps, c.stepHours);
    out << line;
    std::snprintf(line, sizeof line,
                  "    fund end      mean %s  median %s  1%%-worst %s;  P(exhausted) %.2f%%\n",
                  shortMoney(s.fundEnd.mean).c_str(), shortMoney(s.fundEnd.median).c_str(),
                  shortMoney(s.fundEnd.q99).c_str(), 100 * s.probExhausted);
    out << line;
    std::snprintf(line, sizeof line, "    fund drawdown mean %s  99%% %s  ES99 %s\n",
                  shortMoney(s.fundDrawdown.mean).c_str(), shortMoney(s.fundDrawdown.q99).c_str(),
                  shortMoney(s.fundDrawdown.es99).c_str());
    out << line;
    std::snprintf(line, sizeof line,
                  "    liquidations  mean %.1f per path (notional %s, impact cost %s)\n",
                  s.liquidations.mean, shortMoney(s.liquidatedNotional.mean).c_str(),
                  shortMoney(s.impactCost.mean).c_str());
    out << line;
    std::snprintf(line, sizeof line,
                  "    P(ADL) %.2f%% (mean %s)  P(socialized) %.2f%% (mean %s)  P(uncovered) "
                  "%.2f%% (mean %s)\n",
                  100 * s.probAdl, shortMoney(s.meanAdl).c_str(), 100 * s.probSocialized,
                  shortMoney(s.meanSocialized).c_str(), 100 * s.probUncovered,
                  shortMoney(s.meanUncovered).c_str());
    out << line;
    std::snprintf(line, sizeof line, "    worst Cover-2 %s (path %lld): the fund %s it\n",
                  shortMoney(s.worstCover2).c_str(), static_cast<long long>(s.worstCover2Path),
                  c.insuranceFund >= s.worstCover2 ? "covers" : "does NOT cover");
    out << line;
  }
}

}  // namespace

std::string clearingTable(const SimulateRequest& sim, const ClearingResult& result) {
  const ClearingConfig& c = sim.clearing;
  std::ostringstream out;
  char line[256];
  out << "Clearing simulation: " << sim.request.accounts.size() << " accounts, loss allocation "
      << wireName(c.lossAllocation) << ", insurance fund " << shortMoney(c.insuranceFund) << "\n";
  monteCarloLines(c, result.monteCarlo, out);
  const ClearingSummary& s = result.monteCarlo;
  for (const NamedOutcome& n : result.named) {
    const PathOutcome& o = n.outcome;
    std::snprintf(
        line, sizeof line,
        "  %-30s liquidations %zu, deficits %s: fund %s, ADL %s, socialized %s, uncovered %s; "
        "fund end %s\n",
        n.name.substr(0, 30).c_str(), o.liquidations.size(), shortMoney(o.deficits).c_str(),
        shortMoney(o.fundDraw).c_str(), shortMoney(o.adl).c_str(), shortMoney(o.socialized).c_str(),
        shortMoney(o.uncovered).c_str(), shortMoney(o.fundEnd).c_str());
    out << line;
    std::snprintf(line, sizeof line, "  %-30s Cover-1 %s, Cover-2 %s: %s by %s\n", "",
                  shortMoney(o.cover1).c_str(), shortMoney(o.cover2).c_str(),
                  c.insuranceFund >= o.cover2 ? "covered" : "NOT covered",
                  shortMoney(std::abs(c.insuranceFund - o.cover2)).c_str());
    out << line;
  }
  if (result.compared && s.paths > 0) {
    const ClearingSummary& w = result.monteCarloWithoutBreaker;
    std::snprintf(
        line, sizeof line,
        "  Circuit breaker: %.2f firings per Monte Carlo path; without it the fund ends at "
        "%s (mean), liquidations %.1f, uncovered %s\n",
        s.meanBreakerFirings, shortMoney(w.fundEnd.mean).c_str(), w.liquidations.mean,
        shortMoney(w.meanUncovered).c_str());
    out << line;
  }
  for (size_t i = 0; result.compared && i < result.namedWithoutBreaker.size(); ++i) {
    const PathOutcome& with = result.named[i].outcome;
    const PathOutcome& o = result.namedWithoutBreaker[i].outcome;
    std::snprintf(
        line, sizeof line,
        "  %-30s circuit breaker fired %d time(s); without it: liquidations %zu, deficits "
        "%s, fund end %s, uncovered %s\n",
        result.named[i].name.substr(0, 30).c_str(), with.breakerFirings, o.liquidations.size(),
        shortMoney(o.deficits).c_str(), shortMoney(o.fundEnd).c_str(),
        shortMoney(o.uncovered).c_str());
    out << line;
  }
  if (c.replay && !result.replayHeld.empty()) {
    out << "  the replay holds still (no close in its window):";
    for (const std::string& id : result.replayHeld) out << " " << id;
    out << "\n";
  }
  return out.str();
}

}  // namespace xm
