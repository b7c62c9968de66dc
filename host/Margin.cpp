#include "host/Margin.h"

#include <algorithm>
#include <cmath>

namespace xm {
namespace {

// Current value of a position (contract §4) and what it adds to equity (§3).
struct PositionValue {
  double value;
  double equity;
};

PositionValue valuePosition(const MarginRequest& request, const RiskProblem& problem,
                            const Position& pos) {
  const Instrument& ins = request.instruments[pos.instrument];
  const double unit = problem.unitValueNow[pos.instrument];
  const double size = pos.qty * ins.contractSize;
  switch (ins.type) {
    case InstrumentType::Spot:  // an asset held: worth its market value
      return {size * unit, size * unit};
    case InstrumentType::Perpetual:
    case InstrumentType::Future: {
      const double pnl = size * (unit - pos.entryPrice);
      return {pnl, pnl};
    }
    case InstrumentType::InversePerpetual: {
      const double pnl = size * (unit / pos.entryPrice - 1.0);
      return {pnl, pnl};
    }
    case InstrumentType::Option:
      return {size * unit, size * (unit - pos.entryPrice)};
  }
  return {0.0, 0.0};
}

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

Exposure unitExposure(const Instrument& ins, const Market& market) {
  const double s = market.assets[ins.underlying].price;
  const double years = (ins.expiry - market.asOf) / kSecondsPerYear;
  switch (ins.type) {
    case InstrumentType::Spot:
    case InstrumentType::Perpetual:
      return {s, s};
    case InstrumentType::Future: {
      const double f = forwardPrice(s, market.rate, years);
      return {f, f};
    }
    case InstrumentType::InversePerpetual:
      return {s, 1.0};
    case InstrumentType::Option: {
      const double delta = blackScholesDelta(ins.right == OptionRight::Call, s, ins.strike, years,
                                             ins.iv, market.rate);
      return {delta * s, s};
    }
  }
  return {};
}

AccountResult assessAccount(const MarginRequest& request, const RiskProblem& problem,
                            const MarginContext& context, int64_t index, const BatchRisk& risk,
                            int64_t slot, int64_t legOffset) {
  const Account& account = request.accounts[index];
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
    const PositionValue v = valuePosition(request, problem, account.positions[i]);
    fillLeg(r.positions[i], v.value);
    r.equity += v.equity;
    const Position& pos = account.positions[i];
    const Instrument& ins = request.instruments[pos.instrument];
    const Exposure& unit = context.unitExposure[pos.instrument];
    const double size = pos.qty * ins.contractSize;
    r.grossNotional += std::abs(size) * unit.gross;
    const int asset = ins.underlying;
    if (liquidity) {
      const double delta = size * unit.delta;
      addExposure(net, asset, ins.type == InstrumentType::InversePerpetual ? delta / pos.entryPrice : delta);
    }
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
    const double dailyVol = a.vol / std::sqrt(365.0);
    r.liquidityAddOn += config.addOns.liquidityCoefficient * dailyVol * n * std::sqrt(n / context.adv[e.asset]);
  }
  const double beforeMinimum = riskMargin + r.apcBuffer + r.liquidityAddOn;
  r.minimumAddOn = std::max(0.0, config.addOns.minimumRate * r.grossNotional - beforeMinimum);
  r.initialMargin = beforeMinimum + r.minimumAddOn;
  r.maintenanceMargin = config.mmRatio * r.initialMargin;
  r.excess = r.equity - r.initialMargin;
  r.status = r.equity >= r.initialMargin        ? MarginStatus::Ok
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
}

const char* toString(MarginStatus s) {
  switch (s) {
    case MarginStatus::Ok: return "ok";
    case MarginStatus::MarginCall: return "margin_call";
    case MarginStatus::Liquidate: return "liquidate";
  }
  return "?";
}

const char* toString(InstrumentType t) {
  switch (t) {
    case InstrumentType::Spot: return "spot";
    case InstrumentType::Perpetual: return "perpetual";
    case InstrumentType::Future: return "future";
    case InstrumentType::InversePerpetual: return "inverse_perpetual";
    case InstrumentType::Option: return "option";
  }
  return "?";
}

const char* toString(RiskMeasure m) { return m == RiskMeasure::ES ? "es" : "var"; }

const char* toString(BackendChoice b) {
  switch (b) {
    case BackendChoice::Auto: return "auto";
    case BackendChoice::Cpu: return "cpu";
    case BackendChoice::Cuda: return "cuda";
  }
  return "?";
}

const char* toString(Precision p) { return p == Precision::Fp64 ? "fp64" : "fp32"; }

const char* toString(CorrelationRepair r) {
  switch (r) {
    case CorrelationRepair::None: return "none";
    case CorrelationRepair::Clip: return "clip";
    case CorrelationRepair::Nearest: return "nearest";
  }
  return "?";
}

}  // namespace xm
