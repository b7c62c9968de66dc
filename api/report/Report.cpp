#include "api/report/Report.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <sstream>

#include "api/json/RequestParser.h"
#include "api/json/ResponseWriter.h"
#include "host/model/Errors.h"
#include "host/model/Time.h"

namespace xm::report {
namespace {

// A field of a document the report reads: `where` is its JSON Pointer for the error.
const Json& member(const Json& object, const char* key, const std::string& where) {
  if (!object.is_object()) throw InputError(where, where + ": must be an object");
  const auto it = object.find(key);
  if (it == object.end())
    throw InputError(where + "/" + key, where + "/" + key + ": required field is missing");
  return *it;
}

double number(const Json& object, const char* key, const std::string& where) {
  const Json& v = member(object, key, where);
  if (!v.is_number()) throw InputError(where + "/" + key, where + "/" + key + ": must be a number");
  return v.get<double>();
}

std::string text(const Json& object, const char* key, const std::string& where) {
  const Json& v = member(object, key, where);
  if (!v.is_string()) throw InputError(where + "/" + key, where + "/" + key + ": must be a string");
  return v.get<std::string>();
}

const Json& array(const Json& object, const char* key, const std::string& where) {
  const Json& v = member(object, key, where);
  if (!v.is_array()) throw InputError(where + "/" + key, where + "/" + key + ": must be an array");
  return v;
}

// The bucket of an account with `legs` legs: 0 for 1, 1 for 2, 2 for 3–4, 3 for 5–8, ...
int sizeBucket(size_t legs) {
  int b = 0;
  for (size_t top = 1; legs > top; top *= 2) ++b;
  return b;
}

bool lessRisky(const ReportBuilder::Risky& a, const ReportBuilder::Risky& b) {
  return a.es > b.es || (a.es == b.es && a.id < b.id);  // heap top: the least risky kept
}

// An InputError from a nested document, its path under `prefix` and its message led by `label`.
[[noreturn]] void rethrowUnder(const InputError& e, const std::string& prefix,
                               const std::string& label) {
  std::string message = e.what();
  if (!prefix.empty() && !e.path().empty() && message.rfind(e.path(), 0) == 0)
    message = prefix + message;  // "/accounts/3/es: ..." -> "/response/accounts/3/es: ..."
  if (!label.empty()) message = label + ": " + message;
  throw InputError(e.path().empty() ? prefix : prefix + e.path(), message, e.kind());
}

}  // namespace

std::vector<SeriesRow> readBacktestSeries(std::string_view csv, const std::string& what) {
  std::vector<SeriesRow> rows;
  size_t lineNo = 0, columns = 0;
  for (size_t begin = 0; begin < csv.size();) {
    size_t end = csv.find('\n', begin);
    if (end == std::string_view::npos) end = csv.size();
    std::string_view line = csv.substr(begin, end - begin);
    begin = end + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::vector<std::string_view> cells;
    for (size_t b = 0; b <= line.size();) {
      const size_t c = std::min(line.find(',', b), line.size());
      cells.push_back(line.substr(b, c - b));
      b = c + 1;
    }
    auto fail = [&](const std::string& why) -> void {
      throw InputError("", what + ": line " + std::to_string(lineNo) + ": " + why);
    };
    if (lineNo == 1) {
      if (cells.size() < 6 || cells[0] != "date" || cells[1] != "account" || cells[2] != "var" ||
          cells[3] != "es" || cells[4] != "initial_margin" || cells[5] != "loss")
        fail(
            "not a backtest series: the header must start date,account,var,es,initial_margin,loss");
      columns = cells.size();
      continue;
    }
    // An account id may hold commas: it is what lies between the date and the figures.
    if (cells.size() < columns)
      fail("has " + std::to_string(cells.size()) + " fields, the header " +
           std::to_string(columns));
    const size_t figures = columns - 2;
    SeriesRow r;
    const auto day = parseDate(cells[0]);
    if (!day) fail("\"" + std::string(cells[0]) + "\" is not a date YYYY-MM-DD");
    r.day = *day;
    const size_t idEnd = cells.size() - figures;
    for (size_t k = 1; k < idEnd; ++k) {
      if (k > 1) r.account += ',';
      r.account += cells[k];
    }
    double* out[] = {&r.var, &r.es, &r.initialMargin, &r.loss};
    for (size_t k = 0; k < 4; ++k) {
      const std::string cell(cells[idEnd + k]);
      size_t used = 0;
      double v = 0.0;
      try {
        v = std::stod(cell, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != cell.size() || cell.empty() || !std::isfinite(v))
        fail("\"" + cell + "\" is not a finite number");
      *out[k] = v;
    }
    rows.push_back(std::move(r));
  }
  if (lineNo == 0) throw InputError("", what + ": empty, expected a backtest series");
  return rows;
}

ReportBuilder::ReportBuilder(const MarginRequest* request) : request_(request) {}

void ReportBuilder::run(const Json& run) {
  if (!run.is_object()) throw InputError("/run", "/run: must be an object");
  run_ = run;
}

void ReportBuilder::totals(const Json& totals) {
  for (const char* key : {"accounts", "equity", "initial_margin", "isolated_margin"})
    number(totals, key, "/totals");
  totals_ = totals;
}

void ReportBuilder::account(const Json& a) {
  const std::string where = "/accounts/" + std::to_string(accounts_);
  Risky r;
  r.id = text(a, "id", where);
  r.status = text(a, "status", where);
  r.equity = number(a, "equity", where);
  r.es = number(a, "es", where);
  r.esStderr = number(a, "es_stderr", where);
  r.isolated = number(a, "isolated_margin", where);
  r.initialMargin = number(a, "initial_margin", where);
  r.maintenanceMargin = number(a, "maintenance_margin", where);
  const double benefit = number(a, "diversification_benefit", where);
  const Json& positions = array(a, "positions", where);
  const Json& collateral = array(a, "collateral", where);
  const Account* known = nullptr;
  if (request_) {
    if (accounts_ >= static_cast<int64_t>(request_->accounts.size()) ||
        request_->accounts[accounts_].id != r.id ||
        request_->accounts[accounts_].positions.size() != positions.size() ||
        request_->accounts[accounts_].collateral.size() != collateral.size()) {
      throw InputError(where, where + ": account \"" + r.id + "\" is not the request's account " +
                                  std::to_string(accounts_) +
                                  " (the request given is not this response's)");
    }
    known = &request_->accounts[accounts_];
  }
  if (r.status == "ok")
    ++sums_.ok;
  else if (r.status == "margin_call")
    ++sums_.marginCall;
  else if (r.status == "liquidate")
    ++sums_.liquidate;
  else
    throw InputError(where + "/status", where + "/status: must be ok, margin_call or liquidate");
  sums_.equity += r.equity;
  sums_.es += std::max(r.es, 0.0);
  sums_.isolated += r.isolated;
  sums_.benefit += benefit;
  sums_.im += r.initialMargin;
  sums_.mm += r.maintenanceMargin;

  if (r.initialMargin > 0.0) {
    const double cover = r.equity / r.initialMargin;
    if (cover < 0.0)
      ++coverageBelow_;
    else if (cover >= kCoverageMax)
      ++coverageAbove_;
    else
      ++coverage_[std::min(kCoverageBins - 1, static_cast<int>(cover / kCoverageStep))];
  } else {
    ++noMargin_;
  }

  Bucket& b = bySize_[sizeBucket(positions.size() + collateral.size())];
  ++b.accounts;
  b.isolated += r.isolated;
  b.margin += std::max(r.es, 0.0);
  b.benefit += benefit;

  for (size_t p = 0; p < positions.size(); ++p) {
    const std::string at = where + "/positions/" + std::to_string(p);
    Leg leg{text(positions[p], "instrument", at), number(positions[p], "value", at),
            number(positions[p], "standalone_es", at), number(positions[p], "es_contribution", at)};
    if (known) {
      const Position& pos = known->positions[p];
      const Instrument& inst = request_->instruments[pos.instrument];
      const Asset& asset = request_->market.assets[inst.underlying];
      const double notional = inst.type == InstrumentType::InversePerpetual
                                  ? pos.qty * inst.contractSize
                                  : pos.qty * inst.contractSize * asset.price;
      AssetExposure& e = exposure_[asset.id];
      (notional >= 0 ? e.longNotional : e.shortNotional) += notional;
      e.esContribution += leg.esContribution;
    } else {
      exposure_[leg.name].esContribution += leg.esContribution;
    }
    r.legs.push_back(std::move(leg));
  }
  for (size_t c = 0; c < collateral.size(); ++c) {
    const std::string at = where + "/collateral/" + std::to_string(c);
    const std::string asset = text(collateral[c], "asset", at);
    Leg leg{"collateral " + asset, number(collateral[c], "value", at),
            number(collateral[c], "standalone_es", at),
            number(collateral[c], "es_contribution", at)};
    AssetExposure& e = exposure_[known ? asset : leg.name];
    if (known) (leg.value >= 0 ? e.longNotional : e.shortNotional) += leg.value;
    e.esContribution += leg.esContribution;
    r.legs.push_back(std::move(leg));
  }
  ++accounts_;
  addRisky(std::move(r));
}

void ReportBuilder::addRisky(Risky r) {
  if (risky_.size() < kRiskiest) {
    risky_.push_back(std::move(r));
    std::push_heap(risky_.begin(), risky_.end(), lessRisky);
  } else if (lessRisky(r, risky_.front())) {
    std::pop_heap(risky_.begin(), risky_.end(), lessRisky);
    risky_.back() = std::move(r);
    std::push_heap(risky_.begin(), risky_.end(), lessRisky);
  }
}

std::vector<ReportBuilder::Risky> ReportBuilder::riskiest() const {
  std::vector<Risky> out = risky_;
  std::sort(out.begin(), out.end(), lessRisky);
  return out;
}

std::string ReportBuilder::sizeLabel(int bucket) {
  if (bucket == 0) return "1 leg";
  if (bucket == 1) return "2 legs";
  const long long lo = (1LL << (bucket - 1)) + 1, hi = 1LL << bucket;
  return std::to_string(lo) + "\u2013" + std::to_string(hi) + " legs";
}

void ReportBuilder::response(const MarginRequest& request, const MarginResponse& response) {
  for (size_t i = 0; i < response.accounts.size(); ++i)
    account(accountToJson(request, static_cast<int64_t>(i), response.accounts[i]));
  run(runToJson(response.run));
  totals(totalsToJson(response.totals));
}

void ReportBuilder::simulation(const Json& simulation) {
  const Json& mc = member(simulation, "monte_carlo", "/simulation");
  number(mc, "paths", "/simulation/monte_carlo");
  member(mc, "insurance_fund", "/simulation/monte_carlo");
  array(simulation, "stress_paths", "/simulation");
  simulation_ = simulation;
}

void ReportBuilder::backtest(const Json& backtest, std::vector<SeriesRow> series) {
  member(backtest, "backtest", "");
  array(backtest, "accounts", "");
  backtest_ = backtest;
  series_ = std::move(series);
}

void readResponse(std::string_view text, ReportBuilder& builder, const std::string& label) {
  std::string top;
  bool sawAccounts = false, sawRun = false, sawTotals = false;
  Json::parser_callback_t cb = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1) {
      top = parsed.get<std::string>();
      return true;
    }
    if (top == "accounts" && depth == 1 && event == Json::parse_event_t::array_start) {
      sawAccounts = true;
      return true;
    }
    if (top == "accounts" && depth == 2 && event == Json::parse_event_t::object_end) {
      builder.account(parsed);
      return false;  // read: the document keeps none of the accounts
    }
    if (depth == 1 && event == Json::parse_event_t::object_end) {
      if (top == "run") {
        builder.run(parsed);
        sawRun = true;
      } else if (top == "totals") {
        builder.totals(parsed);
        sawTotals = true;
      }
      return false;
    }
    return true;
  };
  try {
    try {
      const Json root = Json::parse(text.begin(), text.end(), cb);
      if (!root.is_object() && !root.is_discarded())
        throw InputError("", "not a response: the document is not a JSON object");
    } catch (const Json::parse_error& e) {
      throw InputError("", std::string("not JSON: ") + e.what());
    }
    if (!sawAccounts) throw InputError("/accounts", "/accounts: required field is missing");
    if (!sawRun) throw InputError("/run", "/run: required field is missing");
    if (!sawTotals) throw InputError("/totals", "/totals: required field is missing");
  } catch (const InputError& e) {
    rethrowUnder(e, "", label);
  }
}

std::string reportFromDocument(const Json& body, const Limits& limits,
                               const std::string& generated) {
  if (!body.is_object()) throw InputError("", "request: must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key != "response" && key != "request" && key != "simulation" && key != "backtest" &&
        key != "series" && key != "title")
      throw InputError("/" + key, "/" + key +
                                      ": unknown field (response, request, simulation, "
                                      "backtest, series, title)");
  }
  if (!body.contains("response") && !body.contains("simulation"))
    throw InputError("/response", "/response: required field is missing (or give /simulation)");
  std::optional<MarginRequest> request;
  if (body.contains("request")) {
    try {
      request = parseRequest(body["request"], limits);
    } catch (const InputError& e) {
      rethrowUnder(e, "/request", "");
    }
  }
  ReportBuilder builder(request ? &*request : nullptr);
  auto addResponse = [&](const Json& response, const std::string& at) {
    try {
      if (!response.is_object()) throw InputError("", "must be an object");
      for (const Json& a : array(response, "accounts", "")) builder.account(a);
      builder.run(member(response, "run", ""));
      builder.totals(member(response, "totals", ""));
    } catch (const InputError& e) {
      rethrowUnder(e, at, "");
    }
  };
  if (body.contains("response")) addResponse(body["response"], "/response");
  if (body.contains("simulation")) {
    const Json& sim = body["simulation"];
    try {
      if (!body.contains("response")) addResponse(member(sim, "t0", ""), "/simulation/t0");
      builder.simulation(member(sim, "simulation", ""));
    } catch (const InputError& e) {
      rethrowUnder(e, "/simulation", "");
    }
  }
  if (body.contains("backtest")) {
    std::vector<SeriesRow> series;
    if (body.contains("series")) {
      if (!body["series"].is_string()) throw InputError("/series", "/series: must be a string");
      series = readBacktestSeries(body["series"].get<std::string>(), "/series");
    }
    try {
      builder.backtest(body["backtest"], std::move(series));
    } catch (const InputError& e) {
      rethrowUnder(e, "/backtest", "");
    }
  } else if (body.contains("series")) {
    throw InputError("/series", "/series: a backtest's series comes with its /backtest");
  }
  std::string title = "xmargin risk report";
  if (body.contains("title")) {
    if (!body["title"].is_string()) throw InputError("/title", "/title: must be a string");
    title = body["title"].get<std::string>();
  }
  return builder.html(title, generated);
}

std::string reportFromText(std::string_view body, const Limits& limits,
                           const std::string& generated) {
  constexpr int kMaxDepth = 32;
  Json doc;
  try {
    doc = Json::parse(body.begin(), body.end(), [](int depth, Json::parse_event_t, Json&) {
      if (depth >= kMaxDepth)
        throw InputError("",
                         "request: nesting deeper than " + std::to_string(kMaxDepth) + " levels");
      return true;
    });
  } catch (const Json::exception& e) {
    throw InputError("", std::string("malformed JSON: ") + e.what());
  }
  return reportFromDocument(doc, limits, generated);
}

std::string nowIso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

}  // namespace xm::report
