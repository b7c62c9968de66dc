#pragma once
// Instruments, positions, collateral and accounts (contract §2). Indices refer to the request's
// own arrays: Position::instrument into instruments, Collateral::asset into market.assets.

#include <string>
#include <vector>

namespace xm {

enum class InstrumentType { Spot, Perpetual, Future, InversePerpetual, Option };
enum class OptionRight { Call, Put };

struct Instrument {
  std::string id;
  InstrumentType type = InstrumentType::Perpetual;
  int underlying = -1;        // index into market.assets
  double contractSize = 1.0;  // units of the underlying (base-currency face for inverse)
  double expiry = 0.0;        // seconds since the epoch (future, option)
  OptionRight right = OptionRight::Call;
  double strike = 0.0;  // option
  double iv = 0.0;      // option implied vol, annualised
};

struct Position {
  int instrument = -1;
  double qty = 0.0;         // signed: > 0 long
  double entryPrice = 0.0;  // not used by spot positions
};

struct Collateral {
  int asset = -1;
  double amount = 0.0;
};

struct Account {
  std::string id;
  std::vector<Collateral> collateral;
  std::vector<Position> positions;
};

}  // namespace xm
