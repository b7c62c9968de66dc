#include "host/market/MarketHistory.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "host/model/Errors.h"
#include "host/model/Market.h"
#include "host/model/Time.h"
#include "scenarios/FactorModel.h"
#include "scenarios/ScenarioGenerator.h"

namespace xm {

std::vector<double> logReturns(const std::vector<DailyClose>& closes) {
  std::vector<double> r;
  for (size_t i = 1; i < closes.size(); ++i)
    r.push_back(std::log(closes[i].close / closes[i - 1].close));
  return r;
}

double ewmaVariance(const std::vector<double>& returns, double lambda) {
  if (returns.empty()) return 0.0;
  double v = returns[0] * returns[0];
  for (size_t t = 1; t < returns.size(); ++t)
    v = lambda * v + (1.0 - lambda) * returns[t] * returns[t];
  return v;
}

namespace {

// A series' closes on or before as_of (the series is in increasing day order).
std::vector<DailyClose> closesUpTo(const std::vector<DailyClose>& closes, long long asOfDay) {
  const auto end = std::upper_bound(closes.begin(), closes.end(), asOfDay,
                                    [](long long day, const DailyClose& c) { return day < c.day; });
  return {closes.begin(), end};
}

}  // namespace

ReferenceVols referenceVols(const std::vector<DailyClose>& closes, long long asOfDay,
                            int lookbackDays, int stressWindowDays) {
  ReferenceVols out;
  std::vector<double> r = logReturns(closesUpTo(closes, asOfDay));
  if (r.empty()) return out;
  if (r.size() > static_cast<size_t>(lookbackDays)) r.erase(r.begin(), r.end() - lookbackDays);
  // prefix[t] = sum of r² over the window's first t returns
  std::vector<double> prefix(r.size() + 1, 0.0);
  for (size_t t = 0; t < r.size(); ++t) prefix[t + 1] = prefix[t] + r[t] * r[t];
  const size_t n = r.size();
  const size_t w = std::min(n, static_cast<size_t>(stressWindowDays));
  double worst = 0.0;
  for (size_t end = w; end <= n; ++end) worst = std::max(worst, prefix[end] - prefix[end - w]);
  out.days = static_cast<int>(n);
  out.longRun = std::sqrt(kDaysPerYear * prefix[n] / static_cast<double>(n));
  out.stressed = std::max(std::sqrt(kDaysPerYear * worst / static_cast<double>(w)), out.longRun);
  return out;
}

double averageDailyVolume(const std::vector<DailyClose>& closes, long long asOfDay, int days) {
  double sum = 0.0;
  int n = 0;
  for (auto it = closes.rbegin(); it != closes.rend() && n < days; ++it) {
    if (it->day > asOfDay || it->volume < 0) continue;
    sum += it->volume;
    ++n;
  }
  return n ? sum / n : -1.0;
}

EwmaEstimate estimateEwma(const MarketHistory& history, long long asOfDay, double lambda,
                          int nAssets) {
  EwmaEstimate e;
  // Each asset's closes up to as_of, and its returns keyed by the day they end on.
  std::vector<std::map<long long, double>> byDay;
  for (int a = 0; a < nAssets; ++a) {
    auto it = history.find(a);
    if (it == history.end()) continue;
    const std::vector<DailyClose> closes = closesUpTo(it->second, asOfDay);
    if (closes.size() < 2) {
      throw InputError("/market/history",
                       "/market/history: an asset needs at least 2 closes on or "
                       "before market.as_of for an EWMA estimate");
    }
    const std::vector<double> r = logReturns(closes);
    e.assets.push_back(a);
    e.vol.push_back(std::sqrt(kDaysPerYear * ewmaVariance(r, lambda)));
    e.days.push_back(static_cast<int>(r.size()));
    // Implied-vol dynamics on the returns whose both closes carry an iv.
    double vv = 0.0, rv = 0.0, rr = 0.0;
    int ivDays = 0;
    for (size_t i = 1; i < closes.size(); ++i) {
      if (closes[i].iv <= 0.0 || closes[i - 1].iv <= 0.0) continue;
      const double v = std::log(closes[i].iv / closes[i - 1].iv);
      const double w = ivDays == 0 ? 1.0 : 1.0 - lambda, keep = ivDays == 0 ? 0.0 : lambda;
      vv = keep * vv + w * v * v;
      rv = keep * rv + w * r[i - 1] * v;
      rr = keep * rr + w * r[i - 1] * r[i - 1];
      ++ivDays;
    }
    const bool estimated = ivDays >= 2 && vv > 0.0 && rr > 0.0;
    e.ivDays.push_back(estimated ? ivDays : 0);
    e.volOfVol.push_back(estimated ? std::sqrt(kDaysPerYear * vv) : 0.0);
    e.spotVolCorr.push_back(estimated ? std::clamp(rv / std::sqrt(vv * rr), -1.0, 1.0) : 0.0);
    std::map<long long, double> m;
    for (size_t i = 0; i < r.size(); ++i) m[closes[i + 1].day] = r[i];
    byDay.push_back(std::move(m));
  }
  const size_t n = e.assets.size();
  e.correlation =
      Eigen::MatrixXd::Identity(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  if (n < 2) return e;
  std::vector<long long> common;
  for (const auto& [day, r] : byDay[0]) {
    bool all = true;
    for (size_t i = 1; i < n && all; ++i) all = byDay[i].count(day) > 0;
    if (all) common.push_back(day);
  }
  if (common.size() < 2) {
    throw InputError("/market/history",
                     "/market/history: the assets share fewer than 2 return "
                     "days, so no correlation can be estimated");
  }
  e.commonDays = static_cast<int>(common.size());
  Eigen::MatrixXd c =
      Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  Eigen::VectorXd r(static_cast<Eigen::Index>(n));
  for (size_t t = 0; t < common.size(); ++t) {
    for (size_t i = 0; i < n; ++i) r(static_cast<Eigen::Index>(i)) = byDay[i].at(common[t]);
    c = t == 0 ? Eigen::MatrixXd(r * r.transpose())
               : Eigen::MatrixXd(lambda * c + (1.0 - lambda) * r * r.transpose());
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const double d = std::sqrt(c(i, i) * c(j, j));
      e.correlation(i, j) = i == j ? 1.0 : (d > 0 ? std::clamp(c(i, j) / d, -1.0, 1.0) : 0.0);
    }
  }
  return e;
}

namespace {

// x_t / σ_{t|t-1} keyed by the day of closes[t + 1] (x_t is the change that ends there), the EWMA
// forecast seeded with x_1²; the first kFhsBurnIn changes only seed it.
std::map<long long, double> filteredResiduals(const std::vector<double>& x,
                                              const std::vector<DailyClose>& closes,
                                              double lambda) {
  std::map<long long, double> z;
  double v = 0.0;
  for (size_t t = 0; t < x.size(); ++t) {
    if (t >= static_cast<size_t>(kFhsBurnIn) && v > 0) z[closes[t + 1].day] = x[t] / std::sqrt(v);
    v = t == 0 ? x[0] * x[0] : lambda * v + (1.0 - lambda) * x[t] * x[t];
  }
  return z;
}

}  // namespace

std::shared_ptr<const FhsTable> buildFhsTable(const Market& market, const FactorModel& model,
                                              double lambda, int lookbackDays) {
  const long long asOfDay = dayOf(market.asOf);
  auto table = std::make_shared<FhsTable>();
  std::vector<std::map<long long, double>> residuals;
  std::vector<std::pair<size_t, std::map<long long, double>>> volResiduals;
  for (const auto& [a, all] : market.history) {
    const int f = model.priceFactorOf[a];
    if (f < 0) continue;  // riskless under this market: nothing to replay
    const std::vector<DailyClose> closes = closesUpTo(all, asOfDay);
    const std::vector<double> r = logReturns(closes);
    residuals.push_back(filteredResiduals(r, closes, lambda));
    table->factors.push_back(f);
    table->volFactor.push_back(model.volFactorOf[a]);
    table->rho.push_back(market.assets[a].spotVolCorr);
    table->volColumn.push_back(-1);
    if (model.volFactorOf[a] < 0) continue;
    // The implied vol's log changes, on consecutive closes that both carry an iv.
    std::vector<double> v;
    std::vector<DailyClose> ends;  // the close each change ends on
    for (size_t t = 1; t < closes.size(); ++t) {
      if (closes[t].iv <= 0.0 || closes[t - 1].iv <= 0.0) continue;
      v.push_back(std::log(closes[t].iv / closes[t - 1].iv));
      ends.push_back(closes[t]);
    }
    if (v.size() <= static_cast<size_t>(kFhsBurnIn)) continue;  // too short: Z_v from rho as before
    ends.insert(ends.begin(), ends.front());  // filteredResiduals dates change t by ends[t + 1]
    volResiduals.push_back({table->factors.size() - 1, filteredResiduals(v, ends, lambda)});
  }
  for (auto& [k, z] : volResiduals) {
    table->volColumn[k] = static_cast<int>(residuals.size());
    residuals.push_back(std::move(z));
  }
  if (residuals.empty()) {
    throw InputError("/config/shocks",
                     "/config/shocks: filtered historical simulation needs "
                     "market.history (or --prices) for at least one risky asset");
  }
  std::vector<long long> days;
  for (const auto& [day, z] : residuals[0]) {
    bool all = true;
    for (size_t i = 1; i < residuals.size() && all; ++i) all = residuals[i].count(day) > 0;
    if (all) days.push_back(day);
  }
  if (days.size() > static_cast<size_t>(lookbackDays))
    days.erase(days.begin(), days.end() - lookbackDays);
  if (days.size() < 20) {
    throw InputError("/config/shocks", "/config/shocks: only " + std::to_string(days.size()) +
                                           " days have every asset's return after the " +
                                           std::to_string(kFhsBurnIn) +
                                           "-day burn-in; at least 20 are needed");
  }
  table->residuals.resize(static_cast<Eigen::Index>(days.size()),
                          static_cast<Eigen::Index>(residuals.size()));
  for (size_t d = 0; d < days.size(); ++d)
    for (size_t i = 0; i < residuals.size(); ++i) table->residuals(d, i) = residuals[i].at(days[d]);
  return table;
}

}  // namespace xm
