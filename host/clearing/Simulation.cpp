// The clearing simulation (Clearing.h): paths of moves, each run step by step — mark, circuit
// breakers, liquidation with cascading impact, the waterfall — then the figures over paths.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "host/base/Parallel.h"
#include "host/clearing/Clearing.h"
#include "host/engine/Instruments.h"
#include "host/engine/MarketFactors.h"
#include "host/engine/Marking.h"
#include "host/engine/RiskProblem.h"
#include "host/margin/BackendRegistry.h"
#include "host/margin/MarginEngine.h"
#include "host/market/MarketAdjusters.h"
#include "host/model/Errors.h"
#include "host/model/Time.h"
#include "scenarios/ScenarioGenerator.h"

namespace xm {
namespace {

// One path's moves: per step and asset, the log price change and the log implied-vol change.
struct PathMoves {
  int steps = 0;
  double stepYears = 0.0;
  std::vector<double> logPrice, logIv;  // steps × assets
};

// What every path shares.
struct Setup {
  Setup(const MarginRequest& r, const ClearingConfig& c) : request(r), config(c) {}
  const MarginRequest& request;
  const ClearingConfig& config;
  std::vector<double> mm, im, equity0;
  std::vector<double> adv;  // per asset, < 0 unknown
  std::vector<double> vol;  // per asset, annualised (the model market's)
  std::vector<std::vector<std::pair<int, int>>> holders;  // per instrument: (account, position)
  std::vector<std::string> ids;                           // account ids, for the canonical order
  MarkingBook book;  // every position as a leg, collateral: what the marker marks
};

// The book the marker marks: each position as qty · (b · unit + a), positionValue's equity read
// off as a line in the unit value, and the collateral.
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

struct PathState {
  std::vector<double> price, ivMult, impact;       // per asset
  std::vector<int> haltUntil;                      // per asset: halted while step < haltUntil
  std::vector<std::vector<double>> marketHistory;  // per step: market prices (breaker window)
  std::vector<char> alive;
  std::vector<double> cash;
  std::vector<double> qty;     // per leg (the book's CSR)
  std::vector<char> modified;  // per account: ADL changed its positions
  std::vector<double> equity, worstLoss;
  double fund = 0.0;
};

class PathRun {
 public:
  // `detail`: report every liquidation's bankruptcy prices (named paths); otherwise they are found
  // only where the waterfall needs them (a deficit under ADL).
  PathRun(const Setup& s, const PathMoves& m, bool breaker, bool detail)
      : s_(s), m_(m), breaker_(breaker), detail_(detail), book_(viewOf(s.book)) {}

  void begin() {
    const MarginRequest& r = s_.request;
    const size_t nA = r.market.assets.size(), nAcc = r.accounts.size();
    st_.price.resize(nA);
    for (size_t a = 0; a < nA; ++a) st_.price[a] = r.market.assets[a].price;
    base_ = st_.price;
    st_.ivMult.assign(nA, 1.0);
    st_.impact.assign(nA, 0.0);
    st_.haltUntil.assign(nA, 0);
    st_.marketHistory.push_back(st_.price);
    st_.alive.assign(nAcc, 1);
    st_.cash.assign(nAcc, 0.0);
    st_.qty = s_.book.legQty;
    st_.modified.assign(nAcc, 0);
    st_.equity = s_.equity0;
    st_.worstLoss.assign(nAcc, 0.0);
    st_.fund = s_.config.insuranceFund;
    units_.resize(r.instruments.size());
    out_.deficit.assign(nAcc, 0.0);
    out_.deleveragedQty.assign(nAcc, 0.0);
    out_.adlLoss.assign(nAcc, 0.0);
    out_.socializedCharge.assign(nAcc, 0.0);
    out_.uncollateralised.assign(nAcc, 0.0);
    out_.fundMin = st_.fund;
  }

  int steps() const { return m_.steps; }

  // Step t's market: the path's move, the decaying impact, circuit breakers; copied to `prices`,
  // `ivMult` and `elapsed` for the marker. With `revalue` (the marker works on the host) every
  // instrument's unit value is found here; otherwise the marker's come to settle().
  void advance(int t, bool revalue, double* prices, double* ivMult, double* elapsed) {
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
  void settle(int t, const double* bookEquity, const double* units) {
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

  PathOutcome finish() {
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

 private:
  double years(int t) const { return t * m_.stepYears; }

  // The value of one unit of instrument k at step t with its underlying at `s` (the marker's
  // function: Marking.h).
  double unit(int k, int t, double s) const {
    const MarkingInstrument& ins = s_.book.instrument[k];
    return markingUnitValue(ins, s_.book.rate, s, st_.ivMult[ins.underlying], years(t));
  }

  double& qty(size_t account, size_t position) {
    return st_.qty[s_.book.legBegin[account] + position];
  }

  // An account marked here: the marker's sum at its current positions (the book's, shared by
  // every path, unless ADL has changed them on this one), plus cash.
  double markAccount(size_t i) const {
    MarkingView v = book_;
    if (st_.modified[i]) v.legQty = st_.qty.data();
    return markedEquity(v, static_cast<int64_t>(i), units_.data(), st_.price.data()) + st_.cash[i];
  }

  void liquidate(int t, std::vector<size_t>& accounts, const std::vector<double>& units) {
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
    std::vector<double> shortfall(accounts.size(), 0.0);
    double deficits = 0.0;
    std::vector<Liquidation> done;
    for (size_t j = 0; j < accounts.size(); ++j) {
      const size_t i = accounts[j];
      const Account& acct = r.accounts[i];
      Liquidation l;
      l.account = static_cast<int64_t>(i);
      l.step = t;
      l.equityBefore = st_.equity[i];
      std::vector<double> ivs(r.instruments.size());
      for (size_t k = 0; k < ivs.size(); ++k)
        ivs[k] = r.instruments[k].iv * st_.ivMult[r.instruments[k].underlying];
      double equity = st_.cash[i];
      for (const Collateral& col : acct.collateral) equity += col.amount * st_.price[col.asset];
      Account now = acct;  // its positions as they stand (ADL may have reduced some)
      for (size_t p = 0; p < now.positions.size(); ++p) now.positions[p].qty = qty(i, p);
      for (size_t p = 0; p < acct.positions.size(); ++p) {
        const Position& pos = now.positions[p];
        const Instrument& ins = r.instruments[pos.instrument];
        const int a = ins.underlying;
        // Closed at the price moved against it by the step's impact.
        const double against = deltas[j][p] > 0 ? -impact[a] : deltas[j][p] < 0 ? impact[a] : 0.0;
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
    if (deficits <= 0.0) return;
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

  // Closes opposing positions in the bankrupt account's instruments at its bankruptcy prices,
  // highest ADL score first, until `left` is covered; returns what remains.
  double deleverage(int t, size_t bankrupt, const Liquidation& l, double left,
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
  double socialize(double left) {
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

  const Setup& s_;
  const PathMoves& m_;
  bool breaker_;
  bool detail_;
  MarkingView book_;
  PathState st_;
  std::vector<double> base_, units_;
  PathOutcome out_;
};

// Mean, median, and the 99% quantile and ES of the bad tail: the high values, or (lowIsBad, the
// fund's end balance) the low ones.
Distribution distribution(std::vector<double> x, bool lowIsBad = false) {
  Distribution d;
  if (x.empty()) return d;
  std::sort(x.begin(), x.end());
  if (lowIsBad) std::reverse(x.begin(), x.end());
  const size_t n = x.size();
  d.mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(n);
  d.median = n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);  // symmetric under reversal
  const size_t k =
      std::max<size_t>(1, static_cast<size_t>(std::ceil(0.01 * static_cast<double>(n))));
  d.q99 = x[n - k];
  d.es99 = std::accumulate(x.end() - static_cast<std::ptrdiff_t>(k), x.end(), 0.0) /
           static_cast<double>(k);
  return d;
}

// The figures over Monte Carlo paths, added in path order (so they do not depend on threads).
class SummaryBuilder {
 public:
  SummaryBuilder(int64_t paths, double fund0, size_t accounts)
      : n_(static_cast<double>(paths)), fund0_(fund0) {
    s_.paths = paths;
    s_.probLiquidated.assign(accounts, 0.0);
    s_.expectedDeficit.assign(accounts, 0.0);
    s_.probDeleveraged.assign(accounts, 0.0);
    s_.expectedSocialized.assign(accounts, 0.0);
  }

  void add(const PathOutcome& o) {
    const double n = n_;
    end_.push_back(o.fundEnd);
    drawdown_.push_back(fund0_ - o.fundMin);
    count_.push_back(static_cast<double>(o.liquidations.size()));
    double nl = 0.0, ic = 0.0;
    for (const Liquidation& l : o.liquidations) {
      nl += l.notional;
      ic += l.impactCost;
      s_.probLiquidated[l.account] += 1.0 / n;
    }
    notional_.push_back(nl);
    impact_.push_back(ic);
    s_.probExhausted += (o.fundMin <= 0.0 && o.deficits > o.fundDraw) / n;
    s_.probAdl += (o.adl > 0.0) / n;
    s_.meanAdl += o.adl / n;
    s_.probSocialized += (o.socialized > 0.0) / n;
    s_.meanSocialized += o.socialized / n;
    s_.probUncovered += (o.uncovered > 0.0) / n;
    s_.meanUncovered += o.uncovered / n;
    s_.meanBreakerFirings += o.breakerFirings / n;
    if (o.cover2 > s_.worstCover2 || s_.worstCover2Path < 0) {
      s_.worstCover2 = o.cover2;
      s_.worstCover2Path = added_;
    }
    for (size_t i = 0; i < s_.expectedDeficit.size(); ++i) {
      if (o.deficit[i] != 0.0) s_.expectedDeficit[i] += o.deficit[i] / n;
      if (o.deleveragedQty[i] > 0.0) s_.probDeleveraged[i] += 1.0 / n;
      if (o.socializedCharge[i] != 0.0) s_.expectedSocialized[i] += o.socializedCharge[i] / n;
    }
    ++added_;
  }

  ClearingSummary finish() {
    s_.fundEnd = distribution(end_, true);
    s_.fundDrawdown = distribution(drawdown_);
    s_.liquidations = distribution(count_);
    s_.liquidatedNotional = distribution(notional_);
    s_.impactCost = distribution(impact_);
    return std::move(s_);
  }

 private:
  double n_, fund0_;
  int64_t added_ = 0;
  ClearingSummary s_;
  std::vector<double> end_, drawdown_, count_, notional_, impact_;
};

// Monte Carlo moves: step shocks from the margin model's factors (draws a pure function of seed,
// path · steps + step and factor), each asset's log price moving by σ√h z - σ²h/2 and its
// implied vol by ν√h z_v - ν²h/2.
class MonteCarloPaths {
 public:
  MonteCarloPaths(const MarginRequest& request, const Market& market, const ClearingConfig& c)
      : market_(market),
        c_(c),
        problem_(compileProblem(request, market)),
        gen_(problem_.factors, problem_.shocks) {}

  // Path p's moves (a pure function of the seed and p): generated when its chunk runs, so
  // memory holds a chunk's moves, never every path's.
  PathMoves path(int64_t p) const {
    const ClearingConfig& c = c_;
    const Market& market = market_;
    const double h = c.stepHours / 24.0 / kDaysPerYear;
    const size_t nA = market.assets.size();
    PathMoves m;
    ShockMatrix z;
    gen_.generate(p * c.steps, c.steps, z);
    m.steps = c.steps;
    m.stepYears = h;
    m.logPrice.assign(static_cast<size_t>(c.steps) * nA, 0.0);
    m.logIv.assign(static_cast<size_t>(c.steps) * nA, 0.0);
    for (int t = 0; t < c.steps; ++t) {
      for (size_t a = 0; a < nA; ++a) {
        const Asset& asset = market.assets[a];
        const int pf = problem_.factors.priceFactorOf[a], vf = problem_.factors.volFactorOf[a];
        if (pf >= 0) {
          m.logPrice[t * nA + a] =
              asset.vol * std::sqrt(h) * z(pf, t) - 0.5 * asset.vol * asset.vol * h;
        }
        if (vf >= 0) {
          m.logIv[t * nA + a] =
              asset.volOfVol * std::sqrt(h) * z(vf, t) - 0.5 * asset.volOfVol * asset.volOfVol * h;
        }
      }
    }
    return m;
  }

 private:
  const Market& market_;
  const ClearingConfig& c_;
  const RiskProblem problem_;
  const ScenarioGenerator gen_;
};

PathMoves stressMoves(const StressPath& path, size_t assets, double stepHours) {
  PathMoves m;
  m.steps = path.steps;
  m.stepYears = stepHours / 24.0 / kDaysPerYear;
  m.logPrice.assign(static_cast<size_t>(path.steps) * assets, 0.0);
  m.logIv.assign(static_cast<size_t>(path.steps) * assets, 0.0);
  for (size_t a = 0; a < assets && a < path.returns.size(); ++a) {
    for (size_t t = 0; t < path.returns[a].size(); ++t) {
      m.logPrice[t * assets + a] = std::log1p(path.returns[a][t]);
    }
  }
  return m;
}

// Consecutive days of market.history from `from` to `to`: step t moves each asset with history
// by its close on day from + t over the day before (and its iv likewise); daily steps. A risky
// asset without any close in the window does not move (listed in `held`); one with some but
// not all of the days is an error naming the missing day.
PathMoves replayMoves(const Market& market, const ClearingConfig& c,
                      std::vector<std::string>* held) {
  PathMoves m;
  const size_t nA = market.assets.size();
  m.steps = static_cast<int>(c.replayTo - c.replayFrom);
  m.stepYears = 1.0 / kDaysPerYear;
  m.logPrice.assign(static_cast<size_t>(m.steps) * nA, 0.0);
  m.logIv.assign(static_cast<size_t>(m.steps) * nA, 0.0);
  int withHistory = 0;
  for (const auto& entry : market.history) {
    const int a = entry.first;
    const std::vector<DailyClose>& closes = entry.second;  // a lambda captures it (clang 14)
    auto on = [&](long long day) -> const DailyClose* {
      auto it = std::lower_bound(closes.begin(), closes.end(), day,
                                 [](const DailyClose& d, long long x) { return d.day < x; });
      return it != closes.end() && it->day == day ? &*it : nullptr;
    };
    if (!market.assets[a].risky()) continue;
    bool any = false;
    for (int t = 0; t <= m.steps && !any; ++t) any = on(c.replayFrom + t) != nullptr;
    if (!any) {  // no close in the window (not yet listed, say): it does not move
      if (held) held->push_back(market.assets[a].id);
      continue;
    }
    for (int t = 0; t < m.steps; ++t) {
      const DailyClose* d0 = on(c.replayFrom + t);
      const DailyClose* d1 = on(c.replayFrom + t + 1);
      if (!d0 || !d1) {
        throw InputError("/clearing/replay",
                         "/clearing/replay: " + market.assets[a].id + " has no close on " +
                             formatDate(d0 ? c.replayFrom + t + 1 : c.replayFrom + t) +
                             " (a replay needs every day from `from` to `to`)");
      }
      m.logPrice[t * nA + a] = std::log(d1->close / d0->close);
      if (d0->iv > 0 && d1->iv > 0) m.logIv[t * nA + a] = std::log(d1->iv / d0->iv);
    }
    ++withHistory;
  }
  if (withHistory == 0) {
    throw InputError(
        "/clearing/replay",
        "/clearing/replay: needs market.history (or --prices DIR) for the risky assets");
  }
  return m;
}

void checkDeadline(const EngineOptions& options) {
  if (std::chrono::steady_clock::now() > options.deadline) {
    throw DeadlineError("the simulation exceeded its time limit");
  }
}

// Runs paths in lockstep: each step advances every path still running, marks every account in
// all of them at once (the marker: CPU threads or the GPU), then settles each path (liquidation
// and the waterfall, path by path in parallel). Figures do not depend on the marker or threads.
void runLockstep(std::vector<PathRun>& runs, const Setup& s, AccountMarker& marker,
                 const EngineOptions& options) {
  const size_t nI = s.request.instruments.size(), nA = s.request.market.assets.size(),
               nN = s.request.accounts.size();
  int maxSteps = 0;
  for (PathRun& r : runs) {
    r.begin();
    maxSteps = std::max(maxSteps, r.steps());
  }
  std::vector<size_t> active;
  std::vector<double> units, prices, ivMult, elapsed, equity;
  for (int t = 1; t <= maxSteps; ++t) {
    checkDeadline(options);
    active.clear();
    for (size_t p = 0; p < runs.size(); ++p)
      if (runs[p].steps() >= t) active.push_back(p);
    const int64_t n = static_cast<int64_t>(active.size());
    const bool host = marker.onHost();
    prices.resize(active.size() * nA);
    ivMult.resize(active.size() * nA);
    elapsed.resize(active.size());
    units.resize(host ? 0 : active.size() * nI);
    equity.resize(host ? 0 : active.size() * nN);
    ParallelErrors errors;
#pragma omp parallel for schedule(dynamic)
    for (int64_t j = 0; j < n; ++j) {
      errors.capture([&] {
        runs[active[j]].advance(t, host, prices.data() + j * nA, ivMult.data() + j * nA,
                                elapsed.data() + j);
      });
    }
    errors.rethrow();
    if (!host) {
      marker.mark(static_cast<int>(n), prices.data(), ivMult.data(), elapsed.data(), units.data(),
                  equity.data());
    }
#pragma omp parallel for schedule(dynamic)
    for (int64_t j = 0; j < n; ++j) {
      errors.capture([&] {
        runs[active[j]].settle(t, host ? nullptr : equity.data() + j * nN,
                               host ? nullptr : units.data() + j * nI);
      });
    }
    errors.rethrow();
  }
}

// Named paths: every figure of every path kept.
std::vector<PathOutcome> runNamed(const Setup& setup, const std::vector<PathMoves>& moves,
                                  bool breaker, AccountMarker& marker,
                                  const EngineOptions& options) {
  std::vector<PathRun> runs;
  for (const PathMoves& m : moves) runs.emplace_back(setup, m, breaker, true);
  runLockstep(runs, setup, marker, options);
  std::vector<PathOutcome> out;
  for (PathRun& r : runs) out.push_back(r.finish());
  return out;
}

// Monte Carlo paths in chunks: a chunk's moves are generated, its paths run in lockstep, then
// join the summary in path order and are dropped, so memory holds one chunk, not every path.
ClearingSummary runMonteCarlo(const Setup& setup, const MonteCarloPaths& paths, bool breaker,
                              AccountMarker& marker, const EngineOptions& options) {
  const int64_t total = setup.config.paths;
  SummaryBuilder summary(total, setup.config.insuranceFund, setup.request.accounts.size());
  constexpr int64_t kChunk = 64;
  for (int64_t first = 0; first < total; first += kChunk) {
    const int64_t count = std::min(kChunk, total - first);
    std::vector<PathMoves> moves(static_cast<size_t>(count));
    ParallelErrors errors;
#pragma omp parallel for schedule(dynamic)
    for (int64_t p = 0; p < count; ++p) {
      errors.capture([&] { moves[p] = paths.path(first + p); });
    }
    errors.rethrow();
    std::vector<PathRun> runs;
    for (const PathMoves& m : moves) runs.emplace_back(setup, m, breaker, false);
    runLockstep(runs, setup, marker, options);
    for (PathRun& r : runs) summary.add(r.finish());
  }
  return summary.finish();
}

}  // namespace

ClearingResult simulateClearing(const MarginRequest& request, const ClearingConfig& config,
                                const EngineOptions& options, const MarkerFactory& makeTestMarker) {
  ClearingResult result;
  result.t0 = computeMargin(request, options);
  RunInfo scratch;
  const ModelMarket model(request, scratch);
  const Market& market = model.market();
  Setup setup{request, config};
  for (size_t i = 0; i < request.accounts.size(); ++i) {
    const AccountResult& a = result.t0.accounts[i];
    setup.mm.push_back(a.maintenanceMargin);
    setup.im.push_back(a.initialMargin);
    setup.equity0.push_back(a.equity);
    setup.ids.push_back(request.accounts[i].id);
  }
  for (const Asset& a : market.assets) setup.vol.push_back(a.vol);
  compileBook(request, setup.book);
  // Impact needs each traded asset's daily volume, as the liquidity add-on does.
  if (config.impactCoefficient > 0.0) {
    MarginRequest withImpact = request;
    withImpact.config.addOns.liquidityCoefficient = 1.0;
    try {
      setup.adv = averageVolumes(withImpact, market);
    } catch (const InputError& e) {
      throw InputError(e.path(),
                       std::string(e.what()) +
                           " (the liquidation impact of /clearing/liquidation/impact needs "
                           "it; or set its coefficient to 0)");
    }
  } else {
    setup.adv.assign(market.assets.size(), -1.0);
  }
  // Holders per instrument in a canonical order (account id, then position), so that the ADL
  // queue's ties, like every other figure, do not depend on the request's account order.
  setup.holders.resize(request.instruments.size());
  std::vector<size_t> byId(request.accounts.size());
  std::iota(byId.begin(), byId.end(), 0);
  std::stable_sort(byId.begin(), byId.end(), [&](size_t a, size_t b) {
    return request.accounts[a].id < request.accounts[b].id;
  });
  for (size_t i : byId) {
    const auto& ps = request.accounts[i].positions;
    for (size_t p = 0; p < ps.size(); ++p) {
      setup.holders[ps[p].instrument].emplace_back(static_cast<int>(i), static_cast<int>(p));
    }
  }

  const MonteCarloPaths mc(request, market, config);
  std::vector<PathMoves> named;
  std::vector<std::string> names;
  for (const StressPath& s : config.stressPaths) {
    named.push_back(stressMoves(s, market.assets.size(), config.stepHours));
    names.push_back(s.name);
  }
  if (config.replay) {
    named.push_back(replayMoves(market, config, &result.replayHeld));
    names.push_back("replay " + formatDate(config.replayFrom) + ".." + formatDate(config.replayTo));
  }
  result.steps = config.steps;
  result.stepHours = config.stepHours;
  const bool breaker = config.circuitBreaker;
  const std::unique_ptr<AccountMarker> marker =
      makeTestMarker ? makeTestMarker(setup.book)
                     : makeMarker(request.config.backend, setup.book, &result.backend);
  result.monteCarlo = runMonteCarlo(setup, mc, breaker, *marker, options);
  const std::vector<PathOutcome> namedOut = runNamed(setup, named, breaker, *marker, options);
  for (size_t i = 0; i < namedOut.size(); ++i) result.named.push_back({names[i], namedOut[i]});
  if (breaker) {
    result.compared = true;
    result.monteCarloWithoutBreaker = runMonteCarlo(setup, mc, false, *marker, options);
    const std::vector<PathOutcome> without = runNamed(setup, named, false, *marker, options);
    for (size_t i = 0; i < without.size(); ++i)
      result.namedWithoutBreaker.push_back({names[i], without[i]});
  }
  return result;
}

}  // namespace xm
