#include "host/market/MarketAdjusters.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "host/market/MarketHistory.h"
#include "host/model/Errors.h"
#include "host/model/Time.h"

namespace xm {

// Replaces the vols of the assets with history, and their correlations with each other, by EWMA
// estimates (MarketHistory.h), and the implied-vol dynamics of the option underlyings whose
// history carries an iv; other assets and pairs keep the request's values.
void applyEwma(Market& m, const std::vector<Instrument>& instruments, double lambda, RunInfo& run) {
  std::vector<char> optionUnderlying(m.assets.size(), 0);
  for (const Instrument& ins : instruments)
    if (ins.type == InstrumentType::Option) optionUnderlying[ins.underlying] = 1;
  const long long asOfDay = dayOf(m.asOf);
  const EwmaEstimate e =
      estimateEwma(m.history, asOfDay, lambda, static_cast<int>(m.assets.size()));
  if (e.assets.empty()) {
    throw InputError("/config/vol_model",
                     "/config/vol_model: \"ewma\" needs market.history (or "
                     "xmargin run --prices DIR) for at least one asset");
  }
  run.volModel = VolModel::Ewma;
  run.ewmaLambda = lambda;
  run.ewmaCommonDays = e.commonDays;
  for (size_t i = 0; i < e.assets.size(); ++i) {
    Asset& asset = m.assets[e.assets[i]];
    asset.vol = e.vol[i];
    const bool dynamics = e.ivDays[i] > 0 && optionUnderlying[e.assets[i]];
    if (dynamics) {
      asset.volOfVol = e.volOfVol[i];
      asset.spotVolCorr = e.spotVolCorr[i];
    }
    run.estimates.push_back({asset.id, e.vol[i], e.days[i], dynamics ? e.ivDays[i] : 0,
                             e.volOfVol[i], e.spotVolCorr[i]});
    for (size_t j = 0; j < e.assets.size(); ++j)
      m.correlation(e.assets[i], e.assets[j]) = e.correlation(i, j);
  }
  m.correlationPath = "/market/history";
}

// config.anti_procyclicality on the vols of the risky assets with history (MarginConfig.h).
// Returns each asset's stress level (0 without history).
std::vector<double> applyAntiProcyclicality(Market& m, const MarginConfig& config, RunInfo& run) {
  const AntiProcyclicality& apc = config.antiProcyclicality;
  std::vector<double> stress(m.assets.size(), 0.0);
  const long long asOfDay = dayOf(m.asOf);
  run.antiProcyclicality = true;
  run.apcConfig = apc;
  for (const auto& [a, closes] : m.history) {
    Asset& asset = m.assets[a];
    if (!asset.risky()) continue;  // riskless under this market: nothing to dampen
    const ReferenceVols ref =
        referenceVols(closes, asOfDay, apc.lookbackDays, apc.stressWindowDays);
    if (ref.days == 0) continue;
    const double modelVol = asset.vol;
    double vol = std::sqrt((1.0 - apc.stressWeight) * modelVol * modelVol +
                           apc.stressWeight * ref.stressed * ref.stressed);
    if (apc.floor) vol = std::max(vol, ref.longRun);
    const double span = ref.stressed - ref.longRun;
    stress[a] = span > 0.0 ? std::clamp((modelVol - ref.longRun) / span, 0.0, 1.0) : 0.0;
    asset.vol = vol;
    run.apc.push_back({asset.id, modelVol, ref.longRun, ref.stressed, vol, stress[a]});
  }
  if (run.apc.empty()) {
    throw InputError("/config/anti_procyclicality",
                     "/config/anti_procyclicality: needs market.history (or xmargin run --prices "
                     "DIR) for at least one risky asset");
  }
  return stress;
}

// Average daily volume per asset for the liquidity add-on: market.assets[i].daily_volume, else
// the mean of the history's volumes over config.add_ons.liquidity.adv_days. Every risky asset an
// account is exposed to must have one.
std::vector<double> averageVolumes(const MarginRequest& request, const Market& m) {
  const AddOnConfig& addOns = request.config.addOns;
  if (addOns.liquidityCoefficient <= 0.0) return std::vector<double>(m.assets.size(), -1.0);
  return dailyVolumes(request, m, addOns.advDays);
}

std::vector<double> dailyVolumes(const MarginRequest& request, const Market& m, int advDays) {
  std::vector<double> adv = volumeEstimates(m, advDays);
  checkVolumes(adv, m, request.instruments, request.accounts);
  return adv;
}

std::vector<double> volumeEstimates(const Market& m, int advDays) {
  std::vector<double> adv(m.assets.size(), -1.0);
  const long long asOfDay = dayOf(m.asOf);
  for (size_t a = 0; a < m.assets.size(); ++a) {
    adv[a] = m.assets[a].dailyVolume;
    auto it = m.history.find(static_cast<int>(a));
    if (adv[a] < 0 && it != m.history.end())
      adv[a] = averageDailyVolume(it->second, asOfDay, advDays);
  }
  return adv;
}

void checkVolumes(const std::vector<double>& adv, const Market& m,
                  const std::vector<Instrument>& instruments,
                  const std::vector<Account>& accounts) {
  std::vector<char> exposed(m.assets.size(), 0);
  for (const Account& acct : accounts) {
    for (const Position& p : acct.positions) exposed[instruments[p.instrument].underlying] = 1;
    for (const Collateral& c : acct.collateral) exposed[c.asset] = 1;
  }
  for (size_t a = 0; a < m.assets.size(); ++a) {
    if (!exposed[a] || !m.assets[a].risky() || adv[a] >= kMinDailyVolume) continue;
    const std::string path = "/market/assets/" + std::to_string(a) + "/daily_volume";
    throw InputError(path,
                     path + ": the liquidity add-on needs the daily volume of " + m.assets[a].id +
                         (adv[a] >= 0.0 ? " (its history's volumes average below 1e-6)" : "") +
                         ": give daily_volume (base currency per day), volumes in "
                         "market.history, or a Volume column with --prices");
  }
}

}  // namespace xm
