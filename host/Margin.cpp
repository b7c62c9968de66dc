#include "host/Margin.h"

#include <algorithm>

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

}  // namespace

AccountResult assessAccount(const MarginRequest& request, const RiskProblem& problem,
                            int64_t index, const BatchRisk& risk, int64_t slot,
                            int64_t legOffset) {
  const Account& account = request.accounts[index];
  const MarginConfig& config = request.config;
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
  }
  r.collateral.resize(account.collateral.size());
  for (size_t i = 0; i < account.collateral.size(); ++i) {
    const Collateral& c = account.collateral[i];
    const double value = c.amount * request.market.assets[c.asset].price;
    fillLeg(r.collateral[i], value);
    r.equity += value;
  }

  const double esFloored = std::max(0.0, r.es);
  r.diversificationBenefit = r.isolatedMargin > 0.0 ? 1.0 - esFloored / r.isolatedMargin : 0.0;
  const double base = config.measure == RiskMeasure::ES ? esFloored : std::max(0.0, r.var);
  r.initialMargin = config.imMultiplier * base;
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
