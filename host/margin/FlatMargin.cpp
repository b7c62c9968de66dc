#include "host/margin/FlatMargin.h"

#include <cmath>
#include <limits>

#include "host/engine/Instruments.h"

namespace xm {

const FlatTier& flatTier(const std::vector<FlatTier>& tiers, double notional) {
  for (const FlatTier& t : tiers)
    if (notional <= t.notionalUpTo) return t;
  return tiers.back();
}

namespace {

// One position's flat initial and maintenance margin with its underlying at `s`.
MethodMargin positionMargin(const MarginConfig& config, const Market& market, const Instrument& ins,
                            int index, const Position& pos, double s) {
  const double size = std::abs(positionSize(ins, pos));
  if (ins.type == InstrumentType::Spot || size == 0.0) return {};
  const std::vector<FlatTier>& tiers = config.flat[index];
  const double years = yearsToExpiry(ins, market);
  if (ins.type == InstrumentType::Option) {
    if (pos.qty > 0) return {};
    const double premium = size * unitValueAt(ins, s, ins.iv, market.rate, years);
    const double underlying = size * s;
    const FlatTier& t = flatTier(tiers, underlying);
    return {premium + t.imf * underlying, premium + t.mmf * underlying};
  }
  const double notional =
      traitsOf(ins.type).inverse ? size : size * unitValueAt(ins, s, ins.iv, market.rate, years);
  const FlatTier& t = flatTier(tiers, notional);
  return {t.imf * notional, t.mmf * notional};
}

// What positions and collateral on asset `u` add to equity and maintenance margin at spot `s`.
struct OnAsset {
  double equity = 0.0, mm = 0.0;
};
OnAsset onAsset(const MarginRequest& request, const Market& market, const Account& account, int u,
                double s) {
  OnAsset out;
  for (const Position& pos : account.positions) {
    const Instrument& ins = request.instruments[pos.instrument];
    if (ins.underlying != u) continue;
    const double unit = unitValueAt(ins, s, ins.iv, market.rate, yearsToExpiry(ins, market));
    out.equity += positionValue(ins, pos, unit).equity;
    out.mm += positionMargin(request.config, market, ins, pos.instrument, pos, s).mm;
  }
  for (const Collateral& c : account.collateral)
    if (c.asset == u) out.equity += c.amount * s;
  return out;
}

// The nearest mark to `s0` (either side) at which equity - mm crosses zero, by scanning outward
// on a geometric grid and bisecting the first bracket; NaN when none within (s0/1000, 1000 s0].
double liquidationPrice(const MarginRequest& request, const Market& market, const Account& account,
                        int u, double s0, double restEquity, double restMm) {
  auto gap = [&](double s) {
    const OnAsset o = onAsset(request, market, account, u, s);
    return restEquity + o.equity - restMm - o.mm;
  };
  const double now = gap(s0);
  if (!(now > 0.0)) return s0;  // already at or below maintenance: liquidatable at this mark
  double best = std::numeric_limits<double>::quiet_NaN();
  for (const double direction : {-1.0, 1.0}) {
    double lo = s0, glo = now;
    for (int step = 1; step <= 139; ++step) {
      const double hi = s0 * std::exp(direction * 0.05 * step);  // ~5% steps, to ~1,000x
      const double ghi = gap(hi);
      if (ghi <= 0.0) {
        double a = lo, b = hi;  // gap(a) > 0 >= gap(b)
        for (int i = 0; i < 200 && std::abs(b - a) > 1e-12 * std::abs(a); ++i) {
          const double m = 0.5 * (a + b);
          (gap(m) > 0.0 ? a : b) = m;
        }
        const double root = 0.5 * (a + b);
        if (std::isnan(best) || std::abs(root - s0) < std::abs(best - s0)) best = root;
        break;
      }
      lo = hi;
      glo = ghi;
    }
    (void)glo;
  }
  return best;
}

}  // namespace

FlatAccount flatMargin(const MarginRequest& request, const Market& market, const Account& account,
                       double equity) {
  FlatAccount out;
  out.liquidationPrice.assign(account.positions.size(), std::numeric_limits<double>::quiet_NaN());
  for (const Position& pos : account.positions) {
    const Instrument& ins = request.instruments[pos.instrument];
    const MethodMargin m = positionMargin(request.config, market, ins, pos.instrument, pos,
                                          market.assets[ins.underlying].price);
    out.margin.im += m.im;
    out.margin.mm += m.mm;
  }
  // One price per underlying: every position on it shares it.
  std::vector<std::pair<int, double>> done;
  for (size_t i = 0; i < account.positions.size(); ++i) {
    const int u = request.instruments[account.positions[i].instrument].underlying;
    double price = std::numeric_limits<double>::quiet_NaN();
    bool found = false;
    for (const auto& [asset, p] : done) {
      if (asset == u) {
        price = p;
        found = true;
      }
    }
    if (!found) {
      const double s0 = market.assets[u].price;
      const OnAsset here = onAsset(request, market, account, u, s0);
      price = liquidationPrice(request, market, account, u, s0, equity - here.equity,
                               out.margin.mm - here.mm);
      done.emplace_back(u, price);
    }
    out.liquidationPrice[i] = price;
  }
  return out;
}

}  // namespace xm
