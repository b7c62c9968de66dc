#include "api/json/RequestWriter.h"

#include <cmath>

#include "host/engine/Instruments.h"
#include "host/model/Time.h"
#include "host/model/WireNames.h"

namespace xm {

Json configToJson(const MarginConfig& c) {
  Json config{{"measure", wireName(c.measure)},
              {"confidence", c.confidence},
              {"horizon_days", c.horizonDays},
              {"scenarios", c.scenarios},
              {"seed", c.seed}};
  if (c.shocks == ShockModel::StudentT)
    config["shocks"] = {{"student_t", {{"dof", c.dof}}}};
  else if (c.shocks == ShockModel::Fhs)
    config["shocks"] = {{"fhs", {{"lookback_days", c.fhsLookbackDays}}}};
  else
    config["shocks"] = "normal";
  if (c.sampling != SamplingMethod::Mc) config["sampling"] = wireName(c.sampling);
  if (c.sampling == SamplingMethod::Sobol) config["replications"] = c.replications;
  config["im_multiplier"] = c.imMultiplier;
  config["mm_ratio"] = c.mmRatio;
  config["backend"] = wireName(c.backend);
  if (c.correlationRepair != CorrelationRepair::None)
    config["correlation_repair"] = wireName(c.correlationRepair);
  if (c.precision != Precision::Fp64) config["precision"] = wireName(c.precision);
  if (c.volModel == VolModel::Ewma) config["vol_model"] = {{"ewma", {{"lambda", c.ewmaLambda}}}};
  if (c.antiProcyclicality.enabled) {
    const AntiProcyclicality& a = c.antiProcyclicality;
    config["anti_procyclicality"] = {{"lookback_days", a.lookbackDays},
                                     {"stress_window_days", a.stressWindowDays},
                                     {"floor", a.floor},
                                     {"stress_weight", a.stressWeight},
                                     {"buffer", a.buffer}};
  }
  if (c.addOns.liquidityCoefficient > 0 || c.addOns.minimumRate > 0) {
    Json addOns = Json::object();
    if (c.addOns.liquidityCoefficient > 0)
      addOns["liquidity"] = {{"coefficient", c.addOns.liquidityCoefficient},
                             {"adv_days", c.addOns.advDays}};
    if (c.addOns.minimumRate > 0) addOns["minimum_rate"] = c.addOns.minimumRate;
    config["add_ons"] = std::move(addOns);
  }
  if (c.method != MarginMethod::Es) config["method"] = wireName(c.method);
  if (!c.compare.empty()) {
    Json compare = Json::array();
    for (MarginMethod m : c.compare) compare.push_back(wireName(m));
    config["compare"] = std::move(compare);
  }
  if (c.uses(MarginMethod::Grid) && c.gridAggregation != GridAggregation::Sum)
    config["grid_aggregation"] = wireName(c.gridAggregation);
  return config;
}

namespace {

Json gridParamsToJson(const GridParams& p) {
  Json j{{"range", p.range},
         {"points", p.points},
         {"vol_shift",
          {{"mode", wireName(p.volMode)},
           {"up", p.volUp},
           {"down", p.volDown},
           {"scale_by_expiry", p.scaleByExpiry}}},
         {"short_option_minimum", p.shortOptionMinimum},
         {"net_notional_minimum", p.netNotionalMinimum}};
  if (p.extremeMultiple > 0)
    j["extreme"] = {{"multiple", p.extremeMultiple}, {"fraction", p.extremeFraction}};
  return j;
}

// config.flat and config.grid, which name instruments and assets.
void addMethodParameters(const MarginRequest& r, Json& config) {
  const MarginConfig& c = r.config;
  if (c.uses(MarginMethod::Flat)) {
    Json flat = Json::object();
    for (size_t i = 0; i < c.flat.size(); ++i) {
      if (c.flat[i].empty()) continue;
      Json tiers = Json::array();
      for (const FlatTier& t : c.flat[i]) {
        Json tier{{"imf", t.imf}, {"mmf", t.mmf}};
        if (std::isfinite(t.notionalUpTo)) tier["notional_up_to"] = t.notionalUpTo;
        tiers.push_back(std::move(tier));
      }
      flat[r.instruments[i].id] = {{"tiers", std::move(tiers)}};
    }
    config["flat"] = std::move(flat);
  }
  if (c.uses(MarginMethod::Grid) && !c.grid.empty()) {
    Json grid = Json::object();
    for (size_t a = 0; a < c.grid.size(); ++a)
      grid[r.market.assets[a].id] = gridParamsToJson(c.grid[a]);
    config["grid"] = std::move(grid);
  }
}

}  // namespace

Json requestToJson(const MarginRequest& r) {
  Json market;
  market["as_of"] = r.market.asOfText;
  market["base_currency"] = r.market.baseCurrency;
  market["rate"] = r.market.rate;
  Json assets = Json::array();
  for (const Asset& a : r.market.assets) {
    Json j{{"id", a.id}, {"price", a.price}};
    if (a.vol > 0) j["vol"] = a.vol;
    if (a.volOfVol > 0) j["vol_of_vol"] = a.volOfVol;
    if (a.spotVolCorr != 0) j["spot_vol_corr"] = a.spotVolCorr;
    if (a.dailyVolume > 0) j["daily_volume"] = a.dailyVolume;
    assets.push_back(std::move(j));
  }
  market["assets"] = std::move(assets);
  std::vector<int> risky;
  for (size_t i = 0; i < r.market.assets.size(); ++i)
    if (r.market.assets[i].risky()) risky.push_back(static_cast<int>(i));
  Json ids = Json::array(), matrix = Json::array();
  for (int i : risky) {
    ids.push_back(r.market.assets[i].id);
    Json row = Json::array();
    for (int j : risky) row.push_back(r.market.correlation(i, j));
    matrix.push_back(std::move(row));
  }
  market["correlation"] = {{"assets", ids}, {"matrix", matrix}};
  if (!r.market.history.empty()) {
    Json history = Json::object();
    for (const auto& [a, closes] : r.market.history) {
      Json series = Json::array();
      for (const DailyClose& c : closes) {
        Json day{{"date", formatDate(c.day)}, {"close", c.close}};
        if (c.volume >= 0) day["volume"] = c.volume;
        if (c.iv > 0) day["iv"] = c.iv;
        series.push_back(std::move(day));
      }
      history[r.market.assets[a].id] = std::move(series);
    }
    market["history"] = std::move(history);
  }

  auto time = [&](double t) { return formatRfc3339(t); };
  Json instruments = Json::array();
  for (const Instrument& i : r.instruments) {
    Json j{{"id", i.id},
           {"type", wireName(i.type)},
           {"underlying", r.market.assets[i.underlying].id},
           {"contract_size", i.contractSize}};
    if (traitsOf(i.type).expires) j["expiry"] = time(i.expiry);
    if (traitsOf(i.type).option) {
      j["right"] = wireName(i.right);
      j["strike"] = i.strike;
      j["iv"] = i.iv;
    }
    instruments.push_back(std::move(j));
  }
  Json accounts = Json::array();
  for (const Account& a : r.accounts) {
    Json col = Json::array(), pos = Json::array();
    for (const Collateral& c : a.collateral)
      col.push_back({{"asset", r.market.assets[c.asset].id}, {"amount", c.amount}});
    for (const Position& p : a.positions) {
      Json j{{"instrument", r.instruments[p.instrument].id}, {"qty", p.qty}};
      if (r.instruments[p.instrument].type != InstrumentType::Spot) j["entry_price"] = p.entryPrice;
      pos.push_back(std::move(j));
    }
    accounts.push_back(
        {{"id", a.id}, {"collateral", std::move(col)}, {"positions", std::move(pos)}});
  }
  Json config = configToJson(r.config);
  addMethodParameters(r, config);
  return {{"market", std::move(market)},
          {"instruments", std::move(instruments)},
          {"accounts", std::move(accounts)},
          {"config", std::move(config)}};
}

}  // namespace xm
