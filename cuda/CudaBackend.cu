// The CUDA backend: scenarios, revaluation, aggregation, selection and Euler contributions on
// one device, behind the engine interface (host/engine/RiskBackend.h).
//
//   prepare   shocks Z (factors × S) -> P&L cube (rows × S, Real) -> per-row long/short ES
//   compute   accounts in device chunks: legs H2D (copy stream) -> losses (chunk × S) ->
//             radix-select tails -> contributions -> figures D2H (copy stream); chunk j+1's
//             upload and chunk j-1's download overlap chunk j's kernels (two slots, events)
//
// Memory: the cube, 8·S·R (fp64) or 4·S·R (fp32), lives for the request; Z (and eps above
// kMaxFusedFactors factors) only while revaluing; per chunk of C accounts with L legs:
// C·S·sizeof(Real) losses + 4·C·k tail indices + 20·L + 8·C. Chunks are sized from the free
// device memory found at run time, and an allocation failure halves them: out of memory never
// crashes, it slows down. Only a cube that cannot fit at all is an error (503 / exit 1).

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "cuda/CudaBackend.h"
#include "cuda/CudaCheck.cuh"
#include "cuda/CudaKernels.cuh"
#include "cuda/CudaResources.cuh"
#include "cuda/CudaScenarioGenerator.cuh"
#include "host/engine/RiskBackend.h"
#include "host/model/Errors.h"
#include "scenarios/ShockCache.h"
#include "scenarios/Sobol.h"

namespace xm {
namespace cuda {
namespace {

// One device session at a time per process: it owns the resources while it lives.
std::mutex& deviceMutex() {
  static std::mutex m;
  return m;
}

// Created on first use and never destroyed: destroying streams and the cuBLAS handle from a
// static destructor would run after the CUDA runtime's own teardown at exit.
CudaResources& resources() {
  static CudaResources* r = new CudaResources(0);
  return *r;
}

int deviceCount() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the "no driver" error
    return 0;
  }
  return count;
}

// Row-major copy of the loading matrix (Eigen stores column-major).
std::vector<double> rowMajor(const Eigen::MatrixXd& m) {
  std::vector<double> out(static_cast<size_t>(m.rows() * m.cols()));
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) out[i * m.cols() + j] = m(i, j);
  return out;
}

// Correlated shocks of scenarios [first, first + count) into a device buffer.
void deviceShocks(CudaResources& res, const FactorModel& model, const ShockSpec& spec,
                  int64_t first, int64_t count, DeviceBuffer<double>& z) {
  const int f = model.factors();
  const std::vector<double> l = rowMajor(model.loading);
  DeviceBuffer<double> dLoading, eps;
  dLoading.reserve(l.size());
  XM_CUDA_CHECK(cudaMemcpyAsync(dLoading.data(), l.data(), l.size() * sizeof(double),
                                cudaMemcpyHostToDevice, res.compute()));
  // Sobol: the scrambled table, built on the host (integer work, a few hundred KiB at most).
  DeviceBuffer<uint64_t> dSobol;
  DrawPlan plan{spec.seed, spec.sampling, spec.scenarios, spec.replications, f, nullptr};
  if (spec.sampling == Sampling::Sobol) {
    const std::vector<uint64_t> table = scrambledSobolTable(spec.seed, spec.replications, f);
    dSobol.reserve(table.size());
    XM_CUDA_CHECK(cudaMemcpyAsync(dSobol.data(), table.data(), table.size() * sizeof(uint64_t),
                                  cudaMemcpyHostToDevice, res.compute()));
    XM_CUDA_CHECK(cudaStreamSynchronize(res.compute()));  // the pageable source goes out of scope
    plan.sobol = dSobol.data();
  }
  z.reserve(static_cast<size_t>(f) * count);
  if (f > kMaxFusedFactors) eps.reserve(static_cast<size_t>(f) * count);
  generateShocks(dLoading.data(), f, {plan, spec.studentT, spec.dof}, first, count, z.data(),
                 eps.data(), f > kMaxFusedFactors ? res.blas() : nullptr, res.compute());
  XM_CUDA_CHECK(cudaStreamSynchronize(res.compute()));
}

template <typename Real>
class CudaSession final : public RiskSession {
 public:
  explicit CudaSession(const RiskProblem& p)
      : lock_(deviceMutex()),
        res_(resources()),
        n_(p.scenarios),
        k_(p.tailCount),
        confidence_(p.confidence),
        rows_(static_cast<int>(p.rows.size())),
        nReps_(static_cast<int>(p.replications.size())),
        sampling_(p.shocks.sampling) {
    XM_CUDA_CHECK(cudaSetDevice(res_.device()));
    const size_t cubeBytes = sizeof(Real) * static_cast<size_t>(rows_) * n_;
    try {
      DeviceBuffer<double> z;
      if (p.shocks.fhs) {  // filtered historical simulation: the host's generator, uploaded
        const auto host = cachedShocks(p.factors, p.shocks, n_);
        z.reserve(static_cast<size_t>(host->size()));
        XM_CUDA_CHECK(cudaMemcpy(z.data(), host->data(), host->size() * sizeof(double),
                                 cudaMemcpyHostToDevice));
      } else {
        deviceShocks(res_, p.factors, p.shocks, 0, n_, z);
      }
      DeviceBuffer<PnlRow> dRows;
      dRows.reserve(p.rows.size());
      XM_CUDA_CHECK(cudaMemcpyAsync(dRows.data(), p.rows.data(), p.rows.size() * sizeof(PnlRow),
                                    cudaMemcpyHostToDevice, res_.compute()));
      cube_.reserve(static_cast<size_t>(rows_) * n_);
      DeviceBuffer<int> implausible;
      implausible.reserve(1);
      const int none = rows_;
      XM_CUDA_CHECK(cudaMemcpyAsync(implausible.data(), &none, sizeof(int), cudaMemcpyHostToDevice,
                                    res_.compute()));
      launchRevalue(dRows.data(), rows_, z.data(), n_, cube_.data(), implausible.data(),
                    res_.compute());
      int firstImplausible = none;
      XM_CUDA_CHECK(cudaMemcpyAsync(&firstImplausible, implausible.data(), sizeof(int),
                                    cudaMemcpyDeviceToHost, res_.compute()));
      XM_CUDA_CHECK(cudaStreamSynchronize(res_.compute()));
      if (firstImplausible < rows_) throwImplausibleRow(p, firstImplausible);
      dReplications_.reserve(p.replications.size());
      XM_CUDA_CHECK(cudaMemcpy(dReplications_.data(), p.replications.data(),
                               p.replications.size() * sizeof(Replication),
                               cudaMemcpyHostToDevice));
      DeviceBuffer<double> dLong, dShort;
      dLong.reserve(rows_);
      dShort.reserve(rows_);
      launchRowTails(cube_.data(), rows_, n_, tailPlan(), dLong.data(), dShort.data(),
                     res_.compute());
      esLong_.resize(rows_);
      esShort_.resize(rows_);
      XM_CUDA_CHECK(cudaMemcpyAsync(esLong_.data(), dLong.data(), rows_ * sizeof(double),
                                    cudaMemcpyDeviceToHost, res_.compute()));
      XM_CUDA_CHECK(cudaMemcpyAsync(esShort_.data(), dShort.data(), rows_ * sizeof(double),
                                    cudaMemcpyDeviceToHost, res_.compute()));
      XM_CUDA_CHECK(cudaStreamSynchronize(res_.compute()));
      if (p.grid) prepareGrid(p, dRows.data());
    } catch (const DeviceOutOfMemory&) {
      throw BackendError("the P&L cube (" + std::to_string(rows_) + " rows x " +
                         std::to_string(n_) + " scenarios, " + std::to_string(cubeBytes >> 20) +
                         " MiB) and its shocks do not fit in the CUDA device's memory; use fewer "
                         "scenarios, fp32, or the CPU backend");
    }
    for (auto& e : events_) XM_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  }

  ~CudaSession() override {
    cudaStreamSynchronize(res_.copy());
    cudaStreamSynchronize(res_.compute());
    for (auto e : events_)
      if (e) cudaEventDestroy(e);
  }

  Precision precision() const override {
    return sizeof(Real) == 8 ? Precision::Fp64 : Precision::Fp32;
  }

  void compute(const AccountBatch& batch, BatchRisk& out) override {
    const int64_t accounts = batch.count();
    out.resize(accounts, batch.legs(), blocks_);
    for (int64_t l = 0; l < batch.legs(); ++l) {
      out.legStandaloneEs[l] =
          legStandaloneEs(batch.legRow[l], batch.legWeight[l], esLong_, esShort_);
      if (blocks_ > 0) {
        out.legGridStandalone[l] =
            legStandaloneEs(batch.legRow[l], batch.legWeight[l], gridLong_, gridShort_);
      }
    }
    for (;;) {
      try {
        run(batch, out);
        return;
      } catch (const DeviceOutOfMemory&) {
        // Drain what was queued, free the chunk buffers and retry with chunks half as large.
        cudaStreamSynchronize(res_.copy());
        cudaStreamSynchronize(res_.compute());
        for (Slot& s : slots_) s.release();
        if (chunk_ <= 1) throw BackendError("CUDA device out of memory even for one account");
        chunk_ = std::max<int64_t>(1, chunk_ / 2);
      }
    }
  }

 private:
  // Device and pinned buffers of one chunk in flight.
  struct Slot {
    DeviceBuffer<int64_t> begin;
    DeviceBuffer<int32_t> row;
    DeviceBuffer<double> weight, var, es, esStderr, contribution;
    DeviceBuffer<Real> loss;
    DeviceBuffer<int32_t> tail, varScenario;
    PinnedBuffer<int64_t> hBegin;
    PinnedBuffer<int32_t> hRow;
    PinnedBuffer<double> hWeight, hVar, hEs, hEsStderr, hContribution;
    // The stress grid's (blocks_ > 0): losses (chunk × points), worst per block, leg losses.
    DeviceBuffer<double> gridLoss, gridWorst, gridLegLoss;
    DeviceBuffer<int32_t> gridPoint;
    PinnedBuffer<double> hGridWorst, hGridLegLoss;
    PinnedBuffer<int32_t> hGridPoint;
    int64_t first = -1, count = 0, legFirst = 0, legs = 0;  // what it holds (first = -1: nothing)

    void release() {
      gridLoss.release();
      gridWorst.release();
      gridLegLoss.release();
      gridPoint.release();
      begin.release();
      row.release();
      weight.release();
      var.release();
      es.release();
      esStderr.release();
      contribution.release();
      loss.release();
      tail.release();
      varScenario.release();
      first = -1;
    }
  };

  // Accounts per chunk: what half the free device memory holds, capped by a launch's limit.
  int64_t chunkFor(int64_t accounts) {
    if (chunk_ == 0) {
      const size_t perAccount = sizeof(Real) * n_ + 4 * k_ + 4 * nReps_ + 8 * 4 + 20 * 16 +
                                8 * gridPoints_ + 12 * blocks_;
      const size_t free = res_.freeBytes() / 2;  // two slots
      chunk_ = std::clamp<int64_t>(static_cast<int64_t>(free / 2 / perAccount), 1,
                                   KernelPolicy::kMaxAccountsPerLaunch);
    }
    return std::min(chunk_, std::max<int64_t>(accounts, 1));
  }

  void run(const AccountBatch& batch, BatchRisk& out) {
    const int64_t accounts = batch.count();
    const int64_t chunk = chunkFor(accounts);
    for (Slot& s : slots_) s.first = -1;
    int j = 0;
    for (int64_t first = 0; first < accounts; first += chunk, ++j) {
      Slot& slot = slots_[j % 2];
      harvest(slot, out);  // the chunk that used this slot two steps ago
      enqueue(batch, first, std::min(chunk, accounts - first), slot, j % 2);
    }
    for (Slot& s : slots_) harvest(s, out);
  }

  void enqueue(const AccountBatch& batch, int64_t first, int64_t count, Slot& s, int index) {
    const int64_t legFirst = batch.legBegin[first];
    const int64_t legs = batch.legBegin[first + count] - legFirst;
    s.begin.reserve(count + 1);
    s.row.reserve(legs);
    s.weight.reserve(legs);
    s.contribution.reserve(legs);
    s.var.reserve(count);
    s.es.reserve(count);
    s.esStderr.reserve(count);
    s.loss.reserve(static_cast<size_t>(count) * n_);
    s.tail.reserve(static_cast<size_t>(count) * k_);
    s.varScenario.reserve(static_cast<size_t>(count) * nReps_);
    s.hBegin.reserve(count + 1);
    s.hRow.reserve(legs);
    s.hWeight.reserve(legs);
    s.hContribution.reserve(legs);
    s.hVar.reserve(count);
    s.hEs.reserve(count);
    s.hEsStderr.reserve(count);
    // Stage the chunk's legs with offsets relative to the chunk (host work overlaps the device).
    for (int64_t a = 0; a <= count; ++a) s.hBegin[a] = batch.legBegin[first + a] - legFirst;
    std::copy_n(batch.legRow.data() + legFirst, legs, s.hRow.data());
    std::copy_n(batch.legWeight.data() + legFirst, legs, s.hWeight.data());

    cudaEvent_t uploaded = events_[3 * index], computed = events_[3 * index + 1];
    cudaStream_t copy = res_.copy(), compute = res_.compute();
    XM_CUDA_CHECK(cudaMemcpyAsync(s.begin.data(), s.hBegin.data(), (count + 1) * sizeof(int64_t),
                                  cudaMemcpyHostToDevice, copy));
    XM_CUDA_CHECK(cudaMemcpyAsync(s.row.data(), s.hRow.data(), legs * sizeof(int32_t),
                                  cudaMemcpyHostToDevice, copy));
    XM_CUDA_CHECK(cudaMemcpyAsync(s.weight.data(), s.hWeight.data(), legs * sizeof(double),
                                  cudaMemcpyHostToDevice, copy));
    XM_CUDA_CHECK(cudaEventRecord(uploaded, copy));
    XM_CUDA_CHECK(cudaStreamWaitEvent(compute, uploaded, 0));
    const DeviceLegs legsView{s.begin.data(), s.row.data(), s.weight.data()};
    const int c = static_cast<int>(count);
    launchAggregate(legsView, c, cube_.data(), n_, s.loss.data(), compute);
    launchSelectTail(s.loss.data(), c, n_, tailPlan(), s.var.data(), s.es.data(), s.esStderr.data(),
                     s.tail.data(), s.varScenario.data(), compute);
    launchContributions(legsView, c, cube_.data(), n_, tailPlan(), s.tail.data(),
                        s.varScenario.data(), s.contribution.data(), compute);
    if (blocks_ > 0) enqueueGrid(s, legsView, c, legs, compute);
    XM_CUDA_CHECK(cudaEventRecord(computed, compute));
    XM_CUDA_CHECK(cudaStreamWaitEvent(copy, computed, 0));
    XM_CUDA_CHECK(cudaMemcpyAsync(s.hVar.data(), s.var.data(), count * sizeof(double),
                                  cudaMemcpyDeviceToHost, copy));
    XM_CUDA_CHECK(cudaMemcpyAsync(s.hEs.data(), s.es.data(), count * sizeof(double),
                                  cudaMemcpyDeviceToHost, copy));
    XM_CUDA_CHECK(cudaMemcpyAsync(s.hEsStderr.data(), s.esStderr.data(), count * sizeof(double),
                                  cudaMemcpyDeviceToHost, copy));
    XM_CUDA_CHECK(cudaMemcpyAsync(s.hContribution.data(), s.contribution.data(),
                                  legs * sizeof(double), cudaMemcpyDeviceToHost, copy));
    if (blocks_ > 0) {
      const size_t cells = static_cast<size_t>(count) * blocks_;
      XM_CUDA_CHECK(cudaMemcpyAsync(s.hGridWorst.data(), s.gridWorst.data(), cells * sizeof(double),
                                    cudaMemcpyDeviceToHost, copy));
      XM_CUDA_CHECK(cudaMemcpyAsync(s.hGridPoint.data(), s.gridPoint.data(),
                                    cells * sizeof(int32_t), cudaMemcpyDeviceToHost, copy));
      XM_CUDA_CHECK(cudaMemcpyAsync(s.hGridLegLoss.data(), s.gridLegLoss.data(),
                                    legs * sizeof(double), cudaMemcpyDeviceToHost, copy));
    }
    XM_CUDA_CHECK(cudaEventRecord(events_[3 * index + 2], copy));
    s.first = first;
    s.count = count;
    s.legFirst = legFirst;
    s.legs = legs;
    slotEvent_[index] = events_[3 * index + 2];
  }

  void harvest(Slot& s, BatchRisk& out) {
    if (s.first < 0) return;
    const int index = static_cast<int>(&s - slots_);
    XM_CUDA_CHECK(cudaEventSynchronize(slotEvent_[index]));
    std::copy_n(s.hVar.data(), s.count, out.var.data() + s.first);
    std::copy_n(s.hEs.data(), s.count, out.es.data() + s.first);
    std::copy_n(s.hEsStderr.data(), s.count, out.esStderr.data() + s.first);
    std::copy_n(s.hContribution.data(), s.legs, out.legContribution.data() + s.legFirst);
    if (blocks_ > 0) {
      const size_t cells = static_cast<size_t>(s.count) * blocks_;
      std::copy_n(s.hGridWorst.data(), cells, out.gridWorst.data() + s.first * blocks_);
      std::copy_n(s.hGridPoint.data(), cells, out.gridPoint.data() + s.first * blocks_);
      std::copy_n(s.hGridLegLoss.data(), s.legs, out.legGridLoss.data() + s.legFirst);
    }
    s.first = -1;
  }

  // The stress grid: its points and blocks on the device, its cube (rows × points, fp64 whatever
  // the precision: it is small), and each row's worst loss alone.
  void prepareGrid(const RiskProblem& p, const PnlRow* dRows) {
    const StressGrid& grid = *p.grid;
    gridPoints_ = grid.size();
    blocks_ = grid.blocks();
    DeviceBuffer<GridPoint> dPoints;
    dPoints.reserve(grid.points.size());
    dBlockBegin_.reserve(grid.blockBegin.size());
    dRowBlock_.reserve(std::max<size_t>(grid.rowBlock.size(), 1));
    gridCube_.reserve(static_cast<size_t>(rows_) * gridPoints_);
    cudaStream_t st = res_.compute();
    XM_CUDA_CHECK(cudaMemcpyAsync(dPoints.data(), grid.points.data(),
                                  grid.points.size() * sizeof(GridPoint), cudaMemcpyHostToDevice,
                                  st));
    XM_CUDA_CHECK(cudaMemcpyAsync(dBlockBegin_.data(), grid.blockBegin.data(),
                                  grid.blockBegin.size() * sizeof(int), cudaMemcpyHostToDevice,
                                  st));
    XM_CUDA_CHECK(cudaMemcpyAsync(dRowBlock_.data(), grid.rowBlock.data(),
                                  grid.rowBlock.size() * sizeof(int), cudaMemcpyHostToDevice, st));
    DeviceBuffer<int> implausible;
    implausible.reserve(1);
    const int none = rows_;
    XM_CUDA_CHECK(
        cudaMemcpyAsync(implausible.data(), &none, sizeof(int), cudaMemcpyHostToDevice, st));
    launchGridRevalue(dRows, rows_, dPoints.data(), gridPoints_, gridCube_.data(),
                      implausible.data(), st);
    int firstImplausible = none;
    XM_CUDA_CHECK(cudaMemcpyAsync(&firstImplausible, implausible.data(), sizeof(int),
                                  cudaMemcpyDeviceToHost, st));
    DeviceBuffer<double> dLong, dShort;
    dLong.reserve(std::max(rows_, 1));
    dShort.reserve(std::max(rows_, 1));
    launchGridRowWorst(gridCube_.data(), rows_, gridPoints_, dLong.data(), dShort.data(), st);
    gridLong_.resize(rows_);
    gridShort_.resize(rows_);
    XM_CUDA_CHECK(cudaMemcpyAsync(gridLong_.data(), dLong.data(), rows_ * sizeof(double),
                                  cudaMemcpyDeviceToHost, st));
    XM_CUDA_CHECK(cudaMemcpyAsync(gridShort_.data(), dShort.data(), rows_ * sizeof(double),
                                  cudaMemcpyDeviceToHost, st));
    XM_CUDA_CHECK(cudaStreamSynchronize(st));
    if (firstImplausible < rows_) throwImplausibleRow(p, firstImplausible);
  }

  // A chunk on the grid: the same aggregation kernel over the grid's cube, then the worst point
  // of each block and each leg's loss there.
  void enqueueGrid(Slot& s, const DeviceLegs& legsView, int count, int64_t legs,
                   cudaStream_t compute) {
    const size_t cells = static_cast<size_t>(count) * blocks_;
    s.gridLoss.reserve(static_cast<size_t>(count) * gridPoints_);
    s.gridWorst.reserve(cells);
    s.gridPoint.reserve(cells);
    s.gridLegLoss.reserve(std::max<int64_t>(legs, 1));
    s.hGridWorst.reserve(cells);
    s.hGridPoint.reserve(cells);
    s.hGridLegLoss.reserve(std::max<int64_t>(legs, 1));
    launchAggregate(legsView, count, gridCube_.data(), gridPoints_, s.gridLoss.data(), compute);
    launchGridWorst(s.gridLoss.data(), count, gridPoints_, dBlockBegin_.data(), blocks_,
                    s.gridWorst.data(), s.gridPoint.data(), compute);
    launchGridLegLoss(legsView, count, gridCube_.data(), gridPoints_, dRowBlock_.data(),
                      s.gridPoint.data(), blocks_, s.gridLegLoss.data(), compute);
  }

  TailPlan tailPlan() const { return {dReplications_.data(), nReps_, k_, sampling_, confidence_}; }

  std::unique_lock<std::mutex> lock_;
  CudaResources& res_;
  const int64_t n_, k_;
  const double confidence_;
  const int rows_;
  const int nReps_;
  const Sampling sampling_;
  DeviceBuffer<Replication> dReplications_;
  DeviceBuffer<Real> cube_;
  std::vector<double> esLong_, esShort_;
  // The stress grid (RiskProblem::grid), blocks_ = 0 without one.
  int blocks_ = 0;
  int64_t gridPoints_ = 0;
  DeviceBuffer<double> gridCube_;
  DeviceBuffer<int> dBlockBegin_, dRowBlock_;
  std::vector<double> gridLong_, gridShort_;
  Slot slots_[2];
  cudaEvent_t events_[6] = {};
  cudaEvent_t slotEvent_[2] = {};
  int64_t chunk_ = 0;
};

class CudaBackend final : public RiskBackend {
 public:
  BackendChoice kind() const override { return BackendChoice::Cuda; }
  std::string device() const override { return resources().name(); }
  std::unique_ptr<RiskSession> prepare(const RiskProblem& problem) override {
    if (problem.precision == Precision::Fp32) return std::make_unique<CudaSession<float>>(problem);
    return std::make_unique<CudaSession<double>>(problem);
  }
  // Engine batches only bound host memory here; device chunks are sized by the session.
  int64_t batchAccounts(const RiskProblem&) const override { return 1 << 18; }
};

}  // namespace
}  // namespace cuda

CudaStatus cudaStatus() {
  CudaStatus s;
  s.compiled = true;
  s.implemented = true;
  s.devices = cuda::deviceCount();
  if (s.devices > 0) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) s.device = prop.name;
  } else {
    s.reason = "no CUDA device is available on this machine";
  }
  return s;
}

std::unique_ptr<RiskBackend> makeCudaBackend() {
  if (cuda::deviceCount() == 0) throw BackendError(cudaStatus().reason);
  return std::make_unique<cuda::CudaBackend>();
}

std::vector<double> cudaIndependentDraws(uint64_t seed, int64_t first, int64_t count, int factors) {
  if (cuda::deviceCount() == 0) throw BackendError(cudaStatus().reason);
  std::lock_guard<std::mutex> lock(cuda::deviceMutex());
  cuda::CudaResources& res = cuda::resources();
  cuda::DeviceBuffer<double> eps;
  eps.reserve(static_cast<size_t>(factors) * count);
  const DrawPlan plan{seed, Sampling::Mc, 0, 1, factors, nullptr};
  cuda::launchIndependentDraws(plan, first, count, eps.data(), res.compute());
  std::vector<double> out(static_cast<size_t>(factors) * count);
  XM_CUDA_CHECK(cudaMemcpyAsync(out.data(), eps.data(), out.size() * sizeof(double),
                                cudaMemcpyDeviceToHost, res.compute()));
  XM_CUDA_CHECK(cudaStreamSynchronize(res.compute()));
  return out;
}

std::vector<double> cudaCorrelatedShocks(const FactorModel& model, const ShockSpec& spec,
                                         int64_t first, int64_t count) {
  if (cuda::deviceCount() == 0) throw BackendError(cudaStatus().reason);
  std::lock_guard<std::mutex> lock(cuda::deviceMutex());
  cuda::CudaResources& res = cuda::resources();
  cuda::DeviceBuffer<double> z;
  cuda::deviceShocks(res, model, spec, first, count, z);
  std::vector<double> out(static_cast<size_t>(model.factors()) * count);
  XM_CUDA_CHECK(
      cudaMemcpy(out.data(), z.data(), out.size() * sizeof(double), cudaMemcpyDeviceToHost));
  return out;
}

}  // namespace xm
