#include "api/json/BacktestJson.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <iomanip>
#include <map>
#include <sstream>

#include "host/base/FaultInjection.h"
#include "host/engine/Pricing.h"
#include "host/margin/MarginEngine.h"
#include "host/market/PriceFiles.h"
#include "host/model/Errors.h"
#include "host/model/Time.h"

namespace xm {
namespace {

// One instrument of the portfolio: its backtest-only fields (tenor_days, moneyness, iv "index")
// checked, recorded in `rolls` and swapped for placeholders the request parser accepts.
void rollInstrument(Json& ins, size_t i, BacktestRolls& rolls) {
  const std::string path = "/instruments/" + std::to_string(i);
  if (!ins.is_object()) return;  // the request parser says what is wrong
  const std::string type =
      ins.value("type", Json()).is_string() ? ins["type"].get<std::string>() : "";
  if (ins.contains("tenor_days")) {
    if (type != "future" && type != "option")
      portfolioError(path + "/tenor_days", "only a future or an option rolls");
    if (ins.contains("expiry"))
      portfolioError(path + "/expiry", "give expiry or tenor_days, not both");
    const Json& t = ins["tenor_days"];
    if (!t.is_number_integer() || t.get<int64_t>() < 1 || t.get<int64_t>() > 3650)
      portfolioError(path + "/tenor_days", "must be an integer within [1, 3650]");
    rolls.tenorDays[i] = static_cast<int>(t.get<int64_t>());
    ins.erase("tenor_days");
    ins["expiry"] = "2000-01-01T00:00:00Z";
  }
  if (ins.contains("moneyness")) {
    if (type != "option") portfolioError(path + "/moneyness", "only an option has a moneyness");
    if (ins.contains("strike"))
      portfolioError(path + "/strike", "give strike or moneyness, not both");
    const Json& m = ins["moneyness"];
    if (!m.is_number() || !(m.get<double>() > 0.0) || !(m.get<double>() <= 10.0))
      portfolioError(path + "/moneyness", "must be a number within (0, 10]");
    rolls.moneyness[i] = m.get<double>();
    ins.erase("moneyness");
    ins["strike"] = 1.0;
  }
  if (ins.contains("iv") && ins["iv"].is_string()) {
    if (ins["iv"] != "index")
      portfolioError(path + "/iv",
                     "must be a number, or \"index\" for the underlying's implied-vol index "
                     "(--implied-vol)");
    if (type != "option") portfolioError(path + "/iv", "only an option has an implied vol");
    rolls.indexIv[i] = 1;
    ins["iv"] = 0.5;
  }
}

// The market of the request: the portfolio's (without prices, as_of or history), or every asset
// the portfolio refers to; the base currency always among them; prices are placeholders.
Json portfolioMarket(const Json& req) {
  Json market = req.contains("market") ? req["market"] : Json::object();
  const Json& instruments = req["instruments"];
  const Json& accounts = req["accounts"];
  if (!market.is_object()) portfolioError("/market", "must be an object");
  for (const char* key : {"as_of", "history"}) {
    if (market.contains(key))
      portfolioError(std::string("/market/") + key,
                     "a backtest takes it from --prices and the day");
  }
  const std::string base = market.value("base_currency", Json("USD")).is_string()
                               ? market.value("base_currency", Json("USD")).get<std::string>()
                               : "USD";
  if (!market.contains("assets")) {
    Json assets = Json::array({{{"id", base}, {"price", 1.0}}});
    std::vector<std::string> ids{base};
    auto add = [&](const Json& id) {
      if (id.is_string() && std::find(ids.begin(), ids.end(), id.get<std::string>()) == ids.end()) {
        ids.push_back(id.get<std::string>());
        assets.push_back({{"id", id}, {"price", 1.0}});
      }
    };
    for (const Json& ins : instruments)
      if (ins.is_object() && ins.contains("underlying")) add(ins["underlying"]);
    for (const Json& acct : accounts) {
      if (!acct.is_object() || !acct.contains("collateral") || !acct["collateral"].is_array())
        continue;
      for (const Json& c : acct["collateral"])
        if (c.is_object() && c.contains("asset")) add(c["asset"]);
    }
    market["assets"] = std::move(assets);
  } else if (market["assets"].is_array()) {
    bool haveBase = false;
    for (size_t i = 0; i < market["assets"].size(); ++i) {
      Json& a = market["assets"][i];
      if (!a.is_object()) continue;
      if (a.contains("price"))
        portfolioError("/market/assets/" + std::to_string(i) + "/price",
                       "a backtest takes prices from --prices");
      a["price"] = 1.0;
      haveBase = haveBase || a.value("id", Json()) == base;
    }
    if (!haveBase) market["assets"].push_back({{"id", base}, {"price", 1.0}});
  }
  market["as_of"] = "2000-01-01T00:00:00Z";
  return market;
}

// The portfolio as a request: checks what a backtest takes, swaps the backtest-only fields for
// placeholders (recorded in `rolls`) and adds the prices (placeholders, set every day).
Json portfolioRequest(const Json& portfolio, const Json& config, BacktestRolls& rolls) {
  if (!portfolio.is_object())
    portfolioError("", "must be a JSON object with instruments and accounts");
  for (auto it = portfolio.begin(); it != portfolio.end(); ++it) {
    if (it.key() != "market" && it.key() != "instruments" && it.key() != "accounts") {
      portfolioError("/" + it.key(),
                     "unknown field; expected one of: market, instruments, accounts");
    }
  }
  Json req = portfolio;
  if (!req.contains("instruments")) portfolioError("/instruments", "required field is missing");
  if (!req.contains("accounts")) portfolioError("/accounts", "required field is missing");
  Json& instruments = req["instruments"];
  if (instruments.is_array()) {
    rolls.tenorDays.assign(instruments.size(), 0);
    rolls.moneyness.assign(instruments.size(), 0.0);
    rolls.indexIv.assign(instruments.size(), 0);
    for (size_t i = 0; i < instruments.size(); ++i) rollInstrument(instruments[i], i, rolls);
  }
  // A position without entry_price enters at the day's price.
  Json& accounts = req["accounts"];
  if (accounts.is_array()) {
    for (Json& acct : accounts) {
      rolls.autoEntry.emplace_back();
      if (!acct.is_object() || !acct.contains("positions") || !acct["positions"].is_array())
        continue;
      for (Json& pos : acct["positions"]) {
        const bool missing = pos.is_object() && !pos.contains("entry_price");
        rolls.autoEntry.back().push_back(missing);
        if (missing) pos["entry_price"] = 1.0;
      }
    }
  }
  req["market"] = portfolioMarket(req);
  if (!config.is_null()) req["config"] = config;
  return req;
}

Json impliedVolToJson(const BacktestReport& report) {
  Json out = Json::object();
  for (const auto& [asset, use] : report.impliedVol) {
    const char* volOfVol = use.volOfVol == ImpliedVolUse::VolOfVol::EwmaOfIndex
                               ? "ewma of the index"
                           : use.volOfVol == ImpliedVolUse::VolOfVol::Given
                               ? "given"
                               : "none (give vol_of_vol or use vol_model ewma)";
    out[asset] = {{"iv", use.indexIv ? "index" : "instrument"}, {"vol_of_vol", volOfVol}};
  }
  return out;
}

}  // namespace

BacktestPortfolio parseBacktestPortfolio(const Json& portfolio, const Json& config,
                                         const Limits& limits) {
  BacktestPortfolio p;
  p.request = parseRequest(portfolioRequest(portfolio, config, p.rolls), limits);
  p.listsAssets = portfolio.contains("market") && portfolio["market"].contains("assets");
  return p;
}

BacktestReport runBacktest(const Json& portfolio, const std::string& pricesDir, const Json& config,
                           long long startDay, long long endDay, const std::string& impliedVolDir,
                           const DayShards* shards, ProgressListener* progress) {
  const PriceFolder prices = directoryFolder(pricesDir);
  if (impliedVolDir.empty())
    return runBacktest(portfolio, prices, config, startDay, endDay, nullptr, {}, shards, progress);
  const PriceFolder indices = directoryFolder(impliedVolDir);
  return runBacktest(portfolio, prices, config, startDay, endDay, &indices, {}, shards, progress);
}

BacktestReport runBacktest(const Json& portfolio, const PriceFolder& prices, const Json& config,
                           long long startDay, long long endDay, const PriceFolder* impliedVol,
                           const Limits& limits, const DayShards* shards,
                           ProgressListener* progress) {
  checkBacktestRange(startDay, endDay);  // before the portfolio: the range is the first mistake
  return runBacktest(parseBacktestPortfolio(portfolio, config, limits), prices, startDay, endDay,
                     impliedVol, shards, progress);
}

Json backtestToJson(const BacktestReport& report) {
  Json accounts = Json::array();
  for (const AccountBacktest& s : report.accounts) {
    Json methods = Json::object();
    for (const MethodBacktest& m : s.methods) {
      methods[wireName(m.method)] = {
          {"margin_breaches", m.breaches},
          {"breach_rate", s.days > 0 ? m.breaches / double(s.days) : 0.0},
          {"mean_margin", m.meanMargin}};
    }
    accounts.push_back({{"id", s.id},
                        {"days", s.days},
                        {"var_exceedances", s.varExceedances},
                        {"expected_exceedances", s.days * (1.0 - report.confidence)},
                        {"margin_breaches", s.marginBreaches},
                        {"kupiec_p", s.kupiec.pValue},
                        {"christoffersen_p", s.christoffersen.pValue},
                        {"conditional_coverage_p", s.conditionalCoverage.pValue},
                        {"zone", toString(s.zone)},
                        {"mean_var", s.meanVar},
                        {"mean_margin", s.meanMargin},
                        {"max_margin_jump", s.maxMarginJump},
                        {"max_margin_jump_date",
                         s.maxMarginJump > 0 ? Json(formatDate(s.maxMarginJumpDay)) : Json()},
                        {"worst_loss", s.worstLoss},
                        {"worst_loss_date", formatDate(s.worstLossDay)},
                        {"methods", std::move(methods)}});
  }
  return {{"backtest",
           {{"start", formatDate(report.start)},
            {"end", formatDate(report.end)},
            {"horizon_days", report.horizonDays},
            {"confidence", report.confidence},
            {"test_days", report.days.size()},
            {"skipped_days", report.skippedDays},
            {"implied_vol", impliedVolToJson(report)},
            {"config", configToJson(report.config)}}},
          {"accounts", std::move(accounts)}};
}

std::string backtestTable(const BacktestReport& report) {
  std::ostringstream out;
  out << "backtest " << formatDate(report.start) << " .. " << formatDate(report.end) << ": "
      << report.days.size() << " days (" << report.skippedDays << " skipped), horizon "
      << report.horizonDays << " d, VaR " << report.confidence * 100 << "%\n";
  out << std::left << std::setw(20) << "account" << std::right << std::setw(6) << "days"
      << std::setw(10) << "VaR exc" << std::setw(9) << "expect" << std::setw(10) << "IM brch"
      << std::setw(10) << "kupiec_p" << std::setw(10) << "chris_p" << std::setw(8) << "zone"
      << std::setw(14) << "mean margin" << std::setw(10) << "max jump"
      << "\n";
  out << std::fixed;
  for (const AccountBacktest& s : report.accounts) {
    out << std::left << std::setw(20) << s.id.substr(0, 19) << std::right << std::setw(6) << s.days
        << std::setw(10) << s.varExceedances << std::setw(9) << std::setprecision(1)
        << s.days * (1.0 - report.confidence) << std::setw(10) << s.marginBreaches << std::setw(10)
        << std::setprecision(3) << s.kupiec.pValue << std::setw(10) << s.christoffersen.pValue
        << std::setw(8) << toString(s.zone) << std::setw(14) << std::setprecision(0) << s.meanMargin
        << std::setw(9) << std::setprecision(1) << s.maxMarginJump * 100 << "%\n";
  }
  if (!report.config.compare.empty()) {  // margin by method (contract §11)
    out << "\n"
        << std::left << std::setw(20) << "account" << std::setw(8) << "method" << std::right
        << std::setw(10) << "IM brch" << std::setw(14) << "mean margin"
        << "\n";
    for (const AccountBacktest& s : report.accounts) {
      for (const MethodBacktest& m : s.methods) {
        out << std::left << std::setw(20) << s.id.substr(0, 19) << std::setw(8)
            << wireName(m.method) << std::right << std::setw(10) << m.breaches << std::setw(14)
            << std::setprecision(0) << m.meanMargin << "\n";
      }
    }
  }
  return out.str();
}

void writeBacktestSeries(const BacktestReport& report, std::ostream& out) {
  // With config.compare, one initial-margin column per compared method: im_<method>.
  out << "date,account,var,es,initial_margin,loss";
  for (MarginMethod m : report.config.compare) out << ",im_" << wireName(m);
  out << '\n' << std::setprecision(17);
  for (const BacktestDay& d : report.days) {
    for (size_t a = 0; a < report.accounts.size(); ++a) {
      out << formatDate(d.day) << ',' << report.accounts[a].id << ',' << d.var[a] << ',' << d.es[a]
          << ',' << d.initialMargin[a] << ',' << d.loss[a];
      for (size_t k = 1; k < d.methodMargin.size(); ++k) out << ',' << d.methodMargin[k][a];
      out << '\n';
    }
  }
}

}  // namespace xm
