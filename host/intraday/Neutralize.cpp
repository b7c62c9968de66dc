#include "host/intraday/Neutralize.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "host/base/Parallel.h"
#include "host/engine/Instruments.h"
#include "host/model/Units.h"

namespace xm {
namespace {

class Search {
 public:
  Search(const PreparedMarket& market, const Account& account, const NeutralizeConfig& config)
      : market_(market),
        instruments_(market.definition().instruments),
        account_(account),
        config_(config),
        trade_(instruments_.size(), 0.0),
        held_(instruments_.size(), 0.0),
        hedge_(instruments_.size(), 0) {
    for (const Position& p : account.positions) held_[p.instrument] += p.qty;
    for (int h : config.hedgeInstruments) hedge_[h] = 1;
  }

  Proposal run() {
    Proposal out;
    out.before = evaluate(trade_);
    out.after = out.before;
    out.account = account_;
    double deficit = deficitOf(out.before);
    if (deficit <= 0.0) return finish(out, NeutralizeOutcome::Healthy);
    AccountResult now = out.before;
    for (int move = 0; move < config_.maxMoves; ++move) {
      Candidate best;
      for (const Candidate& c : candidates(now)) {
        std::vector<double> next = trade_;
        next[c.instrument] += c.qty;
        const AccountResult r = evaluate(next);
        const double gain = deficit - deficitOf(r);
        if (!(gain > 0.0)) continue;
        const double added = totalCost(next) - totalCost(trade_);
        const double notional = std::abs(c.qty) * unitGross(c.instrument);
        const double score = gain / (std::max(0.0, added) + 1e-9 * notional);
        if (score > best.score) best = {c.instrument, c.qty, score, r};
      }
      if (best.instrument < 0) return finish(out, NeutralizeOutcome::NotRestored, now);
      const double after = deficitOf(best.result);
      if (after <= 0.0) {
        now = shrink(best);
        return finish(out, NeutralizeOutcome::Restored, now);
      }
      trade_[best.instrument] += best.qty;
      now = best.result;
      deficit = after;
    }
    return finish(out, NeutralizeOutcome::NotRestored, now);
  }

 private:
  struct Candidate {
    int instrument = -1;
    double qty = 0.0;
    double score = -std::numeric_limits<double>::infinity();
    AccountResult result;
  };

  double deficitOf(const AccountResult& r) const {
    return config_.targetCoverage * r.initialMargin - r.equity;
  }

  double mark(int i) const { return market_.problem().unitValueNow[i]; }
  double unitGross(int i) const {
    return instruments_[i].contractSize * market_.context().unitExposure[i].gross;
  }

  // Impact + fee of trading `qty` contracts of instrument i (Neutralize.h).
  double cost(int i, double qty) const {
    if (qty == 0.0) return 0.0;
    const Instrument& ins = instruments_[i];
    const MarginContext& ctx = market_.context();
    const Exposure& unit = ctx.unitExposure[i];
    const double size = qty * ins.contractSize;
    double delta = std::abs(size * unit.delta);
    if (traitsOf(ins.type).inverse) delta /= mark(i);
    const double coefficient = market_.definition().config.addOns.liquidityCoefficient;
    const Asset& a = ctx.market->assets[ins.underlying];
    const double adv = ctx.adv[ins.underlying];
    double impact = 0.0;
    if (coefficient > 0.0 && adv > 0.0 && a.risky() && delta > 0.0)
      impact = coefficient * a.vol / std::sqrt(kDaysPerYear) * delta * std::sqrt(delta / adv);
    return impact + config_.feeRate * std::abs(size) * unit.gross;
  }
  double totalCost(const std::vector<double>& trade) const {
    double sum = 0.0;
    for (size_t i = 0; i < trade.size(); ++i) sum += cost(static_cast<int>(i), trade[i]);
    return sum;
  }

  // The price at which the trade's new line costs `cost` of equity at today's mark.
  double executionPrice(int i, double qty) const {
    const Instrument& ins = instruments_[i];
    const double size = qty * ins.contractSize;
    const double c = cost(i, qty);
    if (traitsOf(ins.type).inverse) return mark(i) / (1.0 - c / size);
    return mark(i) + c / size;
  }

  Account withTrades(const std::vector<double>& trade) const {
    Account a = account_;
    for (size_t i = 0; i < trade.size(); ++i) {
      if (trade[i] == 0.0) continue;
      const int ins = static_cast<int>(i);
      a.positions.push_back({ins, trade[i], executionPrice(ins, trade[i])});
    }
    return a;
  }

  AccountResult evaluate(const std::vector<double>& trade) {
    ++evaluations_;
    return market_.assess({withTrades(trade)})[0];
  }

  std::vector<Candidate> candidates(const AccountResult& now) const {
    const MarginContext& ctx = market_.context();
    std::vector<Candidate> reductions, out;
    // Each held derivative's contribution now (its lines and its trade's line).
    std::vector<double> contribution(instruments_.size(), 0.0);
    const Account current = withTrades(trade_);
    std::vector<double> netDelta(ctx.market->assets.size(), 0.0);
    for (size_t l = 0; l < current.positions.size(); ++l) {
      const Position& p = current.positions[l];
      contribution[p.instrument] += now.positions[l].esContribution;
      netDelta[instruments_[p.instrument].underlying] +=
          deltaExposure(instruments_[p.instrument], p, ctx.unitExposure[p.instrument]);
    }
    for (size_t i = 0; i < instruments_.size(); ++i) {
      const int ins = static_cast<int>(i);
      const double remaining = held_[i] + trade_[i];
      if (held_[i] == 0.0 || remaining == 0.0 || instruments_[i].type == InstrumentType::Spot ||
          (remaining > 0.0) != (held_[i] > 0.0) || contribution[i] <= 0.0)
        continue;
      const double qty = -std::copysign(
          std::min(std::abs(remaining), config_.step * std::abs(held_[i])), remaining);
      const double added = cost(ins, trade_[i] + qty) - cost(ins, trade_[i]);
      // Euler: the contribution released per unit of cost.
      const double released = contribution[i] * std::abs(qty / remaining);
      reductions.push_back({ins, qty, released / (added + 1e-12 * std::abs(released)), {}});
    }
    std::sort(reductions.begin(), reductions.end(),
              [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    if (reductions.size() > 3) reductions.resize(3);  // the best by Euler, verified exactly
    for (Candidate& c : reductions) out.push_back({c.instrument, c.qty, 0.0, {}});
    for (size_t h = 0; h < instruments_.size(); ++h) {
      if (!hedge_[h]) continue;
      const int ins = static_cast<int>(h);
      const Instrument& hi = instruments_[h];
      const double unitDelta =
          hi.contractSize * ctx.unitExposure[h].delta / (traitsOf(hi.type).inverse ? mark(ins) : 1);
      const double net = netDelta[hi.underlying];
      if (unitDelta == 0.0 || net == 0.0) continue;
      const double qty = config_.step * std::abs(net / unitDelta);
      out.push_back({ins, qty, 0.0, {}});
      out.push_back({ins, -qty, 0.0, {}});
    }
    return out;
  }

  // The least share of the last move that still restores the account (bisection; the margin is
  // not monotone in the share in general, so the answer is a share that restores, verified).
  AccountResult shrink(const Candidate& best) {
    double lo = 0.0, hi = 1.0;
    AccountResult at = best.result;
    for (int i = 0; i < 12; ++i) {
      const double mid = 0.5 * (lo + hi);
      std::vector<double> next = trade_;
      next[best.instrument] += mid * best.qty;
      const AccountResult r = evaluate(next);
      if (deficitOf(r) <= 0.0) {
        hi = mid;
        at = r;
      } else {
        lo = mid;
      }
    }
    trade_[best.instrument] += hi * best.qty;
    return at;
  }

  Proposal& finish(Proposal& out, NeutralizeOutcome outcome) {
    out.outcome = outcome;
    out.evaluations = evaluations_;
    return out;
  }
  Proposal finish(Proposal& out, NeutralizeOutcome outcome, const AccountResult& now) {
    out.after = now;
    out.account = withTrades(trade_);
    for (size_t i = 0; i < trade_.size(); ++i) {
      if (trade_[i] == 0.0) continue;
      const int ins = static_cast<int>(i);
      const double c = cost(ins, trade_[i]);
      out.trades.push_back({ins, trade_[i], executionPrice(ins, trade_[i]), c, held_[i] == 0.0});
      out.cost += c;
    }
    return finish(out, outcome);
  }

  const PreparedMarket& market_;
  const std::vector<Instrument>& instruments_;
  const Account& account_;
  const NeutralizeConfig& config_;
  std::vector<double> trade_;  // per instrument: contracts traded so far
  std::vector<double> held_;   // per instrument: the account's net contracts
  std::vector<char> hedge_;
  int evaluations_ = 0;
};

}  // namespace

Proposal neutralize(const PreparedMarket& market, const Account& account,
                    const NeutralizeConfig& config) {
  return Search(market, account, config).run();
}

std::vector<Proposal> neutralizeAccounts(const PreparedMarket& market,
                                         const std::vector<Account>& accounts,
                                         const NeutralizeConfig& config,
                                         const EngineOptions& options) {
  const int64_t n = static_cast<int64_t>(accounts.size());
  std::vector<Proposal> out(n);
  ParallelErrors errors;
  const bool threads = market.backend() == BackendChoice::Cpu;
#pragma omp parallel for schedule(dynamic) if (threads)
  for (int64_t a = 0; a < n; ++a) {
    errors.capture([&] {
      checkDeadline(options, "the neutralization");
      out[a] = neutralize(market, accounts[a], config);
    });
  }
  errors.rethrow();
  return out;
}

}  // namespace xm
