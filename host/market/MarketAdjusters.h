#pragma once
// The market adjusters: what the pipeline (host/margin/MarginEngine.cpp) does to the request's
// market before the model runs on it, from the history's estimators (MarketHistory.h).

#include <vector>

#include "host/model/MarginRequest.h"
#include "host/model/MarginResult.h"

namespace xm {

// Replaces the vols of the assets with history, and their correlations with each other, by EWMA
// estimates (MarketHistory.h), and the implied-vol dynamics of the option underlyings whose
// history carries an iv; other assets and pairs keep the request's values. Records them in `run`.
void applyEwma(Market& m, const std::vector<Instrument>& instruments, double lambda, RunInfo& run);

// config.anti_procyclicality on the vols of the risky assets with history (MarginConfig.h).
// Returns each asset's stress level (0 without history).
std::vector<double> applyAntiProcyclicality(Market& m, const MarginConfig& config, RunInfo& run);

// Average daily volume per asset for the liquidity add-on: market.assets[i].daily_volume, else
// the mean of the history's volumes over config.add_ons.liquidity.adv_days. Every risky asset an
// account is exposed to must have one (InputError naming its daily_volume otherwise).
std::vector<double> averageVolumes(const MarginRequest& request, const Market& m);
// The same whatever the add-ons ask for: each asset's daily volume (given, or the history's mean
// over `advDays`), an InputError for a risky asset some account is exposed to without one.
std::vector<double> dailyVolumes(const MarginRequest& request, const Market& m, int advDays);
// The two halves of dailyVolumes: the estimates (< 0 where there is none), and the check that
// every risky asset `accounts` are exposed to has one. A snapshot estimates once and checks the
// accounts of each request made on it.
std::vector<double> volumeEstimates(const Market& m, int advDays);
void checkVolumes(const std::vector<double>& adv, const Market& m,
                  const std::vector<Instrument>& instruments, const std::vector<Account>& accounts);

}  // namespace xm
