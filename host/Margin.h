#pragma once
// From risk figures to margin (contract §3): current values and equity, isolated margin,
// diversification benefit, initial and maintenance margin, excess and status.

#include "host/MarginRequest.h"
#include "host/MarginResult.h"
#include "host/RiskProblem.h"

namespace xm {

// Account `index` of the request, whose legs start at `legOffset` of `risk` (batch position
// `slot`).
AccountResult assessAccount(const MarginRequest& request, const RiskProblem& problem,
                            int64_t index, const BatchRisk& risk, int64_t slot, int64_t legOffset);

}  // namespace xm
