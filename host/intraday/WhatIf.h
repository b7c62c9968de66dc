#pragma once
// What-if margin (contract §10): an account's figures before and after some trades, on a
// prepared market. A trade adds a position line at its price; both accounts are computed in one
// batch, so each equals what a full request with that account would give, to the bit.

#include <vector>

#include "host/margin/MarginEngine.h"

namespace xm {

struct Trade {
  int instrument = -1;  // index into the snapshot's instruments
  double qty = 0.0;     // contracts, signed: > 0 buys
  double price = 0.0;   // the entry price of the new line
};

struct WhatIfResult {
  Account after;  // the account with one more position line per trade, in trade order
  AccountResult before, afterResult;
  double incrementalIm = 0.0;  // after's initial margin - before's
  // Per position line of `after`: its ES contribution after minus before (a trade's line: its
  // contribution, having had none).
  std::vector<double> contributionChange;
};

// Throws InputError naming /trades/i for a trade the engine cannot book: a spot instrument
// (buying spot moves cash: send the new collateral instead).
WhatIfResult whatIf(const PreparedMarket& market, const Account& account,
                    const std::vector<Trade>& trades);

}  // namespace xm
