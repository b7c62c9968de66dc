#include "host/engine/StressGrid.h"

#include "host/engine/Reduction.h"
#include "host/model/Errors.h"

namespace xm {

StressGrid buildStressGrid(const std::vector<GridParams>& params,
                           const std::vector<int>& priceFactorOf, const std::vector<PnlRow>& rows) {
  XM_ASSERT(params.size() == priceFactorOf.size(), "grid parameters per asset");
  StressGrid grid;
  grid.blockBegin.push_back(0);
  grid.assetBlock.assign(params.size(), -1);
  std::vector<int> blockOfFactor;
  for (size_t a = 0; a < params.size(); ++a) {
    const int factor = priceFactorOf[a];
    if (factor < 0) continue;
    bool moved = false;
    for (const PnlRow& r : rows) moved = moved || r.priceFactor == factor;
    if (!moved) continue;
    const GridParams& p = params[a];
    GridPoint g;
    g.priceFactor = factor;
    g.relative = p.volMode == VolShiftMode::Relative;
    g.scaleByExpiry = p.scaleByExpiry;
    for (int j = 0; j < p.points; ++j) {
      g.move = p.range * (2.0 * j / (p.points - 1) - 1.0);
      for (GridVol v : {GridVol::Up, GridVol::Unchanged, GridVol::Down}) {
        g.vol = static_cast<int>(v);
        g.volShift = v == GridVol::Up ? p.volUp : v == GridVol::Down ? -p.volDown : 0.0;
        grid.points.push_back(g);
      }
    }
    if (p.extremeMultiple > 0.0) {
      g.vol = static_cast<int>(GridVol::Unchanged);
      g.volShift = 0.0;
      g.weight = p.extremeFraction;
      for (double sign : {-1.0, 1.0}) {
        g.move = sign * p.extremeMultiple * p.range;
        grid.points.push_back(g);
      }
    }
    if (static_cast<int>(blockOfFactor.size()) <= factor) blockOfFactor.resize(factor + 1, -1);
    blockOfFactor[factor] = grid.blocks();
    grid.assetBlock[a] = grid.blocks();
    grid.blockAsset.push_back(static_cast<int>(a));
    grid.blockBegin.push_back(static_cast<int>(grid.points.size()));
  }
  grid.rowBlock.reserve(rows.size());
  for (const PnlRow& r : rows) {
    const bool has = r.priceFactor >= 0 && r.priceFactor < static_cast<int>(blockOfFactor.size());
    grid.rowBlock.push_back(has ? blockOfFactor[r.priceFactor] : -1);
  }
  return grid;
}

int buildGridCube(const std::vector<PnlRow>& rows, const StressGrid& grid,
                  std::vector<double>& out) {
  const int64_t n = grid.size();
  out.assign(rows.size() * static_cast<size_t>(n), 0.0);
  for (size_t r = 0; r < rows.size(); ++r) {
    const int b = grid.rowBlock[r];
    if (b < 0) continue;  // moved by no point: zero throughout
    double* dst = out.data() + r * n;
    for (int g = grid.blockBegin[b]; g < grid.blockBegin[b + 1]; ++g) {
      dst[g] = gridRowPnl(rows[r], grid.points[g]);
      if (!plausibleUnitPnl(dst[g])) return static_cast<int>(r);
    }
  }
  return -1;
}

}  // namespace xm
