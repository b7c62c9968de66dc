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
  if (config.uses(MarginMethod::Flat)) {
    const FlatAccount flat = flatMargin(request, market, account, r.equity);
    r.hasFlat = true;
    r.flat = flat.margin;
    for (size_t i = 0; i < r.positions.size(); ++i)
      r.positions[i].liquidationPrice = flat.liquidationPrice[i];
    if (config.method == MarginMethod::Flat) {
      r.esMargin = {r.initialMargin, r.maintenanceMargin};
      r.initialMargin = flat.margin.im;
      r.maintenanceMargin = flat.margin.mm;
      for (MarginMethod m : config.compare) r.esCompared = r.esCompared || m == MarginMethod::Es;
    } else {
      r.flatCompared = true;
    }
  }
  r.excess = r.equity - r.initialMargin;
  r.status = r.equity >= r.initialMargin       ? MarginStatus::Ok
             : r.equity >= r.maintenanceMargin ? MarginStatus::MarginCall
                                               : MarginStatus::Liquidate;
  return r;
}

void MarginTotals::add(const AccountResult& r) {
  ++accounts;
  equity += r.equity;
  initialMargin += r.initialMargin;
  maintenanceMargin += r.maintenanceMargin;
  isolatedMargin += r.isolatedMargin;
  ok += r.status == MarginStatus::Ok;
  marginCall += r.status == MarginStatus::MarginCall;
  liquidate += r.status == MarginStatus::Liquidate;
  if (r.flatCompared) {
    flatCompared = true;
    flat.im += r.flat.im;
    flat.mm += r.flat.mm;
  }
  if (r.esCompared) {
    esCompared = true;
    esMargin.im += r.esMargin.im;
    esMargin.mm += r.esMargin.mm;
  }
}

}  // namespace xm
