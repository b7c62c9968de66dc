#include "host/margin/Margin.h"

#include "host/margin/FlatMargin.h"

#include <algorithm>
#include <cmath>

namespace xm {
namespace {

// The account's net delta exposure per underlying asset (few legs: a flat list).
struct NetExposure {
  int asset;
  double delta;
};

void addExposure(std::vector<NetExposure>& net, int asset, double delta) {
  for (NetExposure& e : net) {
    if (e.asset == asset) {
      e.delta += delta;
      return;
    }
  }
  net.push_back({asset, delta});
}

// The account's stress-grid margin (contract §11): per underlying block its worst loss L_b (at
// least 0), combined as Σ L_b or sqrt(Σ ρ_ij s_i s_j L_i L_j); each leg's Euler share of that at
// the worst points; then the contingencies: short_option_minimum · S per unit of net short options
// per instrument, and each underlying's loss lifted to net_notional_minimum of its net delta
// notional.
void assessGrid(const MarginRequest& request, const Account& account, const RiskProblem& problem,
                const MarginContext& context, const BatchRisk& risk, int64_t slot,
                int64_t legOffset, AccountResult& r) {
  const MarginConfig& config = request.config;
  const StressGrid& grid = *problem.grid;
  const int blocks = grid.blocks();
  const Market& market = *context.market;
  const double* worst = risk.gridWorst.data() + slot * blocks;
  const int32_t* point = risk.gridPoint.data() + slot * blocks;
  std::vector<double> loss(blocks), lifted(blocks);
  for (int b = 0; b < blocks; ++b) loss[b] = std::max(0.0, worst[b]);

  // Which blocks the account holds, its net delta per underlying and net short options.
  std::vector<char> held(blocks, 0);
  std::vector<double> netDelta(market.assets.size(), 0.0), shortUnits(market.assets.size(), 0.0);
  std::vector<std::pair<int, double>> optionNet;  // instrument, net size
  for (const Position& pos : account.positions) {
    const Instrument& ins = request.instruments[pos.instrument];
    const int b = grid.assetBlock[ins.underlying];
    if (b >= 0) held[b] = 1;
    netDelta[ins.underlying] += deltaExposure(ins, pos, context.unitExposure[pos.instrument]);
    if (ins.type != InstrumentType::Option) continue;
    bool found = false;
    for (auto& [instrument, net] : optionNet) {
      if (instrument == pos.instrument) {
        net += positionSize(ins, pos);
        found = true;
      }
    }
    if (!found) optionNet.emplace_back(pos.instrument, positionSize(ins, pos));
  }
  for (const Collateral& c : account.collateral) {
    const int b = grid.assetBlock[c.asset];
    if (b >= 0) held[b] = 1;
    netDelta[c.asset] += c.amount * request.market.assets[c.asset].price;
  }
  for (const auto& [instrument, net] : optionNet)
    shortUnits[request.instruments[instrument].underlying] += std::max(0.0, -net);

  // Combined loss and each block's marginal weight dT/dL_b. Under the correlation credit the
  // losses of two underlyings correlate as ρ s_i s_j, s the direction of each one's worst move
  // (+1 up, -1 down, 0 none: a vol-only loss counts as independent), so a long/short pair
  // across underlyings offsets and two longs do not.
  std::vector<double> direction(blocks, 0.0);
  for (int b = 0; b < blocks; ++b) {
    const double move = grid.points[point[b]].move;
    direction[b] = move > 0.0 ? 1.0 : move < 0.0 ? -1.0 : 0.0;
  }
  std::vector<double> weight(blocks, 1.0);
  auto combine = [&](const std::vector<double>& l, std::vector<double>* grad) {
    if (config.gridAggregation == GridAggregation::Sum) {
      double t = 0.0;
      for (double x : l) t += x;
      return t;
    }
    std::vector<double> rl(blocks, 0.0);
    double q = 0.0;
    for (int i = 0; i < blocks; ++i) {
      for (int j = 0; j < blocks; ++j) {
        const double rho =
            i == j ? 1.0 : context.gridCorrelation[i * blocks + j] * direction[i] * direction[j];
        rl[i] += rho * l[j];
      }
      q += l[i] * rl[i];
    }
    const double t = std::sqrt(std::max(0.0, q));
    if (grad)
      for (int i = 0; i < blocks; ++i) (*grad)[i] = t > 0.0 ? rl[i] / t : 0.0;
    return t;
  };
  GridFigures& f = r.gridFigures;
  f.loss = combine(loss, &weight);

  // Legs in batch order: positions, then collateral.
  const size_t nPositions = account.positions.size();
  for (size_t i = 0; i < nPositions + account.collateral.size(); ++i) {
    const int row = i < nPositions ? problem.instrumentRow[account.positions[i].instrument]
                                   : problem.spotRowOf[account.collateral[i - nPositions].asset];
    const int b = row >= 0 ? grid.rowBlock[row] : -1;
    if (b < 0 || loss[b] <= 0.0) continue;
    LegResult& out = i < nPositions ? r.positions[i] : r.collateral[i - nPositions];
    out.gridContribution = weight[b] * risk.legGridLoss[legOffset + static_cast<int64_t>(i)];
  }

  double shortAddOn = 0.0;
  for (int b = 0; b < blocks; ++b) {
    const int asset = grid.blockAsset[b];
    const GridParams p = config.gridParams(asset);
    const double price = request.market.assets[asset].price;
    lifted[b] = std::max(loss[b], p.netNotionalMinimum * std::abs(netDelta[asset]));
    if (!held[b]) continue;
    GridUnderlying u;
    u.asset = asset;
    u.loss = loss[b];
    const GridPoint& g = grid.points[point[b]];
    u.move = g.move;
    u.vol = g.vol;
    u.extreme = g.weight != 1.0;
    u.shortOptionAddOn = p.shortOptionMinimum * price * shortUnits[asset];
    u.notionalFloor = lifted[b] - loss[b];
    shortAddOn += u.shortOptionAddOn;
    f.underlyings.push_back(u);
  }
  f.contingency = combine(lifted, nullptr) - f.loss + shortAddOn;
  r.grid.im = f.loss + f.contingency;
  r.grid.mm = config.mmRatio * r.grid.im;
}

}  // namespace

AccountResult assessAccount(const MarginRequest& request, const Account& account,
                            const RiskProblem& problem, const MarginContext& context,
                            const BatchRisk& risk, int64_t slot, int64_t legOffset) {
  const MarginConfig& config = request.config;
  const Market& market = *context.market;
  const bool liquidity = config.addOns.liquidityCoefficient > 0.0;
  std::vector<NetExposure> net;
  double stress = 0.0;  // the highest stress level among the assets the account is exposed to
  AccountResult r;
  r.var = risk.var[slot];
  r.es = risk.es[slot];
  r.esStderr = risk.esStderr[slot];

  int64_t leg = legOffset;
  auto fillLeg = [&](LegResult& out, double value) {
    out.value = value;
    out.standaloneEs = risk.legStandaloneEs[leg];
    out.esContribution = risk.legContribution[leg];
    r.isolatedMargin += std::max(0.0, out.standaloneEs);
    ++leg;
  };
  r.positions.resize(account.positions.size());
  for (size_t i = 0; i < account.positions.size(); ++i) {
    const Position& pos = account.positions[i];
    const Instrument& ins = request.instruments[pos.instrument];
    const PositionValue v = positionValue(ins, pos, problem.unitValueNow[pos.instrument]);
    fillLeg(r.positions[i], v.value);
    r.equity += v.equity;
    const Exposure& unit = context.unitExposure[pos.instrument];
    r.grossNotional += std::abs(positionSize(ins, pos)) * unit.gross;
    const int asset = ins.underlying;
    if (liquidity) addExposure(net, asset, deltaExposure(ins, pos, unit));
    stress = std::max(stress, context.stressLevel[asset]);
  }
  r.collateral.resize(account.collateral.size());
  for (size_t i = 0; i < account.collateral.size(); ++i) {
    const Collateral& c = account.collateral[i];
    const double value = c.amount * request.market.assets[c.asset].price;
    fillLeg(r.collateral[i], value);
    r.equity += value;
    if (market.assets[c.asset].risky()) {
      if (liquidity) addExposure(net, c.asset, value);
      stress = std::max(stress, context.stressLevel[c.asset]);
    }
  }

  const double esFloored = std::max(0.0, r.es);
  r.diversificationBenefit = r.isolatedMargin > 0.0 ? 1.0 - esFloored / r.isolatedMargin : 0.0;
  const double base = config.measure == RiskMeasure::ES ? esFloored : std::max(0.0, r.var);
  const double riskMargin = config.imMultiplier * base;
  r.apcBuffer = config.antiProcyclicality.buffer * (1.0 - stress) * riskMargin;
  for (const NetExposure& e : net) {
    const double n = std::abs(e.delta);
    const Asset& a = market.assets[e.asset];
    if (n == 0.0 || !a.risky()) continue;
    const double dailyVol = a.vol / std::sqrt(kDaysPerYear);
    r.liquidityAddOn +=
        config.addOns.liquidityCoefficient * dailyVol * n * std::sqrt(n / context.adv[e.asset]);
  }
  const double beforeMinimum = riskMargin + r.apcBuffer + r.liquidityAddOn;
  r.minimumAddOn = std::max(0.0, config.addOns.minimumRate * r.grossNotional - beforeMinimum);
  r.initialMargin = beforeMinimum + r.minimumAddOn;
  r.maintenanceMargin = config.mmRatio * r.initialMargin;
  r.esMargin = {r.initialMargin, r.maintenanceMargin};
  if (config.uses(MarginMethod::Flat)) {
    const FlatAccount flat = flatMargin(request, market, account, r.equity);
    r.hasFlat = true;
    r.flat = flat.margin;
    for (size_t i = 0; i < r.positions.size(); ++i)
      r.positions[i].liquidationPrice = flat.liquidationPrice[i];
  }
  if (problem.grid) {
    r.hasGrid = true;
    assessGrid(request, account, problem, context, risk, slot, legOffset, r);
  }
  if (config.method == MarginMethod::Flat) {
    r.initialMargin = r.flat.im;
    r.maintenanceMargin = r.flat.mm;
  } else if (config.method == MarginMethod::Grid) {
    r.initialMargin = r.grid.im;
    r.maintenanceMargin = r.grid.mm;
  }
  for (MarginMethod m : config.compare) {
    r.esCompared = r.esCompared || m == MarginMethod::Es;
    r.flatCompared = r.flatCompared || m == MarginMethod::Flat;
    r.gridCompared = r.gridCompared || m == MarginMethod::Grid;
  }
  r.excess = r.equity - r.initialMargin;
  r.status = r.equity >= r.initialMargin       ? MarginStatus::Ok
             : r.equity >= r.maintenanceMargin ? MarginStatus::MarginCall
                                               : MarginStatus::Liquidate;
  return r;
}

TotalsEntry totalsEntry(const AccountResult& r) {
  TotalsEntry e;
  e.equity = r.equity;
  e.initialMargin = r.initialMargin;
  e.maintenanceMargin = r.maintenanceMargin;
  e.isolatedMargin = r.isolatedMargin;
  e.status = static_cast<int32_t>(r.status);
  e.flatCompared = r.flatCompared;
  e.esCompared = r.esCompared;
  e.gridCompared = r.gridCompared;
  e.flat = r.flat;
  e.esMargin = r.esMargin;
  e.grid = r.grid;
  return e;
}

void MarginTotals::add(const TotalsEntry& e) {
  ++accounts;
  equity += e.equity;
  initialMargin += e.initialMargin;
  maintenanceMargin += e.maintenanceMargin;
  isolatedMargin += e.isolatedMargin;
  const auto status = static_cast<MarginStatus>(e.status);
  ok += status == MarginStatus::Ok;
  marginCall += status == MarginStatus::MarginCall;
  liquidate += status == MarginStatus::Liquidate;
  if (e.flatCompared) {
    flatCompared = true;
    flat.im += e.flat.im;
    flat.mm += e.flat.mm;
  }
  if (e.gridCompared) {
    gridCompared = true;
    grid.im += e.grid.im;
    grid.mm += e.grid.mm;
  }
  if (e.esCompared) {
    esCompared = true;
    esMargin.im += e.esMargin.im;
    esMargin.mm += e.esMargin.mm;
  }
}

}  // namespace xm
