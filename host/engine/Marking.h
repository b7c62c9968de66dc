#pragma once
// Marking every account of a book in many market states at once (the clearing simulation's
// per-step work: one state per path). An account's equity in a state is its collateral at the
// state's prices plus, per position, qty · (b · unit value + a) — positionValue's equity, linear in
// the instrument's unit value (Instruments.h) — summed collateral first, then legs, in request
// order. One XM_HD function computes it for both backends (cuda/CudaMarker.cu, the CPU below).

#include <cstdint>
#include <memory>
#include <vector>

#include "host/engine/Pricing.h"
#include "scenarios/HostDevice.h"

namespace xm {

// An instrument as a step revalues it: its unit value with the underlying at `s`, its implied vol
// scaled by the underlying's vol multiplier, `elapsed` years after as_of.
struct MarkingInstrument {
  int kind = 0;  // 0: the spot (spot, perpetuals), 1: a future's forward, 2: an option
  int underlying = 0;
  int call = 1;
  double strike = 0.0, iv = 0.0;
  double years = 0.0;  // to expiry at as_of
};

XM_HD double markingUnitValue(const MarkingInstrument& k, double rate, double s, double ivMult,
                              double elapsed) {
  const double years = k.years - elapsed;
  if (k.kind == 1) return forwardPrice(s, rate, years);
  if (k.kind == 2)
    return blackScholes(k.call != 0, s, k.strike, fmax(years, 0.0), k.iv * ivMult, rate);
  return s;
}

struct MarkingBook {
  int accounts = 0, instruments = 0, assets = 0;
  double rate = 0.0;
  std::vector<MarkingInstrument> instrument;
  std::vector<int64_t> legBegin;  // accounts + 1
  std::vector<int> legInstrument;
  std::vector<double> legQty, bPerQty, aPerQty;
  std::vector<int64_t> collBegin;  // accounts + 1
  std::vector<int> collAsset;
  std::vector<double> collAmount;
};

// The book as raw arrays (host or device memory).
struct MarkingView {
  const int64_t* legBegin;
  const int* legInstrument;
  const double *legQty, *bPerQty, *aPerQty;
  const int64_t* collBegin;
  const int* collAsset;
  const double* collAmount;
};

// Account i's equity in one state: `units` holds the state's unit value per instrument, `prices`
// its price per asset.
XM_HD double markedEquity(const MarkingView& b, int64_t i, const double* units,
                          const double* prices) {
  double e = 0.0;
  for (int64_t c = b.collBegin[i]; c < b.collBegin[i + 1]; ++c)
    e += b.collAmount[c] * prices[b.collAsset[c]];
  for (int64_t l = b.legBegin[i]; l < b.legBegin[i + 1]; ++l)
    e += b.legQty[l] * (b.bPerQty[l] * units[b.legInstrument[l]] + b.aPerQty[l]);
  return e;
}

inline MarkingView viewOf(const MarkingBook& b) {
  return {b.legBegin.data(), b.legInstrument.data(), b.legQty.data(),    b.bPerQty.data(),
          b.aPerQty.data(),  b.collBegin.data(),     b.collAsset.data(), b.collAmount.data()};
}

class AccountMarker {
 public:
  virtual ~AccountMarker() = default;
  // One step of `states` market states (s: prices[s · assets + a], the underlyings' implied-vol
  // multipliers ivMult[s · assets + a], years since as_of elapsed[s]): revalues every instrument,
  // units[s · instruments + k] = markingUnitValue(...), and marks every account,
  // equity[s · accounts + i] = markedEquity(i, units + s · instruments, prices + s · assets).
  virtual void mark(int states, const double* prices, const double* ivMult, const double* elapsed,
                    double* units, double* equity) = 0;
  // True for the CPU marker: the caller may as well call markedEquity where it needs an equity
  // (same function, same figures) and skip the round trip through an equity array.
  virtual bool onHost() const { return false; }
};

std::unique_ptr<AccountMarker> makeCpuMarker(const MarkingBook& book);

}  // namespace xm
