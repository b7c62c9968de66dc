#pragma once
// The standard normal CDF and quantile as independent references for the tests (std::erfc and
// bisection, not the engine's AS 241). No xmargin dependency.

#include <cmath>

namespace xm::test {

inline double phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Standard normal quantile by bisection on std::erfc: slow and obviously right. The upper half
// uses symmetry, since Phi near 1 cannot resolve the upper tail in double precision.
inline double phiInverse(double p) {
  if (p > 0.5) return -phiInverse(1.0 - p);
  double lo = -40, hi = 0;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (phi(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace xm::test
