#pragma once
// Text for the reports people read (the demo's summary, the clearing table): money in a few
// characters, 1.23B, 4.56M, 7.8k, 950.

#include <cmath>
#include <cstdio>
#include <string>

namespace xm {

inline std::string shortMoney(double x) {
  char buf[64];
  const double a = std::abs(x);
  if (a >= 1e15)  // past a million billions: scientific (1e300 would not fit a label)
    std::snprintf(buf, sizeof buf, "%.2e", x);
  else if (a >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2fB", x / 1e9);
  else if (a >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", x / 1e6);
  else if (a >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1fk", x / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", x);
  return buf;
}

}  // namespace xm
