#include "api/Backtest.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <iomanip>
#include <map>
#include <sstream>

#include "host/Errors.h"
#include "host/FaultInjection.h"
#include "host/MarginEngine.h"
#include "host/Pricing.h"
#include "host/PriceFiles.h"
#include "host/Time.h"

namespace xm {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw InputError(path, (path.empty() ? "portfolio" : path) + ": " + message);
}

// What the backtest sets every day on top of the parsed portfolio.
struct Rolls {
  std::vector<int> tenorDays;        // per instrument, 0: fixed expiry
  std::vector<double> moneyness;     // per instrument, 0: fixed strike
  std::vector<char> indexIv;         // per instrument: iv is the day's implied-vol index
  std::vector<std::vector<char>> autoEntry;  // per account, per position: entry = the day's price
};

// The portfolio as a request: checks what a backtest takes, swaps the backtest-only fields for
// placeholders (recorded in `rolls`) and adds the prices (placeholders, set every day).
Json portfolioRequest(const Json& portfolio, const Json& config, Rolls& rolls) {
  if (!portfolio.is_object()) fail("", "must be a JSON object with instruments and accounts");
  for (auto it = portfolio.begin(); it != portfolio.end(); ++it) {
    if (it.key() != "market" && it.key() != "instruments" && it.key() != "accounts") {
      fail("/" + it.key(), "unknown field; expected one of: market, instruments, accounts");
    }
  }
  Json req = portfolio;
  if (!req.contains("instruments")) fail("/instruments", "required field is missing");
  if (!req.contains("accounts")) fail("/accounts", "required field is missing");
  Json& instruments = req["instruments"];
  if (instruments.is_array()) {
    rolls.tenorDays.assign(instruments.size(), 0);
    rolls.moneyness.assign(instruments.size(), 0.0);
    rolls.indexIv.assign(instruments.size(), 0);
    for (size_t i = 0; i < instruments.size(); ++i) {
      Json& ins = instruments[i];
      const std::string path = "/instruments/" + std::to_string(i);
      if (!ins.is_object()) continue;  // the request parser says what is wrong
      const std::string type = ins.value("type", Json()).is_string() ? ins["type"].get<std::string>() : "";
      if (ins.contains("tenor_days")) {
        if (type != "future" && type != "option") fail(path + "/tenor_days", "only a future or an option rolls");
        if (ins.contains("expiry")) fail(path + "/expiry", "give expiry or tenor_days, not both");
        const Json& t = ins["tenor_days"];
        if (!t.is_number_integer() || t.get<int64_t>() < 1 || t.get<int64_t>() > 3650)
          fail(path + "/tenor_days", "must be an integer within [1, 3650]");
        rolls.tenorDays[i] = static_cast<int>(t.get<int64_t>());
        ins.erase("tenor_days");
        ins["expiry"] = "2000-01-01T00:00:00Z";
      }
      if (ins.contains("moneyness")) {
        if (type != "option") fail(path + "/moneyness", "only an option has a moneyness");
        if (ins.contains("strike")) fail(path + "/strike", "give strike or moneyness, not both");
        const Json& m = ins["moneyness"];
        if (!m.is_number() || !(m.get<double>() > 0.0) || !(m.get<double>() <= 10.0))
          fail(path + "/moneyness", "must be a number within (0, 10]");
        rolls.moneyness[i] = m.get<double>();
        ins.erase("moneyness");
        ins["strike"] = 1.0;
      }
      if (ins.contains("iv") && ins["iv"].is_string()) {
        if (ins["iv"] != "index") fail(path + "/iv", "must be a number, or \"index\" for the underlying's implied-vol index (--implied-vol)");
        if (type != "option") fail(path + "/iv", "only an option has an implied vol");
        rolls.indexIv[i] = 1;
        ins["iv"] = 0.5;
      }
    }
  }
  Json& accounts = req["accounts"];
  if (accounts.is_array()) {
    for (Json& acct : accounts) {
      rolls.autoEntry.emplace_back();
      if (!acct.is_object() || !acct.contains("positions") || !acct["positions"].is_array()) continue;
      for (Json& pos : acct["positions"]) {
        const bool missing = pos.is_object() && !pos.contains("entry_price");
        rolls.autoEntry.back().push_back(missing);
        if (missing) pos["entry_price"] = 1.0;
      }
    }
  }

  // The market: the portfolio's (without prices) or every asset the portfolio refers to.
  Json market = req.contains("market") ? req["market"] : Json::object();
  if (!market.is_object()) fail("/market", "must be an object");
  for (const char* key : {"as_of", "history"}) {
    if (market.contains(key)) fail(std::string("/market/") + key, "a backtest takes it from --prices and the day");
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
      if (!acct.is_object() || !acct.contains("collateral") || !acct["collateral"].is_array()) continue;
      for (const Json& c : acct["collateral"])
        if (c.is_object() && c.contains("asset")) add(c["asset"]);
    }
    market["assets"] = std::move(assets);
  } else if (market["assets"].is_array()) {
    bool haveBase = false;
    for (size_t i = 0; i < market["assets"].size(); ++i) {
      Json& a = market["assets"][i];
      if (!a.is_object()) continue;
      if (a.contains("price")) fail("/market/assets/" + std::to_string(i) + "/price", "a backtest takes prices from --prices");
      a["price"] = 1.0;
      haveBase = haveBase || a.value("id", Json()) == base;
    }
    if (!haveBase) market["assets"].push_back({{"id", base}, {"price", 1.0}});
  }
  market["as_of"] = "2000-01-01T00:00:00Z";
  req["market"] = std::move(market);
  if (!config.is_null()) req["config"] = config;
  return req;
}

// Closes of one asset, by day.
struct Series {
  std::vector<DailyClose> closes;
  const DailyClose* on(long long day) const {
    auto it = std::lower_bound(closes.begin(), closes.end(), day,
                               [](const DailyClose& c, long long d) { return c.day < d; });
    return it != closes.end() && it->day == day ? &*it : nullptr;
  }
};

// An account's P&L from the close of the day to `horizonDays` later (`later`: the closes then),
// with the instruments as the model valued them that day (rolled contracts included).
double accountPnl(const MarginRequest& r, const Account& acct, const std::vector<double>& later,
                  const std::vector<double>& laterIv, double horizonDays) {
  const Market& m = r.market;
  const double h = horizonDays / 365.0;
  double pnl = 0.0;
  for (const Position& pos : acct.positions) {
    const Instrument& ins = r.instruments[pos.instrument];
    const double s0 = m.assets[ins.underlying].price, s1 = later[ins.underlying];
    const double size = pos.qty * ins.contractSize;
    const double t0 = (ins.expiry - m.asOf) / kSecondsPerYear;
    const double t1 = t0 - h;
    switch (ins.type) {
      case InstrumentType::Spot:
      case InstrumentType::Perpetual:
        pnl += size * (s1 - s0);
        break;
      case InstrumentType::InversePerpetual:
        pnl += size * (s1 - s0) / pos.entryPrice;
        break;
      case InstrumentType::Future:
        pnl += size * (forwardPrice(s1, m.rate, t1) - forwardPrice(s0, m.rate, t0));
        break;
      case InstrumentType::Option: {
        const bool call = ins.right == OptionRight::Call;
        pnl += size * (blackScholes(call, s1, ins.strike, std::max(t1, 0.0), laterIv[pos.instrument], m.rate) -
                       blackScholes(call, s0, ins.strike, std::max(t0, 0.0), ins.iv, m.rate));
        break;
      }
    }
  }
  for (const Collateral& c : acct.collateral) pnl += c.amount * (later[c.asset] - m.assets[c.asset].price);
  return pnl;
}

AccountBacktest summarise(const BacktestReport& report, size_t a, const std::string& id) {
  AccountBacktest s;
  s.id = id;
  const double p = 1.0 - report.confidence;
  std::vector<bool> hits;
  for (size_t i = 0; i < report.days.size(); ++i) {
    const BacktestDay& d = report.days[i];
    const bool hit = d.loss[a] > d.var[a];
    hits.push_back(hit);
    s.varExceedances += hit;
    s.marginBreaches += d.loss[a] > d.initialMargin[a];
    s.meanVar += d.var[a];
    s.meanMargin += d.initialMargin[a];
    if (i == 0 || d.loss[a] > s.worstLoss) {
      s.worstLoss = d.loss[a];
      s.worstLossDay = d.day;
    }
    if (i > 0 && report.days[i - 1].day + 1 == d.day && report.days[i - 1].initialMargin[a] > 0.0) {
      const double jump = d.initialMargin[a] / report.days[i - 1].initialMargin[a] - 1.0;
      if (jump > s.maxMarginJump) {
        s.maxMarginJump = jump;
        s.maxMarginJumpDay = d.day;
      }
    }
  }
  s.days = static_cast<int>(report.days.size());
  if (s.days > 0) {
    s.meanVar /= s.days;
    s.meanMargin /= s.days;
  }
  s.kupiec = kupiecPof(s.days, s.varExceedances, p);
  s.christoffersen = christoffersenIndependence(hits);
  s.conditionalCoverage = conditionalCoverage(hits, p);
  s.zone = trafficLight(s.days, s.varExceedances, p);
  return s;
}

}  // namespace

BacktestReport runBacktest(const Json& portfolio, const std::string& pricesDir, const Json& config,
                           long long startDay, long long endDay, const std::string& impliedVolDir) {
  const PriceFolder prices = directoryFolder(pricesDir);
  if (impliedVolDir.empty()) return runBacktest(portfolio, prices, config, startDay, endDay, nullptr);
  const PriceFolder indices = directoryFolder(impliedVolDir);
  return runBacktest(portfolio, prices, config, startDay, endDay, &indices);
}

BacktestReport runBacktest(const Json& portfolio, const PriceFolder& prices, const Json& config,
                           long long startDay, long long endDay, const PriceFolder* impliedVol,
                           const Limits& limits) {
  if (endDay < startDay) throw InputError("", "--end must not be before --start", "usage");
  Rolls rolls;
  const MarginRequest base = parseRequest(portfolioRequest(portfolio, config, rolls), limits);
  const MarginConfig& c = base.config;
  if (c.horizonDays != std::floor(c.horizonDays)) {
    throw InputError("/config/horizon_days", "/config/horizon_days: a backtest needs a whole number "
                                             "of days (closes are daily), got " + std::to_string(c.horizonDays));
  }
  const int h = static_cast<int>(c.horizonDays);

  // Every asset but the base currency needs its closes; a "given" model needs its vols.
  Market loaded = base.market;
  loaded.asOf = 1e12;  // every close: each day's estimators cut at that day's as_of
  loadPriceFiles(prices, loaded);
  std::vector<Series> series(base.market.assets.size());
  const bool listed = portfolio.contains("market") && portfolio["market"].contains("assets");
  BacktestReport report;
  for (size_t a = 0; a < base.market.assets.size(); ++a) {
    const Asset& asset = base.market.assets[a];
    if (asset.id == base.market.baseCurrency) continue;
    auto it = loaded.history.find(static_cast<int>(a));
    if (it == loaded.history.end()) {
      throw InputError("", "--prices: " + prices.label + "/" + asset.id + "-USD_1d.csv is missing; the portfolio holds " + asset.id, "usage");
    }
    series[a].closes = it->second;
  }
  if (c.volModel == VolModel::Given && !listed) {
    fail("/market/assets", "vol_model \"given\" needs the vols: list the assets with their vol in "
                           "the portfolio's market, or use vol_model ewma");
  }
  MarginRequest templ = base;
  templ.market.history = loaded.history;

  // Implied-vol indices: the iv of "index" options, and (vol_model ewma) the implied-vol dynamics
  // of option underlyings, estimated by the engine from the history's iv.
  const size_t nAssets = base.market.assets.size();
  std::vector<char> ivFromIndex(nAssets, 0), optionOn(nAssets, 0);
  for (size_t k = 0; k < base.instruments.size(); ++k) {
    const Instrument& ins = base.instruments[k];
    if (ins.type == InstrumentType::Option) optionOn[ins.underlying] = 1;
    if (!rolls.indexIv[k]) continue;
    ivFromIndex[ins.underlying] = 1;
    if (!impliedVol) {
      fail("/instruments/" + std::to_string(k) + "/iv", "\"index\" needs --implied-vol DIR (e.g. data/implied_vol)");
    }
  }
  if (impliedVol) {
    loadImpliedVolFiles(*impliedVol, templ.market);
    for (size_t a = 0; a < nAssets; ++a) {
      auto it = templ.market.history.find(static_cast<int>(a));
      const bool has = it != templ.market.history.end() &&
                       std::any_of(it->second.begin(), it->second.end(), [](const DailyClose& d) { return d.iv > 0; });
      const std::string& id = base.market.assets[a].id;
      if (!has && ivFromIndex[a]) {
        throw InputError("", "--implied-vol: no index in " + impliedVol->label + "/" + id +
                                 "-DVOL_1d.csv; an option on " + id + " takes its iv from it", "usage");
      }
      if (!has || !optionOn[a]) continue;
      series[a].closes = it->second;
      Json& entry = report.impliedVol[id];
      entry["iv"] = ivFromIndex[a] ? "index" : "instrument";
      entry["vol_of_vol"] = c.volModel == VolModel::Ewma ? "ewma of the index"
                            : base.market.assets[a].volOfVol > 0 ? "given" : "none (give vol_of_vol or use vol_model ewma)";
    }
  }

  report.start = startDay;
  report.end = endDay;
  report.horizonDays = h;
  report.confidence = c.confidence;
  report.config = requestToJson(base)["config"];
  std::vector<long long> testDays;
  for (long long t = startDay; t <= endDay; ++t) {
    bool all = true;
    for (size_t a = 0; a < series.size() && all; ++a) {
      if (base.market.assets[a].id == base.market.baseCurrency) continue;
      all = series[a].on(t) && series[a].on(t + h);
      if (all && ivFromIndex[a]) all = series[a].on(t)->iv > 0 && series[a].on(t + h)->iv > 0;
    }
    if (all) testDays.push_back(t);
    else ++report.skippedDays;
  }
  if (testDays.empty()) {
    throw InputError("", "no day from " + formatDate(startDay) + " to " + formatDate(endDay) +
                             " has every asset's close (and implied-vol index) on it and " +
                             std::to_string(h) + " day(s) later", "usage");
  }

  report.days.resize(testDays.size());
  std::exception_ptr error;
  long long errorDay = 0;
#pragma omp parallel for schedule(dynamic)
  for (size_t i = 0; i < testDays.size(); ++i) {
    const long long t = testDays[i];
    try {
      faultPoint("backtest.days");
      MarginRequest r = templ;
      r.market.asOf = static_cast<double>(t) * 86400.0;
      r.market.asOfText = formatRfc3339(r.market.asOf);
      std::vector<double> later(r.market.assets.size(), 1.0);
      for (size_t a = 0; a < series.size(); ++a) {
        if (r.market.assets[a].id == r.market.baseCurrency) continue;
        r.market.assets[a].price = series[a].on(t)->close;
        later[a] = series[a].on(t + h)->close;
      }
      std::vector<double> laterIv(r.instruments.size());
      for (size_t k = 0; k < r.instruments.size(); ++k) {
        Instrument& ins = r.instruments[k];
        if (rolls.tenorDays[k] > 0) ins.expiry = r.market.asOf + rolls.tenorDays[k] * 86400.0;
        if (rolls.moneyness[k] > 0) ins.strike = rolls.moneyness[k] * r.market.assets[ins.underlying].price;
        laterIv[k] = ins.iv;
        if (rolls.indexIv[k]) {
          ins.iv = series[ins.underlying].on(t)->iv;
          laterIv[k] = series[ins.underlying].on(t + h)->iv;
        }
      }
      for (size_t a = 0; a < r.accounts.size(); ++a) {
        for (size_t p = 0; p < r.accounts[a].positions.size(); ++p) {
          if (!rolls.autoEntry[a][p]) continue;
          Position& pos = r.accounts[a].positions[p];
          const Instrument& ins = r.instruments[pos.instrument];
          const double s = r.market.assets[ins.underlying].price;
          pos.entryPrice = ins.type == InstrumentType::Option ? 0.0
                           : ins.type == InstrumentType::Future
                               ? forwardPrice(s, r.market.rate, (ins.expiry - r.market.asOf) / kSecondsPerYear)
                               : s;
        }
      }
      const MarginResponse m = computeMargin(r);
      BacktestDay& d = report.days[i];
      d.day = t;
      for (size_t a = 0; a < r.accounts.size(); ++a) {
        d.var.push_back(m.accounts[a].var);
        d.es.push_back(m.accounts[a].es);
        d.initialMargin.push_back(m.accounts[a].initialMargin);
        d.loss.push_back(-accountPnl(r, r.accounts[a], later, laterIv, h));
      }
    } catch (...) {
#pragma omp critical(xm_backtest_error)
      if (!error || t < errorDay) {
        error = std::current_exception();
        errorDay = t;
      }
    }
  }
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const InputError& e) {
      throw InputError(e.path(), "margining " + formatDate(errorDay) + ": " + e.what(), e.code(), e.httpStatus());
    }
  }
  for (size_t a = 0; a < base.accounts.size(); ++a) report.accounts.push_back(summarise(report, a, base.accounts[a].id));
  return report;
}

Json backtestToJson(const BacktestReport& report) {
  Json accounts = Json::array();
  for (const AccountBacktest& s : report.accounts) {
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
                        {"max_margin_jump_date", s.maxMarginJump > 0 ? Json(formatDate(s.maxMarginJumpDay)) : Json()},
                        {"worst_loss", s.worstLoss},
                        {"worst_loss_date", formatDate(s.worstLossDay)}});
  }
  return {{"backtest", {{"start", formatDate(report.start)},
                        {"end", formatDate(report.end)},
                        {"horizon_days", report.horizonDays},
                        {"confidence", report.confidence},
                        {"test_days", report.days.size()},
                        {"skipped_days", report.skippedDays},
                        {"implied_vol", report.impliedVol},
                        {"config", report.config}}},
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
      << std::setw(14) << "mean margin" << std::setw(10) << "max jump" << "\n";
  out << std::fixed;
  for (const AccountBacktest& s : report.accounts) {
    out << std::left << std::setw(20) << s.id.substr(0, 19) << std::right << std::setw(6) << s.days
        << std::setw(10) << s.varExceedances << std::setw(9) << std::setprecision(1)
        << s.days * (1.0 - report.confidence) << std::setw(10) << s.marginBreaches
        << std::setw(10) << std::setprecision(3) << s.kupiec.pValue << std::setw(10)
        << s.christoffersen.pValue << std::setw(8) << toString(s.zone) << std::setw(14)
        << std::setprecision(0) << s.meanMargin << std::setw(9) << std::setprecision(1)
        << s.maxMarginJump * 100 << "%\n";
  }
  return out.str();
}

void writeBacktestSeries(const BacktestReport& report, std::ostream& out) {
  out << "date,account,var,es,initial_margin,loss\n";
  out << std::setprecision(17);
  for (const BacktestDay& d : report.days) {
    for (size_t a = 0; a < report.accounts.size(); ++a) {
      out << formatDate(d.day) << ',' << report.accounts[a].id << ',' << d.var[a] << ',' << d.es[a]
          << ',' << d.initialMargin[a] << ',' << d.loss[a] << '\n';
    }
  }
}

}  // namespace xm
