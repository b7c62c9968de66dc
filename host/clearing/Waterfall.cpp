// The loss waterfall's pieces: BitMEX's deleveraging queue and score, Deribit's socialized loss,
// and the bankruptcy price (Clearing.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "host/clearing/Clearing.h"
#include "host/engine/Instruments.h"

namespace xm {

std::vector<double> adlFills(const std::vector<AdlCandidate>& candidates, double quantity) {
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return candidates[a].score > candidates[b].score; });
  std::vector<double> fills(candidates.size(), 0.0);
  double left = quantity;
  for (size_t i : order) {
    if (left <= 0.0) break;
    const double f = std::min(left, std::max(0.0, candidates[i].size));
    fills[i] = f;
    left -= f;
  }
  return fills;
}

double adlScore(double pnlFraction, double effectiveLeverage) {
  const double lev = std::max(effectiveLeverage, 1e-12);
  return pnlFraction > 0.0 ? pnlFraction * lev : pnlFraction / lev;
}

std::vector<double> socializeLoss(const std::vector<double>& profits, double shortfall) {
  std::vector<double> charge(profits.size(), 0.0);
  double total = 0.0;
  for (double p : profits) total += std::max(0.0, p);
  if (total <= 0.0 || shortfall <= 0.0) return charge;
  const double share = std::min(1.0, shortfall / total);
  for (size_t i = 0; i < profits.size(); ++i) charge[i] = std::max(0.0, profits[i]) * share;
  return charge;
}

namespace {

// The account's equity with `asset` at price `s`, every other price and vol fixed.
double equityAt(const MarginRequest& request, const Account& account, double cash,
                std::vector<double>& prices, const std::vector<double>& ivs, double years,
                int asset, double s) {
  const double saved = prices[asset];
  prices[asset] = s;
  double e = cash;
  for (const Collateral& c : account.collateral) e += c.amount * prices[c.asset];
  for (const Position& pos : account.positions) {
    const Instrument& ins = request.instruments[pos.instrument];
    const double u = unitValueAt(ins, prices[ins.underlying], ivs[pos.instrument],
                                 request.market.rate, yearsToExpiry(ins, request.market) - years);
    e += positionValue(ins, pos, u).equity;
  }
  prices[asset] = saved;
  return e;
}

}  // namespace

double bankruptcyPrice(const MarginRequest& request, const Account& account, double cash,
                       const std::vector<double>& prices, const std::vector<double>& ivs,
                       double years, int asset) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> p = prices;
  const double s0 = prices[asset];
  if (!(s0 > 0.0)) return nan;
  auto f = [&](double s) { return equityAt(request, account, cash, p, ivs, years, asset, s); };
  const double e0 = f(s0);
  if (e0 == 0.0) return s0;
  // Where the equity is linear in the price (no option on the asset), one secant step is exact.
  bool linear = true;
  for (const Position& pos : account.positions) {
    const Instrument& ins = request.instruments[pos.instrument];
    if (ins.underlying == asset && traitsOf(ins.type).option) linear = false;
  }
  const double h = s0 * 1e-3;
  const double slope = (f(s0 + h) - f(s0 - h)) / (2 * h);
  if (linear) {
    if (slope == 0.0) return nan;
    const double s = s0 - e0 / slope;
    return s > 0.0 ? s : nan;
  }
  // Options: walk the price in the direction that brings the equity to zero until its sign
  // changes, then bisect.
  const double direction = (e0 > 0) == (slope > 0) ? -1.0 : 1.0;
  if (slope == 0.0) return nan;
  double lo = s0, hi = s0, step = 0.01;
  for (int i = 0; i < 60; ++i) {
    hi = direction > 0 ? s0 * (1.0 + step) : s0 / (1.0 + step);
    if ((f(hi) > 0) != (e0 > 0)) break;
    lo = hi;
    step *= 2.0;
    if (i == 59) return nan;
  }
  for (int i = 0; i < 200 && std::abs(hi - lo) > 1e-12 * s0; ++i) {
    const double mid = 0.5 * (lo + hi);
    ((f(mid) > 0) == (e0 > 0) ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace xm
