#pragma once
// The statistics of a VaR backtest: a sequence of days, each a hit (the realised loss exceeded
// VaR) or not, against the model's exceedance probability p = 1 - confidence.
//
//   Kupiec (1995), proportion of failures, x hits in n days:
//     LR_pof = -2 ln[(1-p)^(n-x) p^x] + 2 ln[(1-x/n)^(n-x) (x/n)^x]      ~ χ²(1)
//   Christoffersen (1998), independence, from the transition counts n_ij (state i, then j):
//     π01 = n01/(n00+n01), π11 = n11/(n10+n11), π = (n01+n11)/(n00+n01+n10+n11)
//     LR_ind = -2 ln[(1-π)^(n00+n10) π^(n01+n11)]
//              + 2 ln[(1-π01)^n00 π01^n01 (1-π11)^n10 π11^n11]             ~ χ²(1)
//   conditional coverage LR_cc = LR_pof + LR_ind                            ~ χ²(2)
// with 0 ln 0 = 0. p-values: P(χ²(1) > x) = erfc(sqrt(x/2)), P(χ²(2) > x) = exp(-x/2).
//
//   Basel traffic light (BCBS 1996, "Supervisory framework for the use of backtesting"): green
//   while the binomial probability of at most x hits, B(x; n, p), is below 95%, red from 99.99%,
//   yellow between. At n = 250, p = 1% that is green 0-4, yellow 5-9, red 10+ (the Basel table);
//   the same thresholds give the zones for any n.

#include <vector>

namespace xm {

struct LikelihoodRatio {
  double statistic = 0.0;
  double pValue = 1.0;
};

enum class Zone { Green, Yellow, Red };

LikelihoodRatio kupiecPof(int days, int hits, double p);
LikelihoodRatio christoffersenIndependence(const std::vector<bool>& hits);
LikelihoodRatio conditionalCoverage(const std::vector<bool>& hits, double p);

double binomialCdf(int x, int n, double p);  // P(X <= x), X ~ B(n, p)
Zone trafficLight(int days, int hits, double p);
const char* toString(Zone z);

}  // namespace xm
