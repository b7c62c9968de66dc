#include "host/backtest/BacktestStats.h"

#include <algorithm>
#include <cmath>

namespace xm {
namespace {

double xlogy(double x, double y) { return x == 0.0 ? 0.0 : x * std::log(y); }
double chiSquare1Sf(double x) { return std::erfc(std::sqrt(std::max(x, 0.0) / 2.0)); }

// Rounding can leave a ratio of equal likelihoods a hair below 0.
LikelihoodRatio lr(double statistic, double (*sf)(double)) {
  statistic = std::max(statistic, 0.0);
  return {statistic, sf(statistic)};
}

}  // namespace

LikelihoodRatio kupiecPof(int days, int hits, double p) {
  if (days <= 0) return {};
  const double n = days, x = hits, phat = x / n;
  const double null = xlogy(n - x, 1.0 - p) + xlogy(x, p);
  const double alt = xlogy(n - x, 1.0 - phat) + xlogy(x, phat);
  return lr(-2.0 * (null - alt), chiSquare1Sf);
}

LikelihoodRatio christoffersenIndependence(const std::vector<bool>& hits) {
  double n[2][2] = {{0, 0}, {0, 0}};
  for (size_t t = 1; t < hits.size(); ++t) n[hits[t - 1]][hits[t]] += 1.0;
  const double total = n[0][0] + n[0][1] + n[1][0] + n[1][1];
  if (total == 0.0) return {};
  const double pi = (n[0][1] + n[1][1]) / total;
  const double pi01 = n[0][0] + n[0][1] > 0 ? n[0][1] / (n[0][0] + n[0][1]) : 0.0;
  const double pi11 = n[1][0] + n[1][1] > 0 ? n[1][1] / (n[1][0] + n[1][1]) : 0.0;
  const double null = xlogy(n[0][0] + n[1][0], 1.0 - pi) + xlogy(n[0][1] + n[1][1], pi);
  const double alt = xlogy(n[0][0], 1.0 - pi01) + xlogy(n[0][1], pi01) +
                     xlogy(n[1][0], 1.0 - pi11) + xlogy(n[1][1], pi11);
  return lr(-2.0 * (null - alt), chiSquare1Sf);
}

LikelihoodRatio conditionalCoverage(const std::vector<bool>& hits, double p) {
  const int x = static_cast<int>(std::count(hits.begin(), hits.end(), true));
  const double s = kupiecPof(static_cast<int>(hits.size()), x, p).statistic +
                   christoffersenIndependence(hits).statistic;
  return lr(s, [](double v) { return std::exp(-v / 2.0); });
}

double binomialCdf(int x, int n, double p) {
  if (x < 0) return 0.0;
  if (x >= n) return 1.0;
  double sum = 0.0;
  for (int k = 0; k <= x; ++k) {
    const double logTerm = std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) +
                           xlogy(k, p) + xlogy(n - k, 1.0 - p);
    sum += std::exp(logTerm);
  }
  return std::min(sum, 1.0);
}

Zone trafficLight(int days, int hits, double p) {
  // At n = 250, p = 1%: P(X <= 4) = 89.2%, P(X <= 5) = 95.9%, P(X <= 9) = 99.975% and
  // P(X <= 10) = 99.995%, so 5 is the first yellow and 10 the first red, as in Basel's table.
  const double cdf = binomialCdf(hits, days, p);
  if (cdf < 0.95) return Zone::Green;
  if (cdf < 0.9999) return Zone::Yellow;
  return Zone::Red;
}

const char* toString(Zone z) {
  switch (z) {
    case Zone::Green:
      return "green";
    case Zone::Yellow:
      return "yellow";
    case Zone::Red:
      return "red";
  }
  return "?";
}

}  // namespace xm
