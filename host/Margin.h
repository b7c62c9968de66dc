#pragma once
// From risk figures to margin (contract §3): current values and equity, isolated margin,
// diversification benefit, the add-ons, initial and maintenance margin, excess and status.

#include "host/MarginRequest.h"
#include "host/MarginResult.h"
#include "host/RiskProblem.h"

namespace xm {

// What the add-ons need beyond the account, built once per run (MarginEngine.cpp).
struct MarginContext {
  const Market* market = nullptr;   // the market the model ran on (its vols estimated or floored)
  std::vector<double> stressLevel;  // per asset, in [0, 1]: the share of the APC buffer released
  std::vector<double> adv;          // per asset: average daily volume, base currency; < 0 unknown
  std::vector<struct Exposure> unitExposure;  // per instrument (unitExposure below)
};

// Base-currency exposure to the underlying's price per unit of size (qty · contract_size):
// delta = dV/dS · S (BSM delta for an option; for an inverse perpetual S, to be divided by the
// entry price) and the gross notional S (F for a future; 1, the face, for an inverse perpetual).
struct Exposure {
  double delta = 0.0;
  double gross = 0.0;
};
Exposure unitExposure(const Instrument& instrument, const Market& market);

// Account `index` of the request, whose legs start at `legOffset` of `risk` (batch position
// `slot`).
AccountResult assessAccount(const MarginRequest& request, const RiskProblem& problem,
                            const MarginContext& context, int64_t index, const BatchRisk& risk,
                            int64_t slot, int64_t legOffset);

}  // namespace xm
