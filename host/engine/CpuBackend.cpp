#include "host/engine/CpuBackend.h"

#include <algorithm>
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

// A thread's loss, selection and tail buffers, kept between batches when small (the what-ifs of
// the service otherwise allocate and clear 16·S bytes per request); released past 64k scenarios
// so that the many threads of the service do not each hold a large one.
struct Scratch {
  std::vector<double> loss, select, gridLoss;
  std::vector<int32_t> tail;
  std::vector<int32_t> varScenario;  // per replication of the account being reduced
  void fit(int64_t n, int64_t k) {
    constexpr int64_t kKeep = 1 << 16;
    if (n > kKeep || static_cast<int64_t>(loss.size()) > kKeep) {
      loss = std::vector<double>(n);
      select = std::vector<double>(n);
      tail = std::vector<int32_t>(k);
      return;
    }
    if (static_cast<int64_t>(loss.size()) < n) {
      loss.resize(n);
      select.resize(n);
    }
    if (static_cast<int64_t>(tail.size()) < k) tail.resize(k);
  }
};
Scratch& scratchOfThisThread() {
  thread_local Scratch scratch;
  return scratch;
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
    ParallelErrors errors;
#pragma omp parallel
    {
      // Every thread must reach the worksharing loop (its barrier), even one whose scratch
      // allocation failed: that thread then skips its accounts and the error is rethrown.
      Scratch& mine = scratchOfThisThread();
      bool ready = false;
      errors.capture([&] {
        mine.fit(n_, k_);
        ready = true;
      });
      double* loss = mine.loss.data();
      double* scratch = mine.select.data();
      int32_t* tail = mine.tail.data();
#pragma omp for schedule(dynamic, 8)
      for (int64_t a = 0; a < accounts; ++a) {
        if (ready) {
          errors.capture([&] {
            faultPoint("cpu.accounts");
            computeAccount(batch, a, loss, scratch, tail, out, 0, false);
            if (problem_.grid) computeGrid(batch, a, mine.gridLoss, out);
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
      std::vector<double> neg, scratch;
      bool ready = false;
      errors.capture([&] {
        neg.resize(n_);
        scratch.resize(n_);
        ready = true;
      });
#pragma omp for schedule(dynamic)
      for (int64_t r = 0; r < rows; ++r) {
        if (!ready) continue;
        errors.capture([&] {
          faultPoint("cpu.row_tails");
          const double* x = row(static_cast<int>(r));
          for (int64_t s = 0; s < n_; ++s) neg[s] = -x[s];
          esLong_[r] = replicatedTailMean(neg.data(), problem_.replications, scratch.data());
          esShort_[r] = replicatedTailMean(x, problem_.replications, scratch.data());
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
    mine.fit(n_, k_);
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
      lossHolds = computeAccount(batch, a, mine.loss.data(), mine.select.data(), mine.tail.data(),
                                 out, reused, reused > 0);
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

  // Account a's figures. The first `reusedLegs` legs are already in `loss` (a moving leg among
  // them when `reusedMoved`). Returns whether `loss` now holds all of the account's losses.
  bool computeAccount(const AccountBatch& batch, int64_t a, double* loss, double* scratch,
                      int32_t* tail, BatchRisk& out, int64_t reusedLegs, bool reusedMoved) const {
    const int64_t begin = batch.legBegin[a], end = batch.legBegin[a + 1];
    bool any = false;  // does any leg move?
    for (int64_t l = begin; l < end; ++l) {
      const int r = batch.legRow[l];
      const double w = batch.legWeight[l];
      out.legStandaloneEs[l] = legStandaloneEs(r, w, esLong_, esShort_);
      any = any || legMoves(r, w);
    }
    if (!any) return false;  // riskless: every figure stays 0
    // A prefix of legs that moved nothing left `loss` unwritten: start afresh.
    if (!reusedMoved) reusedLegs = 0;
    // Scenario tiles keep the account's loss tile in L1 while its rows stream past; within a
    // scenario the legs still add in request order (the GPU's order too).
    constexpr int64_t kTile = 1024;
    for (int64_t t0 = 0; t0 < n_; t0 += kTile) {
      const int64_t t1 = std::min(n_, t0 + kTile);
      bool first = reusedLegs == 0;
      for (int64_t l = begin + reusedLegs; l < end; ++l) {
        const int r = batch.legRow[l];
        const double w = batch.legWeight[l];
        if (!legMoves(r, w)) continue;
        const double* x = row(r);
        if (first) {
          for (int64_t s = t0; s < t1; ++s) loss[s] = firstLegLoss(w, x[s]);
          first = false;
        } else {
          for (int64_t s = t0; s < t1; ++s) loss[s] = nextLegLoss(loss[s], w, x[s]);
        }
      }
    }

    std::vector<int32_t>& varScenario = scratchOfThisThread().varScenario;
    reduceTails(loss, scratch, tail, a, varScenario, out);
    const std::vector<Replication>& reps = problem_.replications;
    for (int64_t l = begin; l < end; ++l) {
      const int r = batch.legRow[l];
      if (!legMoves(r, batch.legWeight[l])) continue;
      const double* x = row(r);
      double c = 0.0;
      for (size_t b = 0; b < reps.size(); ++b) {
        const Replication& rep = reps[b];
        double sum = 0.0;
        for (int64_t i = rep.tailOffset; i < rep.tailOffset + rep.k; ++i) sum += x[tail[i]];
        c += replicationContribution(batch.legWeight[l], sum, x[varScenario[b]], rep);
      }
      out.legContribution[l] = reps.size() == 1 ? c : c / static_cast<double>(reps.size());
    }
    return true;
  }

  // Account a's var, es and es_stderr from its losses under the problem's sampling; leaves each
  // replication's tail (ascending scenarios) in tail[offset .. offset + k) and its VaR scenario
  // in varScenario.
  void reduceTails(const double* loss, double* scratch, int32_t* tail, int64_t a,
                   std::vector<int32_t>& varScenario, BatchRisk& out) const {
    const std::vector<Replication>& reps = problem_.replications;
    varScenario.resize(reps.size());
    if (reps.size() == 1) {
      const TailStats t = selectTail(loss, n_, k_, problem_.confidence, scratch, tail);
      varScenario[0] = t.varScenario;
      out.var[a] = t.var;
      out.es[a] = t.es;
      out.esStderr[a] = t.esStderr;
      if (problem_.shocks.sampling == Sampling::Antithetic) {
        double s1 = 0.0, s2 = 0.0;
        for (int64_t i = 0; i < k_; ++i) {
          const double e = loss[tail[i]] - t.var;
          s1 += e;
          s2 += e * e;
          // Tail scenarios ascend, so a pair in the tail is two neighbours (2p, 2p + 1).
          if ((tail[i] & 1) == 0 && i + 1 < k_ && tail[i + 1] == tail[i] + 1)
            s2 += 2.0 * e * (loss[tail[i + 1]] - t.var);
        }
        out.esStderr[a] = antitheticEsStandardError(s1, s2, n_, k_);
      }
      return;
    }
    ReplicationMoments es;
    double var = 0.0;
    for (size_t b = 0; b < reps.size(); ++b) {
      const Replication& rep = reps[b];
      int32_t* t = tail + rep.tailOffset;
      const TailStats ts =
          selectTail(loss + rep.begin, rep.count, rep.k, problem_.confidence, scratch, t);
      for (int64_t i = 0; i < rep.k; ++i) t[i] += static_cast<int32_t>(rep.begin);
      varScenario[b] = ts.varScenario + static_cast<int32_t>(rep.begin);
      var += ts.var;
      es.add(replicationEs(ts.sum, ts.var, rep));
    }
    out.var[a] = var / static_cast<double>(reps.size());
    out.es[a] = es.mean;
    out.esStderr[a] = es.standardError();
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
