#pragma once
// The clearing house after t0 (contract §9): paths of the market — Monte Carlo, named stress
// paths, a historical replay — along which accounts are marked every step, liquidated below
// their maintenance margin with a square-root price impact that cascades, and their deficits
// carried by the loss waterfall: the insurance fund, then auto-deleveraging (BitMEX, Bybit, OKX,
// Binance), socialized loss (Deribit), or nothing (uncovered).
//
// Every path runs alone (its own fund, its own accounts), so paths run in parallel and every
// figure is a pure function of the request and the path, whatever the thread count.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "host/engine/Marking.h"
#include "host/margin/MarginEngine.h"
#include "host/model/Errors.h"
#include "host/model/MarginRequest.h"
#include "host/model/MarginResult.h"
#include "host/model/WireNames.h"

namespace xm {

enum class LossAllocation { Adl, Socialized, None };
// Where the equity a liquidated account has left goes: to the fund (BitMEX: the position is
// taken over at the bankruptcy price, the better fill is the fund's) or back to the account
// after the fee (Deribit).
enum class LiquidationSurplus { Fund, Account };

template <>
struct WireNames<LossAllocation> {
  static constexpr std::array<std::pair<LossAllocation, const char*>, 3> table{
      {{LossAllocation::Adl, "adl"},
       {LossAllocation::Socialized, "socialized"},
       {LossAllocation::None, "none"}}};
};
template <>
struct WireNames<LiquidationSurplus> {
  static constexpr std::array<std::pair<LiquidationSurplus, const char*>, 2> table{
      {{LiquidationSurplus::Fund, "fund"}, {LiquidationSurplus::Account, "account"}}};
};

struct StressPath {
  std::string name;
  // Per market asset, simple returns per step (price × (1 + r)); an asset it omits, or a step
  // past the end of its list, does not move.
  std::vector<std::vector<double>> returns;
  int steps = 0;
};

struct ClearingConfig {
  int64_t paths = 1000;  // Monte Carlo paths (0: stress paths and the replay only)
  int steps = 24;
  double stepHours = 1.0;
  double insuranceFund = 0.0;
  LossAllocation lossAllocation = LossAllocation::Adl;
  double feeRate = 0.005;
  LiquidationSurplus surplus = LiquidationSurplus::Fund;
  double impactCoefficient = 1.0;  // Y in Y · σ_step · sqrt(Q / ADV); 0: no impact
  double impactDecay = 0.5;        // share of a step's impact still in the price a step later
  bool circuitBreaker = false;
  double breakerMove = 0.15;  // |price / price window_steps ago - 1| above it halts the asset
  int breakerWindowSteps = 1;
  int breakerHaltSteps = 1;
  std::vector<StressPath> stressPaths;
  bool replay = false;
  long long replayFrom = 0, replayTo = 0;  // days since the epoch
};

// One liquidated account on one path.
struct Liquidation {
  int64_t account = -1;
  int step = 0;
  double equityBefore = 0.0;  // marked at the step's price, before closing
  double notional = 0.0;      // liquidated, base currency
  double impactCost = 0.0;    // what the impact took from the closing prices
  double fee = 0.0;           // paid to the fund
  double surplusToFund = 0.0;
  double deficit = 0.0;  // equity below zero after closing
  // Per position of the account (request order): its underlying's bankruptcy price (NaN when
  // the account's equity does not depend on it) and the price it was closed at.
  std::vector<double> bankruptcyPrice, closePrice, closedQty;
};

// What one path did.
struct PathOutcome {
  double fundEnd = 0.0;
  double fundMin = 0.0;     // the lowest balance along the path
  double fundDraw = 0.0;    // deficits the fund paid
  double fundIncome = 0.0;  // fees and surpluses it received
  double deficits = 0.0;
  double adl = 0.0;         // deficits carried by deleveraged counterparties
  double socialized = 0.0;  // charged pro rata to profitable accounts
  double uncovered = 0.0;
  int breakerFirings = 0;
  std::vector<Liquidation> liquidations;
  // Per account (request order).
  std::vector<double> deficit, deleveragedQty, adlLoss, socializedCharge;
  // Loss over the path if nothing were liquidated, beyond the account's initial margin (>= 0):
  // the uncollateralised loss of Cover-1 / Cover-2.
  std::vector<double> uncollateralised;
  double cover1 = 0.0, cover2 = 0.0;
};

// Over the Monte Carlo paths: mean, median, and the bad tail's 99% quantile and ES (the mean of
// the worst 1%): high values for drawdowns and losses, low ones for the fund's end balance.
// `counts` is its histogram: kHistogramBins equal bins from `lo` (the smallest value) to `hi`
// (the largest, in the last bin), all in the first bin when every path agrees.
struct Distribution {
  static constexpr int kHistogramBins = 20;
  double mean = 0.0, median = 0.0, q99 = 0.0, es99 = 0.0;
  double lo = 0.0, hi = 0.0;
  std::vector<int64_t> counts;
};

struct ClearingSummary {
  int64_t paths = 0;
  Distribution fundEnd, fundDrawdown;  // drawdown: initial balance - lowest balance
  double probExhausted = 0.0;          // the fund reached 0 with a deficit left
  Distribution liquidations, liquidatedNotional, impactCost;
  double probAdl = 0.0, meanAdl = 0.0, probSocialized = 0.0, meanSocialized = 0.0;
  double probUncovered = 0.0, meanUncovered = 0.0;
  double meanBreakerFirings = 0.0;
  double worstCover2 = 0.0;  // the largest Cover-2 over the Monte Carlo paths
  int64_t worstCover2Path = -1;
  // Per account (request order).
  std::vector<double> probLiquidated, expectedDeficit, probDeleveraged, expectedSocialized;
};

struct NamedOutcome {
  std::string name;  // the stress path's name, or "replay FROM..TO"
  PathOutcome outcome;
};

struct ClearingResult {
  MarginResponse t0;
  ClearingSummary monteCarlo;
  std::vector<NamedOutcome> named;  // stress paths in request order, then the replay
  // With a circuit breaker: the same paths run without it.
  bool compared = false;
  ClearingSummary monteCarloWithoutBreaker;
  std::vector<NamedOutcome> namedWithoutBreaker;
  double stepHours = 1.0;
  int steps = 0;
  std::vector<std::string> replayHeld;         // risky assets the replay's window has no close of
  BackendChoice backend = BackendChoice::Cpu;  // where every step's marking ran
};

// What the figures over Monte Carlo paths take of one path (ClearingSummary): its scalars, its
// liquidations' accounts, notionals and impact costs, and the accounts with a deficit, a
// deleveraging or a socialized charge (ascending). Plain data: an MPI job ships these to rank 0,
// which adds them in path order (the same additions as one process).
struct PathTally {
  double fundEnd = 0.0, fundMin = 0.0, deficits = 0.0, fundDraw = 0.0, adl = 0.0;
  double socialized = 0.0, uncovered = 0.0, cover2 = 0.0;
  int64_t breakerFirings = 0;
  struct Liquidated {
    int64_t account;
    double notional, impactCost;
  };
  std::vector<Liquidated> liquidations;
  std::vector<std::pair<int64_t, double>> deficit, socializedCharge;
  std::vector<int64_t> deleveraged;
};

// The Monte Carlo paths divided among processes (api/mpi): this process runs paths [first, last)
// of mine(paths); complete() brings every path's tally, in path order, to the process that
// reports (reports()), after agreeing on failure (throwing on every process when one failed).
class PathShards {
 public:
  virtual ~PathShards() = default;
  virtual std::pair<int64_t, int64_t> mine(int64_t paths) const = 0;
  virtual void complete(std::vector<PathTally>& tallies, int64_t first, int64_t last,
                        const std::optional<ErrorReport>& failure) const = 0;
  virtual bool reports() const = 0;
};

// Runs the simulation: margin at t0 (runMargin), then every path. Throws InputError naming the
// field (/clearing/...) when the request cannot be simulated (a replay without history, the
// impact without a daily volume).
// options.deadline is checked every step. `marker` (tests) replaces the marker that
// request.config.backend picks (BackendRegistry.h).
using MarkerFactory = std::function<std::unique_ptr<AccountMarker>(const MarkingBook&)>;
// With `shards`, this process runs its share of the Monte Carlo paths (the margin at t0 on every
// process, the named paths where shards->reports() only) and the result is complete only there.
ClearingResult simulateClearing(const MarginRequest& request, const ClearingConfig& config,
                                const EngineOptions& options = {}, const MarkerFactory& marker = {},
                                const PathShards* shards = nullptr);

// The pieces, exposed for tests ------------------------------------------------------------------

// BitMEX's auto-deleveraging queue: the candidates (opposing positions in the instrument) ranked
// by score, highest first (ties: lower index first), filled until `quantity` is matched; returns
// each candidate's fill (0 for those not reached).
struct AdlCandidate {
  double score = 0.0;
  double size = 0.0;  // > 0: what it can give
};
std::vector<double> adlFills(const std::vector<AdlCandidate>& candidates, double quantity);

// BitMEX's ranking score: PnL% × effective leverage for a profitable position, PnL% / effective
// leverage for a losing one; effective leverage = |mark value| / (account equity).
double adlScore(double pnlFraction, double effectiveLeverage);

// Deribit's socialized loss: `shortfall` charged to accounts with a positive profit, pro rata to
// it and capped by it; returns each account's charge (sums to min(shortfall, Σ profits)).
std::vector<double> socializeLoss(const std::vector<double>& profits, double shortfall);

// The underlying price of `asset` at which the account's equity is zero, every other price
// fixed: exact where the equity is linear in it (spot, perpetuals, inverse perpetuals, futures,
// coin collateral), found by bracketing and bisection with options. `prices` are the market's,
// `ivs` each instrument's implied vol, `cash` realised P&L. NaN when the equity does not depend
// on the asset or never reaches zero.
double bankruptcyPrice(const MarginRequest& request, const Account& account, double cash,
                       const std::vector<double>& prices, const std::vector<double>& ivs,
                       double years, int asset);

}  // namespace xm
