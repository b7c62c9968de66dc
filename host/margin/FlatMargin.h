#pragma once
// Flat-rate margin (contract §11), the dYdX / Hyperliquid / BitMEX method: each position pays a
// fraction of its notional, the fraction set by the instrument's rate (or its size tier); an
// account's requirement is the sum over its positions (cross mode). And each position's
// liquidation price under it. No scenario is involved: the host computes it beside the model.
//
//   position                 initial margin                      maintenance margin
//   perpetual, future        imf · |size| · mark                 mmf · |size| · mark
//   inverse perpetual        imf · |size| (its face)             mmf · |size|
//   short option             |size| · premium + imf · |size| · S |size| · premium + mmf · |size| ·
//   S long option, spot        0 (paid for: its value is equity)   0
// where size = qty · contract_size, mark the instrument's value now (S, or F for a future) and
// the tier the one whose notional_up_to first covers the position's notional (|size| · mark; the
// underlying's for an option), the last beyond them all.

#include <vector>

#include "host/model/MarginConfig.h"
#include "host/model/MarginRequest.h"
#include "host/model/MarginResult.h"

namespace xm {

struct FlatAccount {
  MethodMargin margin;
  std::vector<double>
      liquidationPrice;  // per position; NaN where no mark in (0, 1000 S] gets there
};

// The account's flat margins at `market` (its prices; options at their implied vols) and, per
// position, the mark of its underlying at which equity = maintenance margin with every other
// price fixed: equity and margin of every position and collateral holding on that underlying
// revalued there. `equity` is the account's equity now.
FlatAccount flatMargin(const MarginRequest& request, const Market& market, const Account& account,
                       double equity);

// The tier of `tiers` (ascending) that covers `notional`: the first whose bound it does not
// exceed, else the last.
const FlatTier& flatTier(const std::vector<FlatTier>& tiers, double notional);

}  // namespace xm
