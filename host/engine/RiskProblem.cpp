#include "host/engine/RiskProblem.h"

#include <algorithm>
#include <cmath>

#include "host/engine/Instruments.h"
#include "host/engine/MarketFactors.h"
#include "host/market/MarketHistory.h"
#include "host/model/Errors.h"

namespace xm {

int64_t tailCount(double confidence, int64_t scenarios) {
  const double x = (1.0 - confidence) * static_cast<double>(scenarios);
  const auto k = static_cast<int64_t>(std::ceil(x - 1e-9 * std::max(1.0, x)));
  return std::clamp<int64_t>(k, 1, scenarios);
}

std::vector<Replication> planReplications(Sampling sampling, int replications, int64_t scenarios,
                                          double confidence) {
  if (sampling != Sampling::Sobol) {
    return {Replication{0, scenarios, tailCount(confidence, scenarios), 0, 1.0}};
  }
  XM_ASSERT(replications >= 1 && scenarios >= replications, "sobol replications out of range");
  std::vector<Replication> out;
  int64_t offset = 0;
  for (int r = 0; r < replications; ++r) {
    Replication rep;
    rep.begin = replicationBegin(scenarios, replications, r);
    rep.count = replicationBegin(scenarios, replications, r + 1) - rep.begin;
    rep.k = tailCount(confidence, rep.count);
    rep.tailOffset = offset;
    // The k-th largest's share of the tail's (1 - confidence) · count scenarios; within the
    // tail count's slack of 1 it is 1 (then the rule is exactly the mean of the k largest).
    const double share =
        (1.0 - confidence) * static_cast<double>(rep.count) - static_cast<double>(rep.k - 1);
    rep.lastWeight = share >= 1.0 - 1e-9 || share <= 0.0 ? 1.0 : share;
    offset += rep.k;
    out.push_back(rep);
  }
  return out;
}

namespace {

Sampling samplingOf(SamplingMethod m) {
  switch (m) {
    case SamplingMethod::Antithetic:
      return Sampling::Antithetic;
    case SamplingMethod::Sobol:
      return Sampling::Sobol;
    case SamplingMethod::Mc:
      break;
  }
  return Sampling::Mc;
}

PnlRow baseRow(const Market& market, const FactorModel& factors, int asset, double horizonYears,
               RowKind kind) {
  const Asset& a = market.assets[asset];
  PnlRow row;
  row.kind = kind;
  row.priceFactor = factors.priceFactorOf[asset];
  row.spot = a.price;
  row.diffusion = a.vol * std::sqrt(horizonYears);
  row.drift = -0.5 * a.vol * a.vol * horizonYears;
  row.rate = market.rate;
  row.valueNow = a.price;
  return row;
}

// What some account holds: instruments with a position, and assets held as collateral or
// through a position revalued on their spot row.
struct Held {
  std::vector<char> asset, instrument;
};
Held heldBy(const MarginRequest& request, RowSet rows) {
  const auto& instruments = request.instruments;
  const char all = rows == RowSet::All;
  Held held{std::vector<char>(request.market.assets.size(), all),
            std::vector<char>(instruments.size(), all)};
  for (const Account& a : request.accounts) {
    for (const Position& pos : a.positions) held.instrument[pos.instrument] = 1;
    for (const Collateral& c : a.collateral) held.asset[c.asset] = 1;
  }
  for (size_t i = 0; i < instruments.size(); ++i) {
    if (held.instrument[i] && traitsOf(instruments[i].type).spotRow) {
      held.asset[instruments[i].underlying] = 1;
    }
  }
  return held;
}

}  // namespace

RiskProblem compileProblem(const MarginRequest& request) {
  return compileProblem(request, request.market);
}

RiskProblem compileProblem(const MarginRequest& request, const Market& market, RowSet rows) {
  const MarginConfig& config = request.config;
  const double h = config.horizonDays / kDaysPerYear;

  RiskProblem p;
  p.factors = buildFactorModel(market, config.correlationRepair);
  p.shocks = {config.seed, config.shocks == ShockModel::StudentT, config.dof, nullptr};
  if (config.shocks == ShockModel::Fhs) {
    // The residuals are filtered with the EWMA decay of vol_model, or RiskMetrics' 0.94.
    const double lambda = config.volModel == VolModel::Ewma ? config.ewmaLambda : 0.94;
    p.shocks.fhs = buildFhsTable(market, p.factors, lambda, config.fhsLookbackDays);
  }
  p.shocks.sampling = samplingOf(config.sampling);
  p.shocks.replications = config.sampling == SamplingMethod::Sobol ? config.replications : 1;
  p.shocks.scenarios = config.scenarios;
  if (p.shocks.sampling == Sampling::Sobol && p.factors.factors() > kSobolDimensions) {
    throw InputError("/config/sampling", "/config/sampling: sobol points come in at most " +
                                             std::to_string(kSobolDimensions) +
                                             " dimensions and this market has " +
                                             std::to_string(p.factors.factors()) +
                                             " risk factors (prices and implied vols): use \"mc\"");
  }
  p.scenarios = config.scenarios;
  p.confidence = config.confidence;
  p.precision = config.precision;
  p.replications = planReplications(p.shocks.sampling, p.shocks.replications, config.scenarios,
                                    config.confidence);
  p.tailCount = 0;
  for (const Replication& r : p.replications) p.tailCount += r.k;

  // Only what some account holds is revalued: a row's values depend on its instrument and the
  // scenario set alone, so leaving out the rest changes no figure (the factor model keeps every
  // risky asset, so the draws do not change either).
  const int n = static_cast<int>(market.assets.size());
  const auto& instruments = request.instruments;
  const Held held = heldBy(request, rows);
  const std::vector<char>& heldAsset = held.asset;
  const std::vector<char>& heldInstrument = held.instrument;

  p.spotRowOf.assign(n, -1);
  for (int a = 0; a < n; ++a) {
    if (!market.assets[a].risky() || !heldAsset[a]) continue;
    p.spotRowOf[a] = static_cast<int>(p.rows.size());
    p.rows.push_back(baseRow(market, p.factors, a, h, RowKind::Spot));
    p.rowSource.push_back("/market/assets/" + std::to_string(a));
  }

  p.instrumentRow.assign(instruments.size(), -1);
  p.unitValueNow.assign(instruments.size(), 0.0);
  for (size_t i = 0; i < instruments.size(); ++i) {
    const Instrument& ins = instruments[i];
    const Asset& under = market.assets[ins.underlying];
    const double t0 = std::max(0.0, yearsToExpiry(ins, market));
    const double th = std::max(0.0, t0 - h);
    switch (ins.type) {
      case InstrumentType::Spot:
      case InstrumentType::Perpetual:
      case InstrumentType::InversePerpetual:
        p.instrumentRow[i] = p.spotRowOf[ins.underlying];
        p.unitValueNow[i] = under.price;
        break;
      case InstrumentType::Future: {
        PnlRow row = baseRow(market, p.factors, ins.underlying, h, RowKind::Future);
        row.carryNow = std::exp(market.rate * t0);
        row.carryLater = std::exp(market.rate * th);
        row.timeNow = t0;
        row.valueNow = under.price * row.carryNow;
        p.unitValueNow[i] = row.valueNow;
        // A future on a riskless asset still moves deterministically with carry when rate != 0.
        if (heldInstrument[i] && (row.priceFactor >= 0 || row.carryNow != row.carryLater)) {
          p.instrumentRow[i] = static_cast<int>(p.rows.size());
          p.rows.push_back(row);
          p.rowSource.push_back("/instruments/" + std::to_string(i));
        }
        break;
      }
      case InstrumentType::Option: {
        PnlRow row = baseRow(market, p.factors, ins.underlying, h, RowKind::Option);
        row.call = ins.right == OptionRight::Call;
        row.strike = ins.strike;
        row.iv = ins.iv;
        row.timeLater = th;
        row.timeNow = t0;
        row.volFactor = p.factors.volFactorOf[ins.underlying];
        row.volDiffusion = under.volOfVol * std::sqrt(h);
        row.volDrift = -0.5 * under.volOfVol * under.volOfVol * h;
        row.valueNow = blackScholes(row.call, under.price, ins.strike, t0, ins.iv, market.rate);
        p.unitValueNow[i] = row.valueNow;
        if (heldInstrument[i]) {
          p.instrumentRow[i] = static_cast<int>(p.rows.size());
          p.rows.push_back(row);
          p.rowSource.push_back("/instruments/" + std::to_string(i));
        }
        break;
      }
    }
  }
  if (config.uses(MarginMethod::Grid)) {
    std::vector<GridParams> params(n);
    for (int a = 0; a < n; ++a) params[a] = config.gridParams(a);
    auto grid =
        std::make_shared<StressGrid>(buildStressGrid(params, p.factors.priceFactorOf, p.rows));
    p.grid = std::move(grid);
  }
  return p;
}

AccountBatch compileBatch(const std::vector<Account>& accounts,
                          const std::vector<Instrument>& instruments, const RiskProblem& problem,
                          int64_t first, int64_t count) {
  XM_ASSERT(first >= 0 && count >= 0 && first + count <= static_cast<int64_t>(accounts.size()),
            "batch out of range");
  AccountBatch batch;
  batch.first = first;
  batch.legBegin.reserve(count + 1);
  batch.legBegin.push_back(0);
  for (int64_t a = first; a < first + count; ++a) {
    const Account& account = accounts[a];
    for (const Position& pos : account.positions) {
      const Instrument& ins = instruments[pos.instrument];
      batch.legRow.push_back(problem.instrumentRow[pos.instrument]);
      batch.legWeight.push_back(legWeight(ins, pos));
    }
    for (const Collateral& c : account.collateral) {
      batch.legRow.push_back(problem.spotRowOf[c.asset]);
      batch.legWeight.push_back(c.amount);
    }
    batch.legBegin.push_back(static_cast<int64_t>(batch.legRow.size()));
  }
  return batch;
}

}  // namespace xm
