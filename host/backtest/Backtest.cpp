#include "host/backtest/Backtest.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <string>

#include "host/base/FaultInjection.h"
#include "host/engine/Instruments.h"
#include "host/margin/MarginEngine.h"
#include "host/model/Errors.h"
#include "host/model/Time.h"

namespace xm {
namespace {

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
  double pnl = 0.0;
  for (const Position& pos : acct.positions) {
    const Instrument& ins = r.instruments[pos.instrument];
    pnl += realisedPnl(ins, pos, m, later[ins.underlying], laterIv[pos.instrument], horizonDays);
  }
  for (const Collateral& c : acct.collateral)
    pnl += c.amount * (later[c.asset] - m.assets[c.asset].price);
  return pnl;
}

AccountBacktest summarise(const BacktestReport& report, size_t a, const std::string& id) {
  AccountBacktest s;
  s.id = id;
  const std::vector<MarginMethod> methods = reportedMethods(report.config);
  for (size_t k = 0; k < methods.size(); ++k) {
    MethodBacktest m;
    m.method = methods[k];
    for (const BacktestDay& d : report.days) {
      m.breaches += d.loss[a] > d.methodMargin[k][a];
      m.meanMargin += d.methodMargin[k][a];
    }
    if (!report.days.empty()) m.meanMargin /= static_cast<double>(report.days.size());
    s.methods.push_back(m);
  }
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

// What every day of a backtest starts from: the request with the whole history (each day's
// estimators cut it at that day's as_of), every asset's closes by day, and which assets' options
// take their iv from the implied-vol index.
struct BacktestData {
  MarginRequest templ;
  std::vector<Series> series;
  std::vector<char> ivFromIndex;
};

// Loads the closes of every asset but the base currency (a missing file is a usage error naming
// it) and, with `impliedVol`, the indices; records in `report` what each index drives.
BacktestData loadBacktestData(const BacktestPortfolio& portfolio, const PriceFolder& prices,
                              const PriceFolder* impliedVol, BacktestReport& report) {
  const BacktestRolls& rolls = portfolio.rolls;
  const MarginRequest& base = portfolio.request;
  const MarginConfig& c = base.config;
  BacktestData data;
  // Every asset but the base currency needs its closes; a "given" model needs its vols.
  Market loaded = base.market;
  loaded.asOf = 1e12;  // every close: each day's estimators cut at that day's as_of
  loadPriceFiles(prices, loaded);
  data.series.resize(base.market.assets.size());
  for (size_t a = 0; a < base.market.assets.size(); ++a) {
    const Asset& asset = base.market.assets[a];
    if (asset.id == base.market.baseCurrency) continue;
    auto it = loaded.history.find(static_cast<int>(a));
    if (it == loaded.history.end()) {
      throw InputError("",
                       "--prices: " + prices.label + "/" + asset.id +
                           "-USD_1d.csv is missing; the portfolio holds " + asset.id,
                       ErrorKind::Usage);
    }
    data.series[a].closes = it->second;
  }
  if (c.volModel == VolModel::Given && !portfolio.listsAssets) {
    portfolioError("/market/assets",
                   "vol_model \"given\" needs the vols: list the assets with their vol in "
                   "the portfolio's market, or use vol_model ewma");
  }
  data.templ = base;
  data.templ.market.history = loaded.history;

  // Implied-vol indices: the iv of "index" options, and (vol_model ewma) the implied-vol dynamics
  // of option underlyings, estimated by the engine from the history's iv.
  const size_t nAssets = base.market.assets.size();
  data.ivFromIndex.assign(nAssets, 0);
  std::vector<char> optionOn(nAssets, 0);
  for (size_t k = 0; k < base.instruments.size(); ++k) {
    const Instrument& ins = base.instruments[k];
    if (traitsOf(ins.type).option) optionOn[ins.underlying] = 1;
    if (!rolls.indexIv[k]) continue;
    data.ivFromIndex[ins.underlying] = 1;
    if (!impliedVol) {
      portfolioError("/instruments/" + std::to_string(k) + "/iv",
                     "\"index\" needs --implied-vol DIR (e.g. data/implied_vol)");
    }
  }
  if (!impliedVol) return data;
  MarketHistory& history = data.templ.market.history;
  loadImpliedVolFiles(*impliedVol, data.templ.market);
  for (size_t a = 0; a < nAssets; ++a) {
    auto it = history.find(static_cast<int>(a));
    const bool has =
        it != history.end() && std::any_of(it->second.begin(), it->second.end(),
                                           [](const DailyClose& d) { return d.iv > 0; });
    const std::string& id = base.market.assets[a].id;
    if (!has && data.ivFromIndex[a]) {
      throw InputError("",
                       "--implied-vol: no index in " + impliedVol->label + "/" + id +
                           "-DVOL_1d.csv; an option on " + id + " takes its iv from it",
                       ErrorKind::Usage);
    }
    if (!has || !optionOn[a]) continue;
    data.series[a].closes = it->second;
    ImpliedVolUse& use = report.impliedVol[id];
    use.indexIv = data.ivFromIndex[a];
    use.volOfVol = c.volModel == VolModel::Ewma         ? ImpliedVolUse::VolOfVol::EwmaOfIndex
                   : base.market.assets[a].volOfVol > 0 ? ImpliedVolUse::VolOfVol::Given
                                                        : ImpliedVolUse::VolOfVol::None;
  }
  return data;
}

// The days of [start, end] with every asset's close (and index, where one drives an iv) on the
// day and h days later; the others are counted in report.skippedDays.
std::vector<long long> testDaysOf(const BacktestData& data, long long startDay, long long endDay,
                                  int h, BacktestReport& report) {
  const Market& m = data.templ.market;
  std::vector<long long> testDays;
  for (long long t = startDay; t <= endDay; ++t) {
    bool all = true;
    for (size_t a = 0; a < data.series.size() && all; ++a) {
      if (m.assets[a].id == m.baseCurrency) continue;
      const Series& s = data.series[a];
      all = s.on(t) && s.on(t + h);
      if (all && data.ivFromIndex[a]) all = s.on(t)->iv > 0 && s.on(t + h)->iv > 0;
    }
    if (all)
      testDays.push_back(t);
    else
      ++report.skippedDays;
  }
  if (testDays.empty()) {
    throw InputError("",
                     "no day from " + formatDate(startDay) + " to " + formatDate(endDay) +
                         " has every asset's close (and implied-vol index) on it and " +
                         std::to_string(h) + " day(s) later",
                     ErrorKind::Usage);
  }
  return testDays;
}

// Day t: the request as of t's close (prices, rolled expiries and strikes, index ivs, entries at
// the market), margined alone, and each account's loss realised h days later.
BacktestDay marginDay(const BacktestData& data, const BacktestRolls& rolls, long long t, int h) {
  const std::vector<Series>& series = data.series;
  MarginRequest r = data.templ;
  r.market.asOf = static_cast<double>(t) * kSecondsPerDay;
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
    if (rolls.tenorDays[k] > 0) ins.expiry = r.market.asOf + rolls.tenorDays[k] * kSecondsPerDay;
    if (rolls.moneyness[k] > 0)
      ins.strike = rolls.moneyness[k] * r.market.assets[ins.underlying].price;
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
      pos.entryPrice = entryAtMarket(r.instruments[pos.instrument], r.market);
    }
  }
  const MarginResponse m = computeMargin(r);
  BacktestDay d;
  d.day = t;
  const std::vector<MarginMethod> methods = reportedMethods(r.config);
  d.methodMargin.resize(methods.size());
  for (size_t a = 0; a < r.accounts.size(); ++a) {
    const AccountResult& res = m.accounts[a];
    d.var.push_back(res.var);
    d.es.push_back(res.es);
    d.initialMargin.push_back(res.initialMargin);
    d.loss.push_back(-accountPnl(r, r.accounts[a], later, laterIv, h));
    for (size_t k = 0; k < methods.size(); ++k) {
      d.methodMargin[k].push_back(methods[k] == MarginMethod::Es     ? res.esMargin.im
                                  : methods[k] == MarginMethod::Grid ? res.grid.im
                                                                     : res.flat.im);
    }
  }
  return d;
}

}  // namespace

std::vector<MarginMethod> reportedMethods(const MarginConfig& config) {
  std::vector<MarginMethod> methods{config.method};
  methods.insert(methods.end(), config.compare.begin(), config.compare.end());
  return methods;
}

void portfolioError(const std::string& path, const std::string& message) {
  throw InputError(path, (path.empty() ? "portfolio" : path) + ": " + message);
}

void checkBacktestRange(long long startDay, long long endDay) {
  if (endDay < startDay) throw InputError("", "--end must not be before --start", ErrorKind::Usage);
}

BacktestReport runBacktest(const BacktestPortfolio& portfolio, const PriceFolder& prices,
                           long long startDay, long long endDay, const PriceFolder* impliedVol,
                           const DayShards* shards, ProgressListener* progress) {
  checkBacktestRange(startDay, endDay);
  const MarginConfig& c = portfolio.request.config;
  if (c.horizonDays != std::floor(c.horizonDays)) {
    throw InputError("/config/horizon_days",
                     "/config/horizon_days: a backtest needs a whole number "
                     "of days (closes are daily), got " +
                         std::to_string(c.horizonDays));
  }
  const int h = static_cast<int>(c.horizonDays);
  BacktestReport report;
  const BacktestData data = loadBacktestData(portfolio, prices, impliedVol, report);
  report.start = startDay;
  report.end = endDay;
  report.horizonDays = h;
  report.confidence = c.confidence;
  report.config = c;
  const std::vector<long long> testDays = testDaysOf(data, startDay, endDay, h, report);

  // Days in parallel (this process's share of them); the first failing day (by date, whatever
  // the schedule) is reported.
  report.days.resize(testDays.size());
  // Plain variables, not a structured binding: OpenMP regions (and clang before 16) cannot
  // capture those.
  const std::pair<size_t, size_t> share =
      shards ? shards->mine(testDays.size()) : std::pair<size_t, size_t>{0, testDays.size()};
  const size_t firstDay = share.first, lastDay = share.second;
  std::exception_ptr error;
  long long errorDay = 0;
  std::atomic<int64_t> daysDone{0};
  const int64_t myDays = static_cast<int64_t>(lastDay - firstDay);
#pragma omp parallel for schedule(dynamic)
  for (size_t i = firstDay; i < lastDay; ++i) {
    const long long t = testDays[i];
    try {
      faultPoint("backtest.days");
      report.days[i] = marginDay(data, portfolio.rolls, t, h);
      if (progress) progress->progress("days", ++daysDone, myDays);
    } catch (...) {
#pragma omp critical(xm_backtest_error)
      if (!error || t < errorDay) {
        error = std::current_exception();
        errorDay = t;
      }
    }
  }
  std::optional<ErrorReport> failure;
  if (error) {
    try {
      try {
        std::rethrow_exception(error);
      } catch (const InputError& e) {
        throw InputError(e.path(), "margining " + formatDate(errorDay) + ": " + e.what(), e.kind());
      }
    } catch (...) {
      if (!shards) throw;
      failure = reportCurrentException();
    }
  }
  if (shards) {
    shards->complete(report.days, firstDay, lastDay, failure);
    if (!shards->reports()) return report;
  }
  const std::vector<Account>& accounts = portfolio.request.accounts;
  for (size_t a = 0; a < accounts.size(); ++a)
    report.accounts.push_back(summarise(report, a, accounts[a].id));
  return report;
}

}  // namespace xm
