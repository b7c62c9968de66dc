#pragma once
// What each instrument type means, in one place (contract §2, §3): which P&L row carries it, the
// weight a position puts on that row, its value and equity now, its delta exposure, and the P&L it
// realises when prices move. The engine (RiskProblem), the margin rules and add-ons, the
// backtest and the synthetic exchange all ask here; a new instrument type is added here first.
//
//   type               row                      weight on the row      value now (equity)
//   spot               the underlying's spot    qty·cs                 qty·cs·S (the same)
//   perpetual          the underlying's spot    qty·cs                 qty·cs·(S − entry)
//   inverse_perpetual  the underlying's spot    qty·cs ÷ entry         qty·cs·(S ÷ entry − 1)
//   future             its own (forward)        qty·cs                 qty·cs·(F − entry)
//   option             its own (Black–Scholes)  qty·cs                 qty·cs·V (qty·cs·(V −
//   entry))
//
// An inverse perpetual is sized in the base currency's face (contract_size, e.g. 100 USD per
// contract): its P&L per unit of the underlying's move is divided by the entry price.

#include <algorithm>

#include "host/engine/Pricing.h"
#include "host/model/Market.h"
#include "host/model/Portfolio.h"

namespace xm {

struct InstrumentTraits {
  bool spotRow;  // revalued on its underlying's spot row (spot, perpetuals), not a row of its own
  bool inverse;  // sized in the base currency's face: P&L divided by the entry price
  bool expires;  // has an expiry (future, option)
  bool option;
};

constexpr InstrumentTraits traitsOf(InstrumentType type) {
  switch (type) {
    case InstrumentType::Spot:
      return {true, false, false, false};
    case InstrumentType::Perpetual:
      return {true, false, false, false};
    case InstrumentType::InversePerpetual:
      return {true, true, false, false};
    case InstrumentType::Future:
      return {false, false, true, false};
    case InstrumentType::Option:
      return {false, false, true, true};
  }
  return {true, false, false, false};
}

// Years from the market's as_of to the instrument's expiry (negative once expired; 0 for
// instruments without one is never asked).
inline double yearsToExpiry(const Instrument& ins, const Market& market) {
  return (ins.expiry - market.asOf) / kSecondsPerYear;
}

// qty · contract_size: the position's size in units of the underlying (in face for an inverse).
inline double positionSize(const Instrument& ins, const Position& pos) {
  return pos.qty * ins.contractSize;
}

// The weight a position puts on its P&L row: base-currency P&L per unit of the row's move.
inline double legWeight(const Instrument& ins, const Position& pos) {
  double weight = positionSize(ins, pos);
  if (traitsOf(ins.type).inverse) weight /= pos.entryPrice;
  return weight;
}

// A position's current value (contract §4) and what it adds to equity (§3), given the value of
// one unit of its instrument now (the spot, the forward, the option's Black–Scholes value).
struct PositionValue {
  double value;
  double equity;
};
inline PositionValue positionValue(const Instrument& ins, const Position& pos,
                                   double unitValueNow) {
  const double size = positionSize(ins, pos);
  switch (ins.type) {
    case InstrumentType::Spot:  // an asset held: worth its market value
      return {size * unitValueNow, size * unitValueNow};
    case InstrumentType::Perpetual:
    case InstrumentType::Future: {
      const double pnl = size * (unitValueNow - pos.entryPrice);
      return {pnl, pnl};
    }
    case InstrumentType::InversePerpetual: {
      const double pnl = size * (unitValueNow / pos.entryPrice - 1.0);
      return {pnl, pnl};
    }
    case InstrumentType::Option:
      return {size * unitValueNow, size * (unitValueNow - pos.entryPrice)};
  }
  return {0.0, 0.0};
}

// Base-currency exposure to the underlying's price per unit of size (qty · contract_size):
// delta = dV/dS · S (BSM delta for an option; for an inverse perpetual S, to be divided by the
// entry price: deltaExposure) and the gross notional S (F for a future; 1, the face, for an
// inverse perpetual).
struct Exposure {
  double delta = 0.0;
  double gross = 0.0;
};
inline Exposure unitExposureAt(const Instrument& ins, double s, double iv, double rate,
                               double years) {
  switch (ins.type) {
    case InstrumentType::Spot:
    case InstrumentType::Perpetual:
      return {s, s};
    case InstrumentType::Future: {
      const double f = forwardPrice(s, rate, years);
      return {f, f};
    }
    case InstrumentType::InversePerpetual:
      return {s, 1.0};
    case InstrumentType::Option: {
      const double delta =
          blackScholesDelta(ins.right == OptionRight::Call, s, ins.strike, years, iv, rate);
      return {delta * s, s};
    }
  }
  return {};
}
inline Exposure unitExposure(const Instrument& ins, const Market& market) {
  return unitExposureAt(ins, market.assets[ins.underlying].price, ins.iv, market.rate,
                        yearsToExpiry(ins, market));
}

// The value of one unit of the instrument when its underlying is at `s`, its implied vol `iv`
// and `years` remain to its expiry: the spot, the forward, the option's Black–Scholes value.
inline double unitValueAt(const Instrument& ins, double s, double iv, double rate, double years) {
  switch (ins.type) {
    case InstrumentType::Future:
      return forwardPrice(s, rate, years);
    case InstrumentType::Option:
      return blackScholes(ins.right == OptionRight::Call, s, ins.strike, std::max(years, 0.0), iv,
                          rate);
    default:
      return s;
  }
}

// The position's base-currency delta exposure to its underlying.
inline double deltaExposure(const Instrument& ins, const Position& pos, const Exposure& unit) {
  const double delta = positionSize(ins, pos) * unit.delta;
  return traitsOf(ins.type).inverse ? delta / pos.entryPrice : delta;
}

// The P&L a position realises from the market `m` to `horizonDays` later, when its underlying
// closes at `spotLater` and (an option) its implied vol is `ivLater`; rate unchanged.
inline double realisedPnl(const Instrument& ins, const Position& pos, const Market& m,
                          double spotLater, double ivLater, double horizonDays) {
  const double s0 = m.assets[ins.underlying].price, s1 = spotLater;
  const double size = positionSize(ins, pos);
  const double t0 = yearsToExpiry(ins, m);
  const double t1 = t0 - horizonDays / kDaysPerYear;
  switch (ins.type) {
    case InstrumentType::Spot:
    case InstrumentType::Perpetual:
      return size * (s1 - s0);
    case InstrumentType::InversePerpetual:
      return size * (s1 - s0) / pos.entryPrice;
    case InstrumentType::Future:
      return size * (forwardPrice(s1, m.rate, t1) - forwardPrice(s0, m.rate, t0));
    case InstrumentType::Option: {
      const bool call = ins.right == OptionRight::Call;
      return size * (blackScholes(call, s1, ins.strike, std::max(t1, 0.0), ivLater, m.rate) -
                     blackScholes(call, s0, ins.strike, std::max(t0, 0.0), ins.iv, m.rate));
    }
  }
  return 0.0;
}

// The entry price of a position opened at the market now: the option's premium is not an entry
// (0), a future enters at its forward, everything else at the spot.
inline double entryAtMarket(const Instrument& ins, const Market& m) {
  const double s = m.assets[ins.underlying].price;
  switch (ins.type) {
    case InstrumentType::Option:
      return 0.0;
    case InstrumentType::Future:
      return forwardPrice(s, m.rate, yearsToExpiry(ins, m));
    default:
      return s;
  }
}

}  // namespace xm
