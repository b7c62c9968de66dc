#include "host/engine/CpuBackend.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "host/base/FaultInjection.h"
#include "host/base/Parallel.h"
#include "host/engine/Reduction.h"
#include "host/model/Errors.h"
#include "scenarios/ShockCache.h"

namespace xm {
namespace {

constexpr int64_t kParallelAccounts = 16;

// Accounts revalued together, a tile of scenarios at a time: the tiles of the rows they hold stay
// in L2 from one account to the next, instead of each account streaming its rows from memory.
constexpr int64_t kGroup = 32;
// Scenarios per tile: an account's loss tile stays in L1 while its rows' tiles stream past.
constexpr int64_t kTile = 512;

// A thread's buffers, kept between batches: the tile of losses, each grouped account's tail
// stream and tails, and (for the few accounts of computeFew) a whole loss vector, released
// past 64k scenarios so that the many threads of the service do not each hold a large one.
struct Scratch {
  std::vector<double> loss, gridLoss;
  std::array<double, kTile> tile;
  std::array<TailStream, kGroup> streams;
  std::vector<int32_t> tail;           // kGroup × k: each account's tail scenarios, block by block
  std::vector<double> tailLoss;        // and their losses
  std::vector<TailStats> stats;        // kGroup × replications
  std::vector<const double*> legRows;  // the group's moving legs, account after account
  std::vector<double> legWeights;
  std::array<int64_t, kGroup + 1> legBegin;  // each grouped account's first in legRows
  int64_t heldK = 0;                         // the tail count the streams last served
  void fit(int64_t k, size_t replications) {
    // Past 1,024 tail scenarios (~100k scenarios at 99%) the streams' buffers (up to
    // 28·(4k + kTile) bytes each) are made afresh, so that a thread does not keep a large
    // request's after a small one, as for the loss vector below.
    constexpr int64_t kKeepTail = 1024;
    if (k > kKeepTail || heldK > kKeepTail) {
      streams = {};
      tail = {};
      tailLoss = {};
    }
    heldK = k;
    if (static_cast<int64_t>(tail.size()) < kGroup * k) {
      tail.resize(kGroup * k);
      tailLoss.resize(kGroup * k);
    }
    if (stats.size() < kGroup * replications) stats.resize(kGroup * replications);
  }
  void fitLoss(int64_t n) {
    constexpr int64_t kKeep = 1 << 16;
    if (n > kKeep || static_cast<int64_t>(loss.size()) > kKeep) {
      loss = std::vector<double>(n);
    } else if (static_cast<int64_t>(loss.size()) < n) {
      loss.resize(n);
    }
  }
};
Scratch& scratchOfThisThread() {
  thread_local Scratch scratch;
  return scratch;
}

// An account's losses in scenarios [t0, t1) into loss[0 .. t1 - t0), from the rows (`x`, each
// indexed by scenario) and weights of its `legs` moving legs, in request order; `continuing`:
// loss already holds the legs before these. Within a scenario the legs add in request order
// (the GPU's order too), so every loss is the same double however the scenarios are blocked.
// 32 scenarios at a time stay in registers while every leg's row streams past.
void accumulateLosses(const double* const* x, const double* w, int64_t legs, int64_t t0, int64_t t1,
                      bool continuing, double* loss) {
  using Lanes = double __attribute__((vector_size(64)));  // 8 doubles: one AVX-512 register
  constexpr int kVectors = 4;
  constexpr int64_t kBlock = kVectors * 8;
  if (legs == 0) return;
  const int64_t first = continuing ? 0 : 1;
  int64_t s = t0;
  for (; s + kBlock <= t1; s += kBlock) {
    double* dst = loss + (s - t0);
    Lanes acc[kVectors];
    for (int j = 0; j < kVectors; ++j) {
      Lanes v;
      if (continuing) {
        std::memcpy(&v, dst + 8 * j, sizeof v);
        acc[j] = v;
      } else {
        std::memcpy(&v, x[0] + s + 8 * j, sizeof v);
        acc[j] = -(w[0] * v);  // firstLegLoss
      }
    }
    for (int64_t l = first; l < legs; ++l) {
      for (int j = 0; j < kVectors; ++j) {
        Lanes v;
        std::memcpy(&v, x[l] + s + 8 * j, sizeof v);
        acc[j] = acc[j] - w[l] * v;  // nextLegLoss
      }
    }
    std::memcpy(dst, acc, sizeof acc);
  }
  for (; s < t1; ++s) {
    double sum = continuing ? loss[s - t0] : firstLegLoss(w[0], x[0][s]);
    for (int64_t l = first; l < legs; ++l) sum = nextLegLoss(sum, w[l], x[l][s]);
    loss[s - t0] = sum;
  }
}

class CpuSession final : public RiskSession {
 public:
  CpuSession(const RiskProblem& p, std::shared_ptr<const ShockMatrix> shocks)
      : problem_(p), n_(p.scenarios), k_(p.tailCount), shocks_(std::move(shocks)) {
    if (!shocks_) shocks_ = cachedShocks(problem_.factors, problem_.shocks, n_);
    XM_ASSERT(shocks_->cols() == n_ && shocks_->rows() == problem_.factors.factors(),
              "shocks of another problem");
    buildCube();
    buildRowTails();
    if (problem_.grid) buildGrid();
  }

  void compute(const AccountBatch& batch, BatchRisk& out) override {
    const int64_t accounts = batch.count();
    out.resize(accounts, batch.legs(), problem_.grid ? problem_.grid->blocks() : 0);
    if (accounts < kParallelAccounts) {
      computeFew(batch, out);
      return;
    }
    const int64_t groups = (accounts + kGroup - 1) / kGroup;
    ParallelErrors errors;
#pragma omp parallel
    {
      // Every thread must reach the worksharing loop (its barrier), even one whose scratch
      // allocation failed: that thread then skips its accounts and the error is rethrown.
      Scratch& mine = scratchOfThisThread();
      bool ready = false;
      errors.capture([&] {
        mine.fit(k_, problem_.replications.size());
        ready = true;
      });
#pragma omp for schedule(dynamic, 1)
      for (int64_t g = 0; g < groups; ++g) {
        if (ready) {
          errors.capture([&] {
            const int64_t a0 = g * kGroup, a1 = std::min(accounts, a0 + kGroup);
            computeGroup(batch, a0, a1, mine, out);
            if (problem_.grid) {
              for (int64_t a = a0; a < a1; ++a) computeGrid(batch, a, mine.gridLoss, out);
            }
          });
        }
      }
    }
    errors.rethrow();
  }

  Precision precision() const override { return Precision::Fp64; }
  int64_t bytes() const override {
    return static_cast<int64_t>(sizeof(double) *
                                (cube_.size() + esLong_.size() + esShort_.size() +
                                 gridCube_.size() + gridLong_.size() + gridShort_.size() +
                                 static_cast<size_t>(shocks_->size())));
  }
  std::shared_ptr<const ShockMatrix> shocks() const override { return shocks_; }

 private:
  const double* row(int r) const { return cube_.data() + static_cast<size_t>(r) * n_; }

  void buildCube() {
    const int bad = buildPnlCube(problem_.rows, *shocks_, cube_);
    if (bad >= 0) throwImplausibleRow(problem_, bad);
  }

  // Standalone ES of a unit long (mean of the k largest of -row) and of a unit short (of +row).
  void buildRowTails() {
    const int64_t rows = static_cast<int64_t>(problem_.rows.size());
    esLong_.assign(rows, 0.0);
    esShort_.assign(rows, 0.0);
    ParallelErrors errors;
#pragma omp parallel
    {
      std::vector<double> neg;
      std::vector<uint64_t> keys, spare;
      bool ready = false;
      errors.capture([&] {
        neg.resize(n_);
        keys.resize(n_);
        spare.resize(n_);
        ready = true;
      });
#pragma omp for schedule(dynamic)
      for (int64_t r = 0; r < rows; ++r) {
        if (!ready) continue;
        errors.capture([&] {
          faultPoint("cpu.row_tails");
          const double* x = row(static_cast<int>(r));
          for (int64_t s = 0; s < n_; ++s) neg[s] = -x[s];
          esLong_[r] =
              replicatedTailMean(neg.data(), problem_.replications, keys.data(), spare.data());
          esShort_[r] = replicatedTailMean(x, problem_.replications, keys.data(), spare.data());
        });
      }
    }
    errors.rethrow();
  }

  // A few accounts (what-if, neutralization, a small batch) on the calling thread: waking a team
  // costs more than it saves, and its spinning threads take the cores the service's other
  // requests compute on. An account whose legs begin with the previous account's legs (a what-if's
  // "after" is its "before" plus the trades) continues from that account's losses: the same
  // additions in the same order, so the same bits, for half the rows read.
  void computeFew(const AccountBatch& batch, BatchRisk& out) const {
    Scratch& mine = scratchOfThisThread();
    mine.fit(k_, problem_.replications.size());
    mine.fitLoss(n_);
    bool lossHolds = false;  // does `loss` hold the previous account's losses?
    for (int64_t a = 0; a < batch.count(); ++a) {
      faultPoint("cpu.accounts");
      int64_t reused = 0;
      if (lossHolds && a > 0) {
        const int64_t b0 = batch.legBegin[a - 1], n0 = batch.legBegin[a] - b0;
        const int64_t b1 = batch.legBegin[a], n1 = batch.legBegin[a + 1] - b1;
        const bool prefix =
            n0 <= n1 &&
            std::equal(batch.legRow.begin() + b0, batch.legRow.begin() + b0 + n0,
                       batch.legRow.begin() + b1) &&
            std::memcmp(&batch.legWeight[b0], &batch.legWeight[b1], sizeof(double) * n0) == 0;
        if (prefix) reused = n0;
      }
      lossHolds = computeAccount(batch, a, mine, out, reused);
      if (problem_.grid) computeGrid(batch, a, mine.gridLoss, out);
    }
  }

  // The stress grid's cube (rows × points) and each row's worst loss alone, long and short.
  void buildGrid() {
    const StressGrid& grid = *problem_.grid;
    const int bad = buildGridCube(problem_.rows, grid, gridCube_);
    if (bad >= 0) throwImplausibleRow(problem_, bad);
    const size_t rows = problem_.rows.size();
    const int64_t g = grid.size();
    gridLong_.assign(rows, 0.0);
    gridShort_.assign(rows, 0.0);
    for (size_t r = 0; r < rows; ++r) {
      const double* x = gridCube_.data() + r * g;
      for (int64_t i = 0; i < g; ++i) {
        gridLong_[r] = std::max(gridLong_[r], -x[i]);
        gridShort_[r] = std::max(gridShort_[r], x[i]);
      }
    }
  }

  // Account a on the grid: its loss at every point (legs added as for the scenarios), the worst
  // point of each block, and each leg's loss there.
  void computeGrid(const AccountBatch& batch, int64_t a, std::vector<double>& loss,
                   BatchRisk& out) const {
    const StressGrid& grid = *problem_.grid;
    const int64_t g = grid.size();
    const int blocks = grid.blocks();
    if (static_cast<int64_t>(loss.size()) < g) loss.resize(g);
    const int64_t begin = batch.legBegin[a], end = batch.legBegin[a + 1];
    bool first = true;
    for (int64_t l = begin; l < end; ++l) {
      const int r = batch.legRow[l];
      const double w = batch.legWeight[l];
      out.legGridStandalone[l] = legStandaloneEs(r, w, gridLong_, gridShort_);
      if (!legMoves(r, w)) continue;
      const double* x = gridCube_.data() + static_cast<size_t>(r) * g;
      if (first) {
        for (int64_t i = 0; i < g; ++i) loss[i] = firstLegLoss(w, x[i]);
        first = false;
      } else {
        for (int64_t i = 0; i < g; ++i) loss[i] = nextLegLoss(loss[i], w, x[i]);
      }
    }
    if (first) std::fill_n(loss.begin(), g, 0.0);
    double* worst = out.gridWorst.data() + a * blocks;
    int32_t* point = out.gridPoint.data() + a * blocks;
    for (int b = 0; b < blocks; ++b)
      gridBlockWorst(loss.data(), grid.blockBegin[b], grid.blockBegin[b + 1], worst + b, point + b);
    for (int64_t l = begin; l < end; ++l) {
      const int r = batch.legRow[l];
      const double w = batch.legWeight[l];
      if (!legMoves(r, w) || grid.rowBlock[r] < 0) continue;
      out.legGridLoss[l] = -(w * gridCube_[static_cast<size_t>(r) * g + point[grid.rowBlock[r]]]);
    }
  }

  // Sets every leg's standalone ES; returns whether any of account a's legs moves.
  bool startAccount(const AccountBatch& batch, int64_t a, BatchRisk& out) const {
    bool any = false;
    for (int64_t l = batch.legBegin[a]; l < batch.legBegin[a + 1]; ++l) {
      const int r = batch.legRow[l];
      const double w = batch.legWeight[l];
      out.legStandaloneEs[l] = legStandaloneEs(r, w, esLong_, esShort_);
      any = any || legMoves(r, w);
    }
    return any;
  }

  // The rows and weights of account a's moving legs from leg `from` on, in request order.
  void movingLegs(const AccountBatch& batch, int64_t a, int64_t from,
                  std::vector<const double*>& rows, std::vector<double>& weights) const {
    for (int64_t l = from; l < batch.legBegin[a + 1]; ++l) {
      if (!legMoves(batch.legRow[l], batch.legWeight[l])) continue;
      rows.push_back(row(batch.legRow[l]));
      weights.push_back(batch.legWeight[l]);
    }
  }

  // Accounts [a0, a1) together: for each replication's block, tile by tile, each moving
  // account's losses into the L1 tile and on into its tail stream; then its figures.
  void computeGroup(const AccountBatch& batch, int64_t a0, int64_t a1, Scratch& mine,
                    BatchRisk& out) const {
    std::array<int64_t, kGroup> moving;
    int g = 0;
    mine.legRows.clear();
    mine.legWeights.clear();
    for (int64_t a = a0; a < a1; ++a) {
      faultPoint("cpu.accounts");
      if (!startAccount(batch, a, out)) continue;  // riskless: every figure stays 0
      mine.legBegin[g] = static_cast<int64_t>(mine.legRows.size());
      movingLegs(batch, a, batch.legBegin[a], mine.legRows, mine.legWeights);
      moving[g++] = a;
    }
    mine.legBegin[g] = static_cast<int64_t>(mine.legRows.size());
    reduce(batch, moving.data(), g, mine, out, [&](int i, int64_t t0, int64_t t1) {
      const int64_t l0 = mine.legBegin[i];
      accumulateLosses(mine.legRows.data() + l0, mine.legWeights.data() + l0,
                       mine.legBegin[i + 1] - l0, t0, t1, false, mine.tile.data());
      return mine.tile.data();
    });
  }

  // Account a alone, its whole loss vector in mine.loss, which already holds the losses of its
  // first `reusedLegs` legs (the previous account's, which moved). Returns whether mine.loss
  // holds all of its losses.
  bool computeAccount(const AccountBatch& batch, int64_t a, Scratch& mine, BatchRisk& out,
                      int64_t reusedLegs) const {
    if (!startAccount(batch, a, out)) return false;  // riskless: every figure stays 0
    const int64_t begin = batch.legBegin[a];
    double* loss = mine.loss.data();
    mine.legRows.clear();
    mine.legWeights.clear();
    movingLegs(batch, a, begin + reusedLegs, mine.legRows, mine.legWeights);
    accumulateLosses(mine.legRows.data(), mine.legWeights.data(),
                     static_cast<int64_t>(mine.legRows.size()), 0, n_, reusedLegs > 0, loss);
    reduce(batch, &a, 1, mine, out, [&](int, int64_t t0, int64_t) { return loss + t0; });
    return true;
  }

  // The figures of `g` accounts (at most kGroup): each replication's block of scenarios, a tile
  // at a time, through each account's tail stream, `lossOf(i, t0, t1)` giving account i's losses
  // in [t0, t1); then each account's figures from its tails.
  template <typename LossOf>
  void reduce(const AccountBatch& batch, const int64_t* accounts, int g, Scratch& mine,
              BatchRisk& out, const LossOf& lossOf) const {
    const std::vector<Replication>& reps = problem_.replications;
    for (size_t b = 0; b < reps.size(); ++b) {
      const Replication& rep = reps[b];
      for (int i = 0; i < g; ++i) mine.streams[i].start(rep.k);
      for (int64_t t0 = rep.begin; t0 < rep.begin + rep.count; t0 += kTile) {
        const int64_t t1 = std::min(rep.begin + rep.count, t0 + kTile);
        for (int i = 0; i < g; ++i)
          mine.streams[i].add(lossOf(i, t0, t1), static_cast<int32_t>(t0), t1 - t0);
      }
      for (int i = 0; i < g; ++i) {
        mine.stats[i * reps.size() + b] =
            mine.streams[i].finish(problem_.confidence, mine.tail.data() + i * k_ + rep.tailOffset,
                                   mine.tailLoss.data() + i * k_ + rep.tailOffset);
      }
    }
    for (int i = 0; i < g; ++i) {
      finishAccount(batch, accounts[i], mine.stats.data() + i * reps.size(),
                    mine.tail.data() + i * k_, mine.tailLoss.data() + i * k_, out);
    }
  }

  // Account a's var, es and es_stderr from each replication's tail figures (`stats`), its tail
  // scenarios and their losses, block after block; then each leg's Euler contribution.
  void finishAccount(const AccountBatch& batch, int64_t a, const TailStats* stats,
                     const int32_t* tail, const double* tailLoss, BatchRisk& out) const {
    const std::vector<Replication>& reps = problem_.replications;
    if (reps.size() == 1) {
      const TailStats& t = stats[0];
      out.var[a] = t.var;
      out.es[a] = t.es;
      out.esStderr[a] = t.esStderr;
      if (problem_.shocks.sampling == Sampling::Antithetic) {
        double s1 = 0.0, s2 = 0.0;
        for (int64_t i = 0; i < k_; ++i) {
          const double e = tailLoss[i] - t.var;
          s1 += e;
          s2 += e * e;
          // Tail scenarios ascend, so a pair in the tail is two neighbours (2p, 2p + 1).
          if ((tail[i] & 1) == 0 && i + 1 < k_ && tail[i + 1] == tail[i] + 1)
            s2 += 2.0 * e * (tailLoss[i + 1] - t.var);
        }
        out.esStderr[a] = antitheticEsStandardError(s1, s2, n_, k_);
      }
    } else {
      ReplicationMoments es;
      double var = 0.0;
      for (size_t b = 0; b < reps.size(); ++b) {
        var += stats[b].var;
        es.add(replicationEs(stats[b].sum, stats[b].var, reps[b]));
      }
      out.var[a] = var / static_cast<double>(reps.size());
      out.es[a] = es.mean;
      out.esStderr[a] = es.standardError();
    }
    for (int64_t l = batch.legBegin[a]; l < batch.legBegin[a + 1]; ++l) {
      const int r = batch.legRow[l];
      if (!legMoves(r, batch.legWeight[l])) continue;
      const double* x = row(r);
      double c = 0.0;
      for (size_t b = 0; b < reps.size(); ++b) {
        const Replication& rep = reps[b];
        double sum = 0.0;
        for (int64_t i = rep.tailOffset; i < rep.tailOffset + rep.k; ++i) sum += x[tail[i]];
        c += replicationContribution(batch.legWeight[l], sum, x[stats[b].varScenario], rep);
      }
      out.legContribution[l] = reps.size() == 1 ? c : c / static_cast<double>(reps.size());
    }
  }

  const RiskProblem& problem_;
  const int64_t n_, k_;
  std::shared_ptr<const ShockMatrix> shocks_;  // factors × scenarios
  std::vector<double> cube_;                   // rows × scenarios
  std::vector<double> esLong_, esShort_;
  std::vector<double> gridCube_;  // rows × grid points (problem_.grid)
  std::vector<double> gridLong_, gridShort_;
};

class CpuBackend final : public RiskBackend {
 public:
  BackendChoice kind() const override { return BackendChoice::Cpu; }
  // The hardware, not this request's thread share (which the server varies with load).
  std::string device() const override {
    return "CPU, " + std::to_string(std::thread::hardware_concurrency()) +
           " hardware threads (OpenMP)";
  }
  std::unique_ptr<RiskSession> prepare(const RiskProblem& problem) override {
    return std::make_unique<CpuSession>(problem, nullptr);
  }
  std::unique_ptr<RiskSession> prepareOn(const RiskProblem& problem,
                                         std::shared_ptr<const ShockMatrix> shocks) override {
    return std::make_unique<CpuSession>(problem, std::move(shocks));
  }
  // Small enough that a batch's results and their JSON text (~1.5 KB an account) stay a few
  // tens of MB; large enough that the threads stay busy.
  int64_t batchAccounts(const RiskProblem&) const override { return 8192; }
};

}  // namespace

int buildPnlCube(const std::vector<PnlRow>& rows, const ShockMatrix& z, std::vector<double>& out) {
  const int64_t nRows = static_cast<int64_t>(rows.size());
  const int64_t n = z.cols();
  out.resize(static_cast<size_t>(nRows) * n);
  constexpr int64_t kChunk = 1024;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  int bad = static_cast<int>(nRows);
#pragma omp parallel for schedule(dynamic) collapse(2) reduction(min : bad)
  for (int64_t r = 0; r < nRows; ++r) {
    for (int64_t c = 0; c < chunks; ++c) {
      const PnlRow& spec = rows[r];
      const double* zp = spec.priceFactor >= 0 ? &z(spec.priceFactor, 0) : nullptr;
      const double* zv = spec.volFactor >= 0 ? &z(spec.volFactor, 0) : nullptr;
      double* dst = out.data() + static_cast<size_t>(r) * n;
      const int64_t end = std::min(n, (c + 1) * kChunk);
      bool plausible = true;
      for (int64_t s = c * kChunk; s < end; ++s) {
        dst[s] = rowPnl(spec, zp ? zp[s] : 0.0, zv ? zv[s] : 0.0);
        plausible &= plausibleUnitPnl(dst[s]);
      }
      if (!plausible) bad = std::min(bad, static_cast<int>(r));
    }
  }
  return bad < nRows ? bad : -1;
}

std::unique_ptr<RiskBackend> makeCpuBackend() { return std::make_unique<CpuBackend>(); }

}  // namespace xm
