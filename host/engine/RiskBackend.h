#pragma once
// The engine interface every backend implements (CPU here, CUDA in cuda/).
//
// A backend prepares, once per request, what all accounts share: the scenario set, the P&L rows
// evaluated in every scenario (the PnlCube, rows × scenarios), and each row's tail figures. The
// session it returns then reduces batches of accounts to their risk figures. The host drives
// batching, margin and output; backends never see JSON or margin rules.
//
// Contract for every backend: an account's figures depend only on the problem and that account's
// legs, never on the batch it arrives in, its position in the batch, or the batch size.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/engine/RiskProblem.h"
#include "host/model/WireNames.h"

namespace xm {

class RiskSession {
 public:
  virtual ~RiskSession() = default;
  // Fills `out` (resized by the callee) for every account of `batch`.
  virtual void compute(const AccountBatch& batch, BatchRisk& out) = 0;
  // The arithmetic actually used.
  virtual Precision precision() const = 0;
  // Host memory the session holds (its cube, row tails and shocks), for snapshot accounting.
  virtual int64_t bytes() const { return 0; }
  // The shocks it revalued, when it keeps them on the host; else null.
  virtual std::shared_ptr<const ShockMatrix> shocks() const { return nullptr; }
};

class RiskBackend {
 public:
  virtual ~RiskBackend() = default;
  virtual BackendChoice kind() const = 0;  // Cpu or Cuda
  std::string name() const { return wireName(kind()); }
  virtual std::string device() const = 0;  // human-readable hardware description
  virtual std::unique_ptr<RiskSession> prepare(const RiskProblem& problem) = 0;
  // As prepare, revaluing `shocks` already drawn for this problem's factor model, shock model and
  // scenario count (a snapshot's new marks are revalued on the scenarios it was built on). A
  // backend that draws on its device may draw them again: they are the same numbers.
  virtual std::unique_ptr<RiskSession> prepareOn(const RiskProblem& problem,
                                                 std::shared_ptr<const ShockMatrix> shocks) {
    (void)shocks;
    return prepare(problem);
  }
  // Accounts per batch that keeps this backend's per-batch memory within its budget.
  virtual int64_t batchAccounts(const RiskProblem& problem) const = 0;
};

// The tail of one loss vector (contract §3). k largest losses: var is the k-th largest, es their
// mean, esStderr the Monte Carlo standard error of es.
struct TailStats {
  double var = 0.0;
  double es = 0.0;
  double esStderr = 0.0;
  double sum = 0.0;         // of the k largest losses, in ascending scenario order
  int32_t varScenario = 0;  // the last tail scenario (ascending) whose loss is var
};

// The k largest losses of one account (or of one replication's block of its scenarios),
// selected while the losses arrive in pieces of ascending scenarios, without keeping them all:
// a loss is kept, with its scenario, when it exceeds the running threshold, the k-th largest of
// those kept at the last prune (before the first: every loss). A loss left out is below k
// losses already seen, or equal to them and later, so it cannot be in the tail. Ties at the
// k-th largest value are taken in ascending scenario order, so the tail is a pure function of
// the losses; sums run in ascending scenario order. At most max(4k, 256) losses and a piece are
// kept. Reusable: start() begins the next vector.
class TailStream {
 public:
  void start(int64_t k);
  // Losses of scenarios first .. first + count, after those of every earlier add.
  void add(const double* loss, int32_t first, int64_t count);
  // The tail's figures; writes its scenarios, ascending, to tail[0..k) and their losses to
  // tailLoss[0..k).
  TailStats finish(double confidence, int32_t* tail, double* tailLoss);
  int64_t kept() const { return size_; }  // losses kept now

 private:
  void prune();

  int64_t k_ = 0, size_ = 0, limit_ = 0;
  double threshold_ = 0.0;
  std::vector<double> loss_;            // the kept losses, ascending scenarios
  std::vector<int32_t> scenario_;       // and their scenarios
  std::vector<uint64_t> keys_, spare_;  // for selections among them
};

// The ES of x's k largest values under a replication's weights (Reduction.h), over the
// replications' blocks of x, averaged: for the one block of mc and antithetic sampling the mean
// of the k largest (per-row standalone ES). `keys` and `spare` hold the largest block.
double replicatedTailMean(const double* x, const std::vector<Replication>& replications,
                          uint64_t* keys, uint64_t* spare);

// Standalone ES of a leg of weight w on `row`, from every row's unit long ES (mean of the k
// largest of -row) and unit short ES: ES is positively homogeneous, so a leg's is |w| times its
// side's; a leg on no row (riskless) has none.
inline double legStandaloneEs(int row, double w, const std::vector<double>& esLong,
                              const std::vector<double>& esShort) {
  return row < 0 ? 0.0 : (w >= 0.0 ? w * esLong[row] : -w * esShort[row]);
}

}  // namespace xm
