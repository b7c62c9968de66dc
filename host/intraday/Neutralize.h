#pragma once
// Position neutralization (contract §10): for an account below its initial margin (or a target
// coverage equity / IM), the trades that restore it at the least cost — the gentler alternative
// to liquidation.
//
// The search is greedy and every step is verified on the prepared market's scenarios:
//   - a reduction takes `step` of a held derivative's net quantity toward zero; reductions are
//     tried in the order of the position's Euler ES contribution per unit of its trade's cost;
//   - a hedge adds `step` of the account's net delta on the hedge's underlying, in either
//     direction, in an instrument of `hedgeInstruments`;
//   - of the candidates evaluated, the one that lowers the deficit (target · IM − equity) most per
//     unit of added cost is taken; none that lowers it ends the search (not restored);
//   - the move that restores the account is then shrunk by bisection to the least that does.
// Trades are booked as one new position line per instrument at an execution price that carries
// their cost, so equity falls by it: cost = impact + fee, impact the liquidity add-on's
// square-root law (config.add_ons: coefficient · daily vol · n · √(n / ADV), n the trade's delta
// notional; none when the add-on is off) and fee = fee_rate · the trade's gross notional. Spot
// positions and collateral are not traded (that moves cash).

#include <string>
#include <vector>

#include "host/intraday/WhatIf.h"
#include "host/margin/MarginEngine.h"

namespace xm {

struct NeutralizeConfig {
  double targetCoverage = 1.0;        // restore equity >= target · IM
  std::vector<int> hedgeInstruments;  // indices; empty: reductions only
  double feeRate = 0.0;
  double step = 0.1;   // share of a position, or of the net delta, per move
  int maxMoves = 200;  // moves before the search stops
};

enum class NeutralizeOutcome { Healthy, Restored, NotRestored };

struct ProposedTrade {
  int instrument = -1;
  double qty = 0.0;    // contracts, signed
  double price = 0.0;  // execution price, cost included
  double cost = 0.0;   // impact + fee, base currency
  bool hedge = false;  // on an instrument the account did not hold
};

struct Proposal {
  NeutralizeOutcome outcome = NeutralizeOutcome::Healthy;
  std::vector<ProposedTrade> trades;
  double cost = 0.0;
  AccountResult before, after;  // after: the account with the trades, verified
  Account account;              // the account with the trades' position lines
  int evaluations = 0;          // accounts margined by the search
};

Proposal neutralize(const PreparedMarket& market, const Account& account,
                    const NeutralizeConfig& config);

// Every account of `accounts`, in order: threads over accounts on the CPU backend (one account
// at a time on a device session); the deadline is checked between accounts.
std::vector<Proposal> neutralizeAccounts(const PreparedMarket& market,
                                         const std::vector<Account>& accounts,
                                         const NeutralizeConfig& config,
                                         const EngineOptions& options);

}  // namespace xm
