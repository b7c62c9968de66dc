#pragma once
// One path of the clearing simulation (Clearing.h), step by step: the market's move, circuit
// breakers, marking, liquidation with cascading impact, and the waterfall. Internal to the
// clearing room: Simulation.cpp runs paths in lockstep through the backend's marker.

#include <cstdint>
#include <string>
#include <vector>

#include "host/clearing/Clearing.h"
#include "host/engine/Instruments.h"
#include "host/engine/Marking.h"

namespace xm::clearing {

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
void compileBook(const MarginRequest& r, MarkingBook& book);

double positionMarkValue(const Instrument& ins, const Position& pos, double unit);

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
  void advance(int t, bool revalue, double* prices, double* ivMult, double* elapsed);

  // Step t given every account's marked book equity (the marker's, at the positions of t0):
  // equity is that plus the account's cash, or marked here (an account ADL has changed, or every
  // account when `bookEquity` is null: the CPU marker's work, done in place);
  // those below maintenance margin (and not held by a halt) are liquidated.
  void settle(int t, const double* bookEquity, const double* units);

  PathOutcome finish();

 private:
  double years(int t) const { return t * m_.stepYears; }

  // The value of one unit of instrument k at step t with its underlying at `s` (the marker's
  // function: Marking.h).
  double unit(int k, int t, double s) const;

  double& qty(size_t account, size_t position);

  // An account marked here: the marker's sum at its current positions (the book's, shared by
  // every path, unless ADL has changed them on this one), plus cash.
  double markAccount(size_t i) const;

  void liquidate(int t, std::vector<size_t>& accounts, const std::vector<double>& units);
  Liquidation closeOut(int t, size_t i, const std::vector<double>& deltas,
                       const std::vector<double>& impact, const std::vector<double>& ivs,
                       const std::vector<double>& units);
  void allocate(int t, const std::vector<size_t>& accounts, std::vector<double>& shortfall,
                double deficits, const std::vector<Liquidation>& done,
                const std::vector<double>& units);

  // Closes opposing positions in the bankrupt account's instruments at its bankruptcy prices,
  // highest ADL score first, until `left` is covered; returns what remains.
  double deleverage(int t, size_t bankrupt, const Liquidation& l, double left,
                    const std::vector<double>& units);

  // Deribit: charged to accounts with a profit over the path so far, pro rata, capped by it.
  double socialize(double left);

  const Setup& s_;
  const PathMoves& m_;
  bool breaker_;
  bool detail_;
  MarkingView book_;
  PathState st_;
  std::vector<double> base_, units_;
  PathOutcome out_;
};

}  // namespace xm::clearing
