#pragma once
// Instrument revaluation shared by every backend (XM_HD: compiled for host and device).
//
// A "P&L row" is one risk-bearing price path per scenario, per unit: the spot move of a risky
// asset, the forward move of a future, or the full Black-Scholes-Merton revaluation of an option.
// Every position and collateral holding is a weight on one row (RiskProblem.h).
//
// Determinism: uses the platform's exp/log/erfc, so the CPU and CUDA backends agree to a few ulp,
// not bitwise (the draws themselves are bitwise identical; see ShockDraws.h).

#include <cmath>

#include "host/model/Units.h"
#include "scenarios/HostDevice.h"

namespace xm {

enum class RowKind : int { Spot = 0, Future = 1, Option = 2 };

struct PnlRow {
  RowKind kind = RowKind::Spot;
  int priceFactor = -1;     // -1: riskless underlying, the price never moves
  int volFactor = -1;       // option implied-vol factor, -1 if none
  double spot = 0.0;        // S_0
  double diffusion = 0.0;   // sigma * sqrt(h)
  double drift = 0.0;       // -sigma^2 h / 2
  double carryNow = 1.0;    // future: exp(rate * T_0)
  double carryLater = 1.0;  // future: exp(rate * T_h)
  bool call = true;         // option
  double strike = 0.0;
  double iv = 0.0;
  double volDiffusion = 0.0;  // nu * sqrt(h)
  double volDrift = 0.0;      // -nu^2 h / 2
  double timeLater = 0.0;     // T_h = max(T_0 - h, 0), years
  double timeNow = 0.0;       // T_0, years (the stress grid revalues instantly, StressGrid.h)
  double rate = 0.0;
  double valueNow = 0.0;  // S_0, F_0 or the option's model value now
};

// A future's price on spot S with `years` to expiry (none left at or past expiry): S e^{r T}.
XM_HD double forwardPrice(double spot, double rate, double years) {
  return spot * exp(rate * fmax(years, 0.0));
}

XM_HD double normalCdf(double x) { return 0.5 * erfc(-x * 0.70710678118654752440); }

// European option value, Black-Scholes-Merton, no dividend. At or past expiry: intrinsic; with
// zero vol: the discounted intrinsic value of the forward.
XM_HD double blackScholes(bool call, double spot, double strike, double years, double vol,
                          double rate) {
  if (years <= 0.0) return call ? fmax(spot - strike, 0.0) : fmax(strike - spot, 0.0);
  const double discount = exp(-rate * years);
  const double sd = vol * sqrt(years);
  if (sd <= 0.0) {
    const double pv = strike * discount;
    return call ? fmax(spot - pv, 0.0) : fmax(pv - spot, 0.0);
  }
  const double d1 = (log(spot / strike) + (rate + 0.5 * vol * vol) * years) / sd;
  const double d2 = d1 - sd;
  return call ? spot * normalCdf(d1) - strike * discount * normalCdf(d2)
              : strike * discount * normalCdf(-d2) - spot * normalCdf(-d1);
}

// ∂V/∂S of blackScholes: N(d1) for a call, N(d1) - 1 for a put; at or past expiry, or with zero
// vol, the slope of the value given there (1 or -1 in the money, else 0).
XM_HD double blackScholesDelta(bool call, double spot, double strike, double years, double vol,
                               double rate) {
  const double sd = years > 0.0 ? vol * sqrt(years) : 0.0;
  if (sd <= 0.0) {
    const double pv = years > 0.0 ? strike * exp(-rate * years) : strike;
    return call ? (spot > pv ? 1.0 : 0.0) : (spot < pv ? -1.0 : 0.0);
  }
  const double d1 = (log(spot / strike) + (rate + 0.5 * vol * vol) * years) / sd;
  return call ? normalCdf(d1) : normalCdf(d1) - 1.0;
}

// P&L per unit of one row in one scenario, given the scenario's price and implied-vol shocks.
XM_HD double rowPnl(const PnlRow& row, double zPrice, double zVol) {
  const double s =
      row.priceFactor >= 0 ? row.spot * exp(row.diffusion * zPrice + row.drift) : row.spot;
  switch (row.kind) {
    case RowKind::Spot:
      return s - row.spot;
    case RowKind::Future:
      return s * row.carryLater - row.spot * row.carryNow;
    case RowKind::Option: {
      const double iv =
          row.volFactor >= 0 ? row.iv * exp(row.volDiffusion * zVol + row.volDrift) : row.iv;
      return blackScholes(row.call, s, row.strike, row.timeLater, iv, row.rate) - row.valueNow;
    }
  }
  return 0.0;
}

}  // namespace xm
