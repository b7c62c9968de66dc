#pragma once
// The venues' stress grid (contract §11) as a scenario set: per underlying, price moves × implied
// vol up / unchanged / down (and SPAN's extreme moves at a fraction), each point moving that one
// underlying and nothing else, every row revalued instantly by the pricing code of Pricing.h. The
// grid goes through the same cube and leg aggregation as the Monte Carlo scenarios (rows × grid
// points, losses per account); its reduction is a maximum per underlying's block of points.
//
// gridRowPnl and gridBlockWorst are XM_HD: the CPU backend and the CUDA kernels call the same
// functions, so the grid's figures agree between them to the ulp of exp/log/erfc.

#include <cmath>
#include <cstdint>
#include <vector>

#include "host/engine/Pricing.h"
#include "host/model/MarginConfig.h"
#include "host/model/Units.h"
#include "scenarios/HostDevice.h"

namespace xm {

enum class GridVol : int { Up = 1, Unchanged = 0, Down = -1 };

struct GridPoint {
  int priceFactor = -1;   // the underlying's price factor; rows on other factors do not move
  int vol = 0;            // GridVol
  int relative = 1;       // vol shift: a fraction of the implied vol (1) or vol points (0)
  int scaleByExpiry = 0;  // 1: the shift times sqrt(30 / days to expiry), days floored at 1
  double move = 0.0;      // S -> S (1 + move)
  double weight = 1.0;    // the share of the P&L counted (SPAN's extreme moves: a fraction)
  double volShift = 0.0;  // signed: > 0 up, < 0 down
};

// The implied vol of an option row at grid point g; never below 1% of the row's implied vol.
XM_HD double gridImpliedVol(const PnlRow& row, const GridPoint& g) {
  double scale = 1.0;
  if (g.scaleByExpiry != 0) scale = sqrt(30.0 / fmax(row.timeNow * kDaysPerYear, 1.0));
  const double shift = g.volShift * scale;
  const double iv = g.relative != 0 ? row.iv * (1.0 + shift) : row.iv + shift;
  return fmax(iv, 0.01 * row.iv);
}

// P&L per unit of one row at one grid point, revalued now (no time passes): 0 unless the point
// moves the row's underlying.
XM_HD double gridRowPnl(const PnlRow& row, const GridPoint& g) {
  if (row.priceFactor < 0 || row.priceFactor != g.priceFactor) return 0.0;
  const double s = row.spot * (1.0 + g.move);
  double pnl = 0.0;
  switch (row.kind) {
    case RowKind::Spot:
      pnl = s - row.spot;
      break;
    case RowKind::Future:
      pnl = (s - row.spot) * row.carryNow;
      break;
    case RowKind::Option:
      pnl = blackScholes(row.call, s, row.strike, row.timeNow, gridImpliedVol(row, g), row.rate) -
            row.valueNow;
      break;
  }
  return g.weight * pnl;
}

// The worst (largest) of loss[b0..b1) and its point, the lowest point among equals.
XM_HD void gridBlockWorst(const double* loss, int b0, int b1, double* worst, int32_t* point) {
  double w = loss[b0];
  int32_t at = b0;
  for (int g = b0 + 1; g < b1; ++g) {
    if (loss[g] > w) {
      w = loss[g];
      at = g;
    }
  }
  *worst = w;
  *point = at;
}

// A problem's grid: its points, in blocks of one underlying each.
struct StressGrid {
  std::vector<GridPoint> points;
  std::vector<int> blockBegin;  // blocks + 1 offsets into points
  std::vector<int> blockAsset;  // per block: the underlying asset
  std::vector<int> rowBlock;    // per P&L row: the block that moves it, -1 for none
  std::vector<int> assetBlock;  // per asset: its block, -1 for none

  int blocks() const { return static_cast<int>(blockAsset.size()); }
  int64_t size() const { return static_cast<int64_t>(points.size()); }
};

// The grid of every underlying some row moves, in asset order, from `params` (per asset).
// priceFactorOf: per asset, its price factor or -1.
StressGrid buildStressGrid(const std::vector<GridParams>& params,
                           const std::vector<int>& priceFactorOf, const std::vector<PnlRow>& rows);

// rows × points, row-major: gridRowPnl of every row at every point. Returns the first row with an
// implausible value (Reduction.h), or -1.
int buildGridCube(const std::vector<PnlRow>& rows, const StressGrid& grid,
                  std::vector<double>& out);

}  // namespace xm
