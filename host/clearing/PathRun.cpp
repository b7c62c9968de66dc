#include "host/clearing/PathRun.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace xm::clearing {

void compileBook(const MarginRequest& r, MarkingBook& book) {
  book.accounts = static_cast<int>(r.accounts.size());
  book.instruments = static_cast<int>(r.instruments.size());
  book.assets = static_cast<int>(r.market.assets.size());
  book.rate = r.market.rate;
  for (const Instrument& ins : r.instruments) {
    MarkingInstrument k;
    k.kind = traitsOf(ins.type).option ? 2 : ins.type == InstrumentType::Future ? 1 : 0;
    k.underlying = ins.underlying;
    k.call = ins.right == OptionRight::Call;
    k.strike = ins.strike;
    k.iv = ins.iv;
    k.years = yearsToExpiry(ins, r.market);
    book.instrument.push_back(k);
  }
  book.legBegin.push_back(0);
  book.collBegin.push_back(0);
  for (const Account& acct : r.accounts) {
    for (const Position& pos : acct.positions) {
      const Instrument& ins = r.instruments[pos.instrument];
      Position one = pos;
      one.qty = 1.0;
      const double a = positionValue(ins, one, 0.0).equity;
      const double b = positionValue(ins, one, 1.0).equity - a;
      book.legInstrument.push_back(pos.instrument);
      book.legQty.push_back(pos.qty);
      book.bPerQty.push_back(b);
      book.aPerQty.push_back(a);
    }
    for (const Collateral& c : acct.collateral) {
      book.collAsset.push_back(c.asset);
      book.collAmount.push_back(c.amount);
    }
    book.legBegin.push_back(static_cast<int64_t>(book.legInstrument.size()));
    book.collBegin.push_back(static_cast<int64_t>(book.collAsset.size()));
  }
}

double positionMarkValue(const Instrument& ins, const Position& pos, double unit) {
  return positionValue(ins, pos, unit).equity;
}

// Step t's market: the path's move, the decaying impact, circuit breakers; copied to `prices`,
// `ivMult` and `elapsed` for the marker. With `revalue` (the marker works on the host) every
// instrument's unit value is found here; otherwise the marker's come to settle().
void PathRun::advance(int t, bool revalue, double* prices, double* ivMult, double* elapsed) {
  const MarginRequest& r = s_.request;
  const ClearingConfig& c = s_.config;
  const size_t nA = r.market.assets.size();
  for (size_t a = 0; a < nA; ++a) {
    base_[a] *= std::exp(m_.logPrice[(t - 1) * nA + a]);
    st_.ivMult[a] *= std::exp(m_.logIv[(t - 1) * nA + a]);
    st_.impact[a] *= c.impactDecay;
    st_.price[a] = base_[a] * std::max(0.01, 1.0 + st_.impact[a]);
  }
  st_.marketHistory.push_back(st_.price);
  if (breaker_) {
    const int ref = std::max(0, t - c.breakerWindowSteps);
    for (size_t a = 0; a < nA; ++a) {
      const double p0 = st_.marketHistory[ref][a];
      if (p0 > 0 && std::abs(st_.price[a] / p0 - 1.0) > c.breakerMove && t >= st_.haltUntil[a]) {
        st_.haltUntil[a] = t + c.breakerHaltSteps;
        ++out_.breakerFirings;
      }
    }
  }
  if (revalue) {
    for (size_t k = 0; k < units_.size(); ++k) {
      units_[k] = unit(static_cast<int>(k), t, st_.price[r.instruments[k].underlying]);
    }
  }
  std::copy(st_.price.begin(), st_.price.end(), prices);
  std::copy(st_.ivMult.begin(), st_.ivMult.end(), ivMult);
  *elapsed = years(t);
}

// Step t given every account's marked book equity (the marker's, at the positions of t0):
// equity is that plus the account's cash, or marked here (an account ADL has changed, or every
// account when `bookEquity` is null: the CPU marker's work, done in place);
// those below maintenance margin (and not held by a halt) are liquidated.
void PathRun::settle(int t, const double* bookEquity, const double* units) {
  const MarginRequest& r = s_.request;
  if (units) std::copy(units, units + units_.size(), units_.begin());
  std::vector<size_t> liquidated;
  for (size_t i = 0; i < r.accounts.size(); ++i) {
    if (!st_.alive[i]) continue;
    st_.equity[i] = st_.modified[i] || !bookEquity ? markAccount(i) : bookEquity[i] + st_.cash[i];
    st_.worstLoss[i] = std::max(st_.worstLoss[i], s_.equity0[i] - st_.equity[i]);
    if (!(st_.equity[i] < s_.mm[i])) continue;
    bool halted = false;
    for (const Position& p : r.accounts[i].positions) {
      halted = halted || t < st_.haltUntil[r.instruments[p.instrument].underlying];
    }
    if (halted && t < m_.steps) continue;  // the first price after the halt (or the path's end)
    liquidated.push_back(i);
  }
  if (!liquidated.empty()) liquidate(t, liquidated, units_);
  out_.fundMin = std::min(out_.fundMin, st_.fund);
}

PathOutcome PathRun::finish() {
  const size_t nAcc = s_.request.accounts.size();
  out_.fundEnd = st_.fund;
  for (size_t i = 0; i < nAcc; ++i) {
    out_.uncollateralised[i] = std::max(0.0, st_.worstLoss[i] - s_.im[i]);
  }
  std::vector<double> u = out_.uncollateralised;
  std::sort(u.begin(), u.end(), std::greater<double>());
  out_.cover1 = u.empty() ? 0.0 : u[0];
  out_.cover2 = out_.cover1 + (u.size() > 1 ? u[1] : 0.0);
  return std::move(out_);
}

// The value of one unit of instrument k at step t with its underlying at `s` (the marker's
// function: Marking.h).
double PathRun::unit(int k, int t, double s) const {
  const MarkingInstrument& ins = s_.book.instrument[k];
  return markingUnitValue(ins, s_.book.rate, s, st_.ivMult[ins.underlying], years(t));
}

double& PathRun::qty(size_t account, size_t position) {
  return st_.qty[s_.book.legBegin[account] + position];
}

// An account marked here: the marker's sum at its current positions (the book's, shared by
// every path, unless ADL has changed them on this one), plus cash.
double PathRun::markAccount(size_t i) const {
  MarkingView v = book_;
  if (st_.modified[i]) v.legQty = st_.qty.data();
  return markedEquity(v, static_cast<int64_t>(i), units_.data(), st_.price.data()) + st_.cash[i];
}

// Account i closed out at step t: every position at the step's price moved against it by the
// impact, the fee and (BitMEX) the surplus to the fund, the deficit, the bankruptcy prices where
// reported or needed by ADL.
Liquidation PathRun::closeOut(int t, size_t i, const std::vector<double>& deltas,
                              const std::vector<double>& impact, const std::vector<double>& ivs,
                              const std::vector<double>& units) {
  const MarginRequest& r = s_.request;
  const ClearingConfig& c = s_.config;
  Liquidation l;
  l.account = static_cast<int64_t>(i);
  l.step = t;
  l.equityBefore = st_.equity[i];
  const Account& acct = r.accounts[i];
  double equity = st_.cash[i];
  for (const Collateral& col : acct.collateral) equity += col.amount * st_.price[col.asset];
  Account now = acct;  // its positions as they stand (ADL may have reduced some)
  for (size_t p = 0; p < now.positions.size(); ++p) now.positions[p].qty = qty(i, p);
  for (size_t p = 0; p < acct.positions.size(); ++p) {
    const Position& pos = now.positions[p];
    const Instrument& ins = r.instruments[pos.instrument];
    const int a = ins.underlying;
    // Closed at the price moved against it by the step's impact.
    const double against = deltas[p] > 0 ? -impact[a] : deltas[p] < 0 ? impact[a] : 0.0;
    const double s = st_.price[a] * (1.0 + against);
    l.closePrice.push_back(s);
    l.closedQty.push_back(pos.qty);
    const double closed = positionMarkValue(ins, pos, unit(pos.instrument, t, s));
    const double marked = positionMarkValue(ins, pos, units[pos.instrument]);
    l.impactCost += marked - closed;
    equity += closed;
    const Exposure e = unitExposureAt(ins, s, ivs[pos.instrument], r.market.rate,
                                      yearsToExpiry(ins, r.market) - years(t));
    l.notional += std::abs(positionSize(ins, pos)) * e.gross;
    qty(i, p) = 0.0;
  }
  st_.worstLoss[i] = std::max(st_.worstLoss[i], s_.equity0[i] - equity);
  l.fee = std::min(c.feeRate * l.notional, std::max(0.0, equity));
  equity -= l.fee;
  st_.fund += l.fee;
  out_.fundIncome += l.fee;
  if (equity > 0.0 && c.surplus == LiquidationSurplus::Fund) {
    l.surplusToFund = equity;
    st_.fund += equity;
    out_.fundIncome += equity;
    equity = 0.0;
  }
  l.deficit = std::max(0.0, -equity);
  l.bankruptcyPrice.assign(now.positions.size(), std::numeric_limits<double>::quiet_NaN());
  if (detail_ || (l.deficit > 0.0 && c.lossAllocation == LossAllocation::Adl)) {
    for (size_t p = 0; p < now.positions.size(); ++p) {
      const int a = r.instruments[now.positions[p].instrument].underlying;
      l.bankruptcyPrice[p] = bankruptcyPrice(r, now, st_.cash[i], st_.price, ivs, years(t), a);
    }
  }
  return l;
}

// The step's deficits through the waterfall: the fund pro rata, then ADL, socialized loss or
// uncovered, bankrupt account by bankrupt account in the canonical order.
void PathRun::allocate(int t, const std::vector<size_t>& accounts, std::vector<double>& shortfall,
                       double deficits, const std::vector<Liquidation>& done,
                       const std::vector<double>& units) {
  const ClearingConfig& c = s_.config;
  // The fund pays every deficit of the step pro rata, as far as it goes.
  const double pay = std::min(deficits, std::max(0.0, st_.fund));
  st_.fund -= pay;
  out_.fundDraw += pay;
  out_.deficits += deficits;
  for (double& s : shortfall) s -= s * (pay / deficits);
  for (size_t j = 0; j < accounts.size(); ++j) {
    if (shortfall[j] <= 0.0) continue;
    double left = shortfall[j];
    if (c.lossAllocation == LossAllocation::Adl)
      left = deleverage(t, accounts[j], done[j], left, units);
    if (left > 0.0 && c.lossAllocation == LossAllocation::Socialized) left = socialize(left);
    out_.uncovered += left;
  }
}

void PathRun::liquidate(int t, std::vector<size_t>& accounts, const std::vector<double>& units) {
  const MarginRequest& r = s_.request;
  const ClearingConfig& c = s_.config;
  const size_t nA = r.market.assets.size();
  // A canonical order (by id, then index), so figures do not depend on the request's order.
  std::sort(accounts.begin(), accounts.end(), [&](size_t a, size_t b) {
    return s_.ids[a] != s_.ids[b] ? s_.ids[a] < s_.ids[b] : a < b;
  });
  // The net base-currency delta liquidated per asset, across every account of the step.
  std::vector<double> net(nA, 0.0);
  std::vector<std::vector<double>> deltas(accounts.size());
  for (size_t j = 0; j < accounts.size(); ++j) {
    const Account& acct = r.accounts[accounts[j]];
    for (size_t p = 0; p < acct.positions.size(); ++p) {
      Position pos = acct.positions[p];
      pos.qty = qty(accounts[j], p);
      const Instrument& ins = r.instruments[pos.instrument];
      const Exposure e =
          unitExposureAt(ins, st_.price[ins.underlying], ins.iv * st_.ivMult[ins.underlying],
                         r.market.rate, yearsToExpiry(ins, r.market) - years(t));
      const double d = pos.qty == 0.0 ? 0.0 : deltaExposure(ins, pos, e);
      deltas[j].push_back(d);
      net[ins.underlying] += d;
    }
  }
  std::vector<double> impact(nA, 0.0);  // fraction, >= 0
  for (size_t a = 0; a < nA; ++a) {
    if (net[a] == 0.0 || c.impactCoefficient <= 0.0 || !(s_.adv[a] > 0.0)) continue;
    const double stepVol = s_.vol[a] * std::sqrt(m_.stepYears);
    impact[a] =
        std::min(0.99, c.impactCoefficient * stepVol * std::sqrt(std::abs(net[a]) / s_.adv[a]));
  }
  std::vector<double> ivs(r.instruments.size());  // each instrument's implied vol at the step
  for (size_t k = 0; k < ivs.size(); ++k)
    ivs[k] = r.instruments[k].iv * st_.ivMult[r.instruments[k].underlying];
  std::vector<double> shortfall(accounts.size(), 0.0);
  double deficits = 0.0;
  std::vector<Liquidation> done;
  for (size_t j = 0; j < accounts.size(); ++j) {
    const size_t i = accounts[j];
    const Liquidation l = closeOut(t, i, deltas[j], impact, ivs, units);
    st_.alive[i] = 0;  // closed out: no longer marked on this path
    out_.deficit[i] += l.deficit;
    deficits += l.deficit;
    shortfall[j] = l.deficit;
    out_.liquidations.push_back(l);
    done.push_back(l);
  }
  for (size_t a = 0; a < nA; ++a) {
    if (impact[a] > 0.0) st_.impact[a] += net[a] > 0 ? -impact[a] : impact[a];
  }
  if (deficits > 0.0) allocate(t, accounts, shortfall, deficits, done, units);
}

// Closes opposing positions in the bankrupt account's instruments at its bankruptcy prices,
// highest ADL score first, until `left` is covered; returns what remains.
double PathRun::deleverage(int t, size_t bankrupt, const Liquidation& l, double left,
                           const std::vector<double>& units) {
  const MarginRequest& r = s_.request;
  const Account& acct = r.accounts[bankrupt];
  for (size_t p = 0; p < acct.positions.size() && left > 0.0; ++p) {
    Position bp = acct.positions[p];
    bp.qty = l.closedQty[p];
    const double b = l.bankruptcyPrice[p];
    if (!std::isfinite(b) || bp.qty == 0.0) continue;
    const Instrument& ins = r.instruments[bp.instrument];
    Position one = bp;
    one.qty = bp.qty > 0 ? 1.0 : -1.0;
    // Per contract: what closing at the bankruptcy price instead of the fill gives back.
    const double gap = positionMarkValue(ins, one, unit(bp.instrument, t, b)) -
                       positionMarkValue(ins, one, unit(bp.instrument, t, l.closePrice[p]));
    if (!(gap > 0.0)) continue;
    const double need = std::min(std::abs(bp.qty), left / gap);
    std::vector<AdlCandidate> cands;
    std::vector<std::pair<int, int>> who;
    for (const auto& [k, q] : s_.holders[bp.instrument]) {
      const double qk = qty(k, q);
      if (!st_.alive[k] || qk == 0.0 || (qk > 0) == (bp.qty > 0)) continue;
      Position pos = r.accounts[k].positions[q];
      pos.qty = qk;
      const double pnl = positionMarkValue(ins, pos, units[bp.instrument]);
      const double entryValue =
          std::abs(positionSize(ins, pos)) *
          (traitsOf(ins.type).inverse ? 1.0 : std::max(pos.entryPrice, 1e-12));
      const double markValue = std::abs(positionSize(ins, pos)) *
                               (traitsOf(ins.type).inverse ? 1.0 : units[bp.instrument]);
      const double leverage = markValue / std::max(st_.equity[k], 1e-9);
      cands.push_back(
          {adlScore(pnl / entryValue, st_.equity[k] > 0 ? leverage : 1e12), std::abs(qk)});
      who.emplace_back(k, q);
    }
    const std::vector<double> fills = adlFills(cands, need);
    for (size_t n = 0; n < fills.size(); ++n) {
      if (fills[n] <= 0.0) continue;
      const auto [k, q] = who[n];
      const double sign = qty(k, q) > 0 ? 1.0 : -1.0;
      Position closed = r.accounts[k].positions[q];
      closed.qty = sign * fills[n];
      // The counterparty banks its closed contracts at the mark, less the gap it gives up.
      const double loss = fills[n] * gap;
      st_.cash[k] += positionMarkValue(ins, closed, units[bp.instrument]) - loss;
      qty(k, q) -= sign * fills[n];
      st_.modified[k] = 1;
      out_.deleveragedQty[k] += fills[n];
      out_.adlLoss[k] += loss;
      out_.adl += loss;
      left -= loss;
    }
  }
  return std::max(0.0, left);
}

// Deribit: charged to accounts with a profit over the path so far, pro rata, capped by it.
double PathRun::socialize(double left) {
  std::vector<double> profit(s_.request.accounts.size(), 0.0);
  for (size_t i = 0; i < profit.size(); ++i) {
    if (st_.alive[i]) profit[i] = st_.equity[i] - s_.equity0[i];
  }
  const std::vector<double> charge = socializeLoss(profit, left);
  double charged = 0.0;
  for (size_t i = 0; i < charge.size(); ++i) {
    if (charge[i] <= 0.0) continue;
    st_.cash[i] -= charge[i];
    out_.socializedCharge[i] += charge[i];
    charged += charge[i];
  }
  out_.socialized += charged;
  return std::max(0.0, left - charged);
}

}  // namespace xm::clearing
