#pragma once
// A request compiled for the backends: the factor model, the P&L rows, and accounts as sparse
// legs (CSR by account). Every position and collateral holding of an account is one leg, a
// weight on one P&L row; a leg on a riskless asset has row -1 and never moves.
//
//   leg                  row               weight
//   spot position        spot of asset     qty * contract_size
//   perpetual            spot of asset     qty * contract_size
//   inverse_perpetual    spot of asset     qty * contract_size / entry_price
//   future               the future's row  qty * contract_size
//   option               the option's row  qty * contract_size
//   collateral           spot of asset     amount
//
// (The inverse perpetual's P&L in base currency is contract_size * (S / entry - 1) per contract:
// linear in S with slope contract_size / entry.)

#include <cstdint>
#include <string>
#include <vector>

#include <memory>

#include "host/engine/Pricing.h"
#include "host/engine/Reduction.h"
#include "host/engine/StressGrid.h"
#include "host/model/Errors.h"
#include "host/model/MarginRequest.h"
#include "scenarios/FactorModel.h"
#include "scenarios/ScenarioGenerator.h"

namespace xm {

struct RiskProblem {
  FactorModel factors;
  ShockSpec shocks;  // its sampling says how the tails below combine (docs/sampling.md)
  int64_t scenarios = 0;
  // The blocks whose tails are selected on their own (Reduction.h): one, the whole set, under mc
  // and antithetic sampling; the R replications under sobol.
  std::vector<Replication> replications;
  int64_t tailCount = 0;  // k: tail scenarios per account, summed over the replications
  double confidence = 0.99;
  Precision precision = Precision::Fp64;  // asked for; a backend may compute in more
  std::vector<PnlRow> rows;
  std::vector<int> spotRowOf;          // per asset: its spot row, -1 if riskless
  std::vector<int> instrumentRow;      // per instrument: the row its positions load on
  std::vector<double> unitValueNow;    // per instrument: S_0, F_0 or the option value now
  std::vector<std::string> rowSource;  // per row: JSON Pointer of its asset or instrument
  // config.method or compare names grid: the stress grid, a second scenario set on the same rows
  // (StressGrid.h); null otherwise.
  std::shared_ptr<const StressGrid> grid;
};

// A row beyond kMaxUnitPnl (Pricing.h) in some scenario: refuses the request, naming the row's
// asset or instrument. Inline: the CUDA library calls it and links before the host library.
[[noreturn]] inline void throwImplausibleRow(const RiskProblem& problem, int row) {
  const std::string& path = problem.rowSource.at(static_cast<size_t>(row));
  throw InputError(path,
                   path +
                       ": its revaluation exceeds 1e100 per unit, or is not a number, in "
                       "some scenario: a vol (given, estimated or floored) times a shock is far "
                       "past any price move; check the vols, vol_of_vol, market.history and the "
                       "shock model");
}

// Accounts [first, first + count) as legs: positions in request order, then collateral.
struct AccountBatch {
  int64_t first = 0;
  std::vector<int64_t> legBegin;  // count + 1 offsets into legRow / legWeight
  std::vector<int32_t> legRow;
  std::vector<double> legWeight;

  int64_t count() const { return static_cast<int64_t>(legBegin.size()) - 1; }
  int64_t legs() const { return static_cast<int64_t>(legRow.size()); }
};

// What a backend computes for a batch. Per account: var, es, esStderr; per leg: its standalone ES
// and its Euler contribution to the account's ES. With a stress grid, also per account and block
// (accounts × blocks): the worst loss over the block's points and that point; per leg: its loss
// at the worst point of its row's block (0 off every block), and its worst loss alone (≥ 0).
struct BatchRisk {
  std::vector<double> var, es, esStderr;
  std::vector<double> legStandaloneEs, legContribution;
  std::vector<double> gridWorst;
  std::vector<int32_t> gridPoint;
  std::vector<double> legGridLoss, legGridStandalone;

  void resize(int64_t accounts, int64_t legs, int blocks = 0) {
    var.assign(accounts, 0.0);
    es.assign(accounts, 0.0);
    esStderr.assign(accounts, 0.0);
    legStandaloneEs.assign(legs, 0.0);
    legContribution.assign(legs, 0.0);
    gridWorst.assign(static_cast<size_t>(accounts) * blocks, 0.0);
    gridPoint.assign(static_cast<size_t>(accounts) * blocks, 0);
    legGridLoss.assign(blocks > 0 ? legs : 0, 0.0);
    legGridStandalone.assign(blocks > 0 ? legs : 0, 0.0);
  }
};

// k = ceil((1 - confidence) * S), with a relative slack of 1e-9 so that binary rounding of
// 1 - 0.99 does not turn 100 into 101; at least 1, at most S.
int64_t tailCount(double confidence, int64_t scenarios);

// The tail blocks of S scenarios under a sampling with R replications (sobol; 1 otherwise).
std::vector<Replication> planReplications(Sampling sampling, int replications, int64_t scenarios,
                                          double confidence);

// Which P&L rows a problem revalues: those some account of the request holds (a request), or
// every instrument's and every risky asset's (a snapshot, whose accounts arrive later). A row's
// values depend on its instrument and the scenario set alone, so either gives the same figures.
enum class RowSet { Held, All };

// On the request's market, or on `market` (the request's with estimated vols and correlations).
RiskProblem compileProblem(const MarginRequest& request);
RiskProblem compileProblem(const MarginRequest& request, const Market& market,
                           RowSet rows = RowSet::Held);
// Accounts [first, first + count) of `accounts`, whose positions index `instruments`.
AccountBatch compileBatch(const std::vector<Account>& accounts,
                          const std::vector<Instrument>& instruments, const RiskProblem& problem,
                          int64_t first, int64_t count);
inline AccountBatch compileBatch(const MarginRequest& request, const RiskProblem& problem,
                                 int64_t first, int64_t count) {
  return compileBatch(request.accounts, request.instruments, problem, first, count);
}

}  // namespace xm
