#pragma once
// From risk figures to margin (contract §3): current values and equity, isolated margin,
// diversification benefit, the add-ons, initial and maintenance margin, excess and status.

#include "host/engine/Instruments.h"
#include "host/engine/RiskProblem.h"
#include "host/model/MarginRequest.h"
#include "host/model/MarginResult.h"

namespace xm {

// What the add-ons need beyond the account, built once per run (MarginEngine.cpp).
struct MarginContext {
  const Market* market = nullptr;   // the market the model ran on (its vols estimated or floored)
  std::vector<double> stressLevel;  // per asset, in [0, 1]: the share of the APC buffer released
  std::vector<double> adv;          // per asset: average daily volume, base currency; < 0 unknown
  std::vector<Exposure> unitExposure;  // per instrument (Instruments.h)
  // The stress grid's correlation credit (config.grid_aggregation "correlation"): the scenarios'
  // price correlation between the grid's blocks' underlyings, blocks × blocks; empty otherwise.
  std::vector<double> gridCorrelation;
};

// `account` (its positions index request.instruments; request.accounts is not read), whose legs
// start at `legOffset` of `risk` (batch position `slot`).
AccountResult assessAccount(const MarginRequest& request, const Account& account,
                            const RiskProblem& problem, const MarginContext& context,
                            const BatchRisk& risk, int64_t slot, int64_t legOffset);

}  // namespace xm
