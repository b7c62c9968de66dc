#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

#include "cuda/CudaCheck.cuh"
#include "cuda/CudaKernels.cuh"
#include "host/engine/Reduction.h"

namespace xm::cuda {
namespace {

using Policy = KernelPolicy;

// ---- order-preserving keys ---------------------------------------------------------------------
template <typename Real>
struct KeyOf;
template <>
struct KeyOf<double> {
  using Type = unsigned long long;
  static constexpr int kBits = 64;
};
template <>
struct KeyOf<float> {
  using Type = unsigned int;
  static constexpr int kBits = 32;
};

// Larger value <=> larger key: flip the sign bit of positives, every bit of negatives. Adding
// +0.0 first turns -0.0 into +0.0, so the two zeros are one key, as they compare equal on the
// host (a hedged account's losses mix them; ties must break the same way).
__device__ __forceinline__ unsigned long long toKey(double v) {
  const unsigned long long b = __double_as_longlong(v + 0.0);
  return (b >> 63) ? ~b : (b | 0x8000000000000000ull);
}
__device__ __forceinline__ unsigned int toKey(float v) {
  const unsigned int b = __float_as_uint(v + 0.0f);
  return (b >> 31) ? ~b : (b | 0x80000000u);
}
__device__ __forceinline__ double fromKey(unsigned long long k) {
  return __longlong_as_double((k >> 63) ? (k & 0x7fffffffffffffffull) : ~k);
}
__device__ __forceinline__ float fromKey(unsigned int k) {
  return __uint_as_float((k >> 31) ? (k & 0x7fffffffu) : ~k);
}

// ---- revaluation -------------------------------------------------------------------------------
template <typename Real>
__global__ void __launch_bounds__(Policy::kRevalueThreads)
    revalueKernel(const PnlRow* __restrict__ rows, int nRows, const double* __restrict__ z,
                  int64_t scenarios, Real* __restrict__ cube, int* implausible) {
  const int64_t s = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= scenarios) return;
  for (int r = blockIdx.y; r < nRows; r += gridDim.y) {
    const PnlRow& row = rows[r];
    const double zp = row.priceFactor >= 0 ? z[row.priceFactor * scenarios + s] : 0.0;
    const double zv = row.volFactor >= 0 ? z[row.volFactor * scenarios + s] : 0.0;
    const double v = rowPnl(row, zp, zv);
    const Real stored = static_cast<Real>(v);
    cube[r * scenarios + s] = stored;
    if (!plausibleUnitPnl(v) || !isfinite(stored)) atomicMin(implausible, r);
  }
}

// ---- block-wide selection ----------------------------------------------------------------------
template <typename Real>
struct SelectShared {
  using Key = typename KeyOf<Real>::Type;
  using Scan = cub::BlockScan<int, Policy::kSelectThreads>;
  using Reduce = cub::BlockReduce<double, Policy::kSelectThreads>;
  using ReduceInt = cub::BlockReduce<int, Policy::kSelectThreads>;
  unsigned int histogram[1 << Policy::kRadixBits];
  Key prefix;
  long long remaining;
  union {
    typename Scan::TempStorage scan;
    typename Reduce::TempStorage reduce;
    typename ReduceInt::TempStorage reduceInt;
  } temp;
  int offsets[2];
  double broadcast;
  int broadcastInt;
};

struct MaxOf {
  __device__ int operator()(int a, int b) const { return a > b ? a : b; }
};

// One block's selection: the k-th largest, the sum of the k largest (in ascending index order
// per thread, then a fixed block reduction) and the last tail index whose value is the k-th.
struct BlockSelection {
  double var, sum;
  int32_t varIndex;
};

// Block-wide sum of one double per thread, returned to every thread.
template <typename Real>
__device__ double blockSum(double v, SelectShared<Real>& sh) {
  const double total = typename SelectShared<Real>::Reduce(sh.temp.reduce).Sum(v);
  if (threadIdx.x == 0) sh.broadcast = total;
  __syncthreads();
  const double out = sh.broadcast;
  __syncthreads();
  return out;
}

// The k largest of sign * x[0..n): the k-th largest, their sum and (tail != nullptr) their
// indices + indexBase, ascending. One block; every thread returns the same figures. Long (~90
// lines) on purpose: the radix passes, the tie rule and the compaction share one block's shared
// memory and barriers, which helper functions would have to pass around and re-synchronise.
template <typename Real>
__device__ BlockSelection selectBlock(const Real* __restrict__ x, int64_t n, int64_t k, Real sign,
                                      int32_t* __restrict__ tail, int32_t indexBase,
                                      SelectShared<Real>& sh) {
  using Key = typename KeyOf<Real>::Type;
  constexpr int kBins = 1 << Policy::kRadixBits;
  const int tid = threadIdx.x;
  if (tid == 0) {
    sh.prefix = 0;
    sh.remaining = k;
  }
  Key mask = 0;
  // MSD radix select of the k-th largest key.
  for (int shift = KeyOf<Real>::kBits - Policy::kRadixBits; shift >= 0;
       shift -= Policy::kRadixBits) {
    for (int b = tid; b < kBins; b += blockDim.x) sh.histogram[b] = 0;
    __syncthreads();
    const Key prefix = sh.prefix;
    for (int64_t s = tid; s < n; s += blockDim.x) {
      const Key key = toKey(sign * x[s]);
      if ((key & mask) == prefix) atomicAdd(&sh.histogram[(key >> shift) & (kBins - 1)], 1u);
    }
    __syncthreads();
    if (tid == 0) {
      long long above = 0;
      int digit = kBins - 1;
      for (; digit > 0; --digit) {
        if (above + sh.histogram[digit] >= sh.remaining) break;
        above += sh.histogram[digit];
      }
      sh.remaining -= above;
      sh.prefix = prefix | (static_cast<Key>(digit) << shift);
    }
    mask |= static_cast<Key>(kBins - 1) << shift;
    __syncthreads();
  }
  const Key kth = sh.prefix;
  const long long ties = sh.remaining;  // values equal to the k-th to take, lowest index first
  const double var = static_cast<double>(fromKey(kth));

  // Compaction in index order: ranks by block scans, running offsets across chunks.
  if (tid == 0) sh.offsets[0] = sh.offsets[1] = 0;  // [0] ties seen, [1] taken
  __syncthreads();
  double sum = 0.0;
  int varIndex = -1;
  for (int64_t base = 0; base < n; base += blockDim.x) {
    const int64_t s = base + tid;
    Real v = 0;
    Key key = 0;
    if (s < n) {
      v = sign * x[s];
      key = toKey(v);
    }
    const int isTie = s < n && key == kth;
    int tieRank, tiesInChunk;
    typename SelectShared<Real>::Scan(sh.temp.scan).ExclusiveSum(isTie, tieRank, tiesInChunk);
    __syncthreads();
    const int take = s < n && (key > kth || (isTie && sh.offsets[0] + tieRank < ties));
    int pos, takenInChunk;
    typename SelectShared<Real>::Scan(sh.temp.scan).ExclusiveSum(take, pos, takenInChunk);
    if (take) {
      sum += static_cast<double>(v);
      if (isTie) varIndex = static_cast<int>(s);
      if (tail) tail[sh.offsets[1] + pos] = static_cast<int32_t>(s) + indexBase;
    }
    __syncthreads();
    if (tid == 0) {
      sh.offsets[0] += tiesInChunk;
      sh.offsets[1] += takenInChunk;
    }
    __syncthreads();
  }
  const double total = blockSum(sum, sh);
  const int last =
      typename SelectShared<Real>::ReduceInt(sh.temp.reduceInt).Reduce(varIndex, MaxOf());
  if (tid == 0) sh.broadcastInt = last;
  __syncthreads();
  const int32_t varAt = sh.broadcastInt + indexBase;
  __syncthreads();
  return {var, total, varAt};
}

// Over tail[0..k) (indices into x): s1 = Σ (x - center) and s2 = Σ (x - center)², plus, when
// `pairs`, 2 Σ of the products of antithetic pairs (2p, 2p + 1) both in the tail (neighbours,
// since the tail ascends). Every thread returns both.
template <typename Real>
__device__ double2 tailSums(const Real* __restrict__ x, const int32_t* __restrict__ tail, int64_t k,
                            double center, bool pairs, SelectShared<Real>& sh) {
  double s1 = 0.0, s2 = 0.0;
  for (int64_t i = threadIdx.x; i < k; i += blockDim.x) {
    const double d = static_cast<double>(x[tail[i]]) - center;
    s1 += d;
    s2 += d * d;
    if (pairs && (tail[i] & 1) == 0 && i + 1 < k && tail[i + 1] == tail[i] + 1)
      s2 += 2.0 * d * (static_cast<double>(x[tail[i + 1]]) - center);
  }
  const double t1 = blockSum(s1, sh);
  const double t2 = blockSum(s2, sh);
  return make_double2(t1, t2);
}

// One block per (row, side): blockIdx.y 0 = long (-row), 1 = short (+row). The ES of each
// replication, averaged (Reduction.h).
template <typename Real>
__global__ void __launch_bounds__(Policy::kSelectThreads)
    rowTailsKernel(const Real* __restrict__ cube, int64_t scenarios,
                   const Replication* __restrict__ reps, int nReps, double* __restrict__ esLong,
                   double* __restrict__ esShort) {
  __shared__ SelectShared<Real> sh;
  const int r = blockIdx.x;
  const bool isLong = blockIdx.y == 0;
  ReplicationMoments m;
  for (int b = 0; b < nReps; ++b) {
    const Replication rep = reps[b];
    const BlockSelection t = selectBlock<Real>(cube + r * scenarios + rep.begin, rep.count, rep.k,
                                               isLong ? Real(-1) : Real(1), nullptr, 0, sh);
    m.add(replicationEs(t.sum, t.var, rep));
  }
  if (threadIdx.x == 0) (isLong ? esLong : esShort)[r] = m.mean;
}

// One block per account: its replications' tails, var, es and es_stderr under the sampling.
template <typename Real>
__global__ void __launch_bounds__(Policy::kSelectThreads)
    selectTailKernel(const Real* __restrict__ loss, int64_t scenarios,
                     const Replication* __restrict__ reps, int nReps, int64_t tailCount,
                     Sampling sampling, double confidence, double* __restrict__ var,
                     double* __restrict__ es, double* __restrict__ esStderr,
                     int32_t* __restrict__ tail, int32_t* __restrict__ varScenario) {
  __shared__ SelectShared<Real> sh;
  const int a = blockIdx.x;
  const Real* x = loss + a * scenarios;
  int32_t* myTail = tail + a * tailCount;
  if (nReps == 1) {
    const Replication rep = reps[0];
    const BlockSelection t = selectBlock<Real>(x, rep.count, rep.k, Real(1), myTail, 0, sh);
    const double mean = replicationEs(t.sum, t.var, rep);
    double stderrValue;
    if (sampling == Sampling::Antithetic) {
      const double2 m = tailSums(x, myTail, rep.k, t.var, true, sh);
      stderrValue = antitheticEsStandardError(m.x, m.y, scenarios, rep.k);
    } else {
      const double2 m = tailSums(x, myTail, rep.k, mean, false, sh);
      stderrValue = esStandardError(m.y, mean, t.var, confidence, rep.k);
    }
    if (threadIdx.x == 0) {
      var[a] = t.var;
      es[a] = mean;
      esStderr[a] = stderrValue;
      varScenario[a] = t.varIndex;
    }
    return;
  }
  ReplicationMoments m;
  double varSum = 0.0;
  for (int b = 0; b < nReps; ++b) {
    const Replication rep = reps[b];
    const BlockSelection t =
        selectBlock<Real>(x + rep.begin, rep.count, rep.k, Real(1), myTail + rep.tailOffset,
                          static_cast<int32_t>(rep.begin), sh);
    m.add(replicationEs(t.sum, t.var, rep));
    varSum += t.var;
    if (threadIdx.x == 0) varScenario[static_cast<int64_t>(a) * nReps + b] = t.varIndex;
  }
  if (threadIdx.x == 0) {
    var[a] = varSum / static_cast<double>(nReps);
    es[a] = m.mean;
    esStderr[a] = m.standardError();
  }
}

// ---- aggregation -------------------------------------------------------------------------------
template <typename Real>
__global__ void __launch_bounds__(Policy::kAggregateThreads)
    aggregateKernel(DeviceLegs legs, const Real* __restrict__ cube, int64_t scenarios,
                    Real* __restrict__ loss) {
  const int a = blockIdx.y;
  const int64_t s = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= scenarios) return;
  const int64_t begin = legs.begin[a], end = legs.begin[a + 1];
  double acc = 0.0;
  bool any = false;
  for (int64_t l = begin; l < end; ++l) {  // legs in request order, like the host
    const int r = legs.row[l];
    const double w = legs.weight[l];
    if (!legMoves(r, w)) continue;
    const double x = static_cast<double>(cube[r * scenarios + s]);
    acc = any ? nextLegLoss(acc, w, x) : firstLegLoss(w, x);
    any = true;
  }
  loss[a * scenarios + s] = static_cast<Real>(acc);
}

// One block per account: for each leg, its Euler contribution in each replication (the mean of
// its row over the replication's tail, its VaR scenario weighted), averaged.
template <typename Real>
__global__ void __launch_bounds__(Policy::kSelectThreads)
    contributionsKernel(DeviceLegs legs, const Real* __restrict__ cube, int64_t scenarios,
                        const int32_t* __restrict__ tail, int64_t tailCount,
                        const Replication* __restrict__ reps, int nReps,
                        const int32_t* __restrict__ varScenario,
                        double* __restrict__ contribution) {
  using Reduce = cub::BlockReduce<double, Policy::kSelectThreads>;
  __shared__ typename Reduce::TempStorage temp;
  const int a = blockIdx.x;
  const int32_t* myTail = tail + a * tailCount;
  const int32_t* myVar = varScenario + static_cast<int64_t>(a) * nReps;
  for (int64_t l = legs.begin[a]; l < legs.begin[a + 1]; ++l) {
    const int r = legs.row[l];
    const double w = legs.weight[l];
    if (!legMoves(r, w)) {  // uniform across the block: no divergence at the barrier
      if (threadIdx.x == 0) contribution[l] = 0.0;
      continue;
    }
    const Real* x = cube + r * scenarios;
    double c = 0.0;
    for (int b = 0; b < nReps; ++b) {
      const Replication rep = reps[b];
      double sum = 0.0;
      for (int64_t i = threadIdx.x; i < rep.k; i += blockDim.x)
        sum += static_cast<double>(x[myTail[rep.tailOffset + i]]);
      const double total = Reduce(temp).Sum(sum);
      if (threadIdx.x == 0)
        c += replicationContribution(w, total, static_cast<double>(x[myVar[b]]), rep);
      __syncthreads();
    }
    if (threadIdx.x == 0) contribution[l] = nReps == 1 ? c : c / static_cast<double>(nReps);
  }
}

// ---- the stress grid ----------------------------------------------------------------------------
__global__ void __launch_bounds__(Policy::kRevalueThreads)
    gridRevalueKernel(const PnlRow* __restrict__ rows, int nRows,
                      const GridPoint* __restrict__ points, int64_t nPoints,
                      double* __restrict__ cube, int* implausible) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= nRows * nPoints) return;
  const int r = static_cast<int>(i / nPoints);
  const double v = gridRowPnl(rows[r], points[i % nPoints]);
  cube[i] = v;
  if (!plausibleUnitPnl(v)) atomicMin(implausible, r);
}

__global__ void gridRowWorstKernel(const double* __restrict__ cube, int nRows, int64_t nPoints,
                                   double* worstLong, double* worstShort) {
  const int r = static_cast<int>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= nRows) return;
  double l = 0.0, s = 0.0;
  for (int64_t g = 0; g < nPoints; ++g) {
    const double x = cube[r * nPoints + g];
    l = fmax(l, -x);
    s = fmax(s, x);
  }
  worstLong[r] = l;
  worstShort[r] = s;
}

__global__ void gridWorstKernel(const double* __restrict__ loss, int accounts, int64_t nPoints,
                                const int* __restrict__ blockBegin, int nBlocks, double* worst,
                                int32_t* point) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= static_cast<int64_t>(accounts) * nBlocks) return;
  const int64_t a = i / nBlocks;
  const int b = static_cast<int>(i % nBlocks);
  gridBlockWorst(loss + a * nPoints, blockBegin[b], blockBegin[b + 1], worst + i, point + i);
}

__global__ void gridLegLossKernel(DeviceLegs legs, int accounts, const double* __restrict__ cube,
                                  int64_t nPoints, const int* __restrict__ rowBlock,
                                  const int32_t* __restrict__ point, int nBlocks, double* legLoss) {
  const int a = static_cast<int>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (a >= accounts) return;
  for (int64_t l = legs.begin[a]; l < legs.begin[a + 1]; ++l) {
    const int r = legs.row[l];
    const double w = legs.weight[l];
    const int b = r >= 0 ? rowBlock[r] : -1;
    legLoss[l] = legMoves(r, w) && b >= 0
                     ? -(w * cube[r * nPoints + point[static_cast<int64_t>(a) * nBlocks + b]])
                     : 0.0;
  }
}

unsigned blocks(int64_t n, int threads) {
  return static_cast<unsigned>((n + threads - 1) / threads);
}

template <typename Real>
void revalue(const PnlRow* rows, int nRows, const double* z, int64_t scenarios, Real* cube,
             int* implausible, cudaStream_t stream) {
  if (nRows == 0 || scenarios == 0) return;
  const dim3 grid(blocks(scenarios, Policy::kRevalueThreads),
                  static_cast<unsigned>(std::min(nRows, 65535)));
  revalueKernel<Real>
      <<<grid, Policy::kRevalueThreads, 0, stream>>>(rows, nRows, z, scenarios, cube, implausible);
  XM_CUDA_CHECK_LAUNCH();
}

template <typename Real>
void rowTails(const Real* cube, int nRows, int64_t scenarios, TailPlan plan, double* esLong,
              double* esShort, cudaStream_t stream) {
  if (nRows == 0) return;
  rowTailsKernel<Real><<<dim3(nRows, 2), Policy::kSelectThreads, 0, stream>>>(
      cube, scenarios, plan.replications, plan.count, esLong, esShort);
  XM_CUDA_CHECK_LAUNCH();
}

template <typename Real>
void aggregate(DeviceLegs legs, int accounts, const Real* cube, int64_t scenarios, Real* loss,
               cudaStream_t stream) {
  if (accounts == 0) return;
  const dim3 grid(blocks(scenarios, Policy::kAggregateThreads), static_cast<unsigned>(accounts));
  aggregateKernel<Real>
      <<<grid, Policy::kAggregateThreads, 0, stream>>>(legs, cube, scenarios, loss);
  XM_CUDA_CHECK_LAUNCH();
}

template <typename Real>
void selectTail(const Real* loss, int accounts, int64_t scenarios, TailPlan plan, double* var,
                double* es, double* esStderr, int32_t* tail, int32_t* varScenario,
                cudaStream_t stream) {
  if (accounts == 0) return;
  selectTailKernel<Real><<<accounts, Policy::kSelectThreads, 0, stream>>>(
      loss, scenarios, plan.replications, plan.count, plan.tailCount, plan.sampling,
      plan.confidence, var, es, esStderr, tail, varScenario);
  XM_CUDA_CHECK_LAUNCH();
}

template <typename Real>
void contributions(DeviceLegs legs, int accounts, const Real* cube, int64_t scenarios,
                   TailPlan plan, const int32_t* tail, const int32_t* varScenario,
                   double* contribution, cudaStream_t stream) {
  if (accounts == 0) return;
  contributionsKernel<Real><<<accounts, Policy::kSelectThreads, 0, stream>>>(
      legs, cube, scenarios, tail, plan.tailCount, plan.replications, plan.count, varScenario,
      contribution);
  XM_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launchRevalue(const PnlRow* rows, int nRows, const double* z, int64_t s, double* cube,
                   int* bad, cudaStream_t st) {
  revalue(rows, nRows, z, s, cube, bad, st);
}
void launchRevalue(const PnlRow* rows, int nRows, const double* z, int64_t s, float* cube, int* bad,
                   cudaStream_t st) {
  revalue(rows, nRows, z, s, cube, bad, st);
}
void launchRowTails(const double* cube, int nRows, int64_t s, TailPlan p, double* l, double* sh,
                    cudaStream_t st) {
  rowTails(cube, nRows, s, p, l, sh, st);
}
void launchRowTails(const float* cube, int nRows, int64_t s, TailPlan p, double* l, double* sh,
                    cudaStream_t st) {
  rowTails(cube, nRows, s, p, l, sh, st);
}
void launchAggregate(DeviceLegs legs, int n, const double* cube, int64_t s, double* loss,
                     cudaStream_t st) {
  aggregate(legs, n, cube, s, loss, st);
}
void launchAggregate(DeviceLegs legs, int n, const float* cube, int64_t s, float* loss,
                     cudaStream_t st) {
  aggregate(legs, n, cube, s, loss, st);
}
void launchSelectTail(const double* loss, int n, int64_t s, TailPlan p, double* v, double* e,
                      double* se, int32_t* t, int32_t* vs, cudaStream_t st) {
  selectTail(loss, n, s, p, v, e, se, t, vs, st);
}
void launchSelectTail(const float* loss, int n, int64_t s, TailPlan p, double* v, double* e,
                      double* se, int32_t* t, int32_t* vs, cudaStream_t st) {
  selectTail(loss, n, s, p, v, e, se, t, vs, st);
}
void launchContributions(DeviceLegs legs, int n, const double* cube, int64_t s, TailPlan p,
                         const int32_t* t, const int32_t* vs, double* c, cudaStream_t st) {
  contributions(legs, n, cube, s, p, t, vs, c, st);
}
void launchContributions(DeviceLegs legs, int n, const float* cube, int64_t s, TailPlan p,
                         const int32_t* t, const int32_t* vs, double* c, cudaStream_t st) {
  contributions(legs, n, cube, s, p, t, vs, c, st);
}

void launchGridRevalue(const PnlRow* rows, int nRows, const GridPoint* points, int64_t nPoints,
                       double* cube, int* implausible, cudaStream_t stream) {
  const int64_t n = static_cast<int64_t>(nRows) * nPoints;
  if (n == 0) return;
  gridRevalueKernel<<<blocks(n, Policy::kRevalueThreads), Policy::kRevalueThreads, 0, stream>>>(
      rows, nRows, points, nPoints, cube, implausible);
  XM_CUDA_CHECK_LAUNCH();
}
void launchGridRowWorst(const double* cube, int nRows, int64_t nPoints, double* worstLong,
                        double* worstShort, cudaStream_t stream) {
  if (nRows == 0) return;
  gridRowWorstKernel<<<blocks(nRows, 128), 128, 0, stream>>>(cube, nRows, nPoints, worstLong,
                                                             worstShort);
  XM_CUDA_CHECK_LAUNCH();
}
void launchGridWorst(const double* loss, int accounts, int64_t nPoints, const int* blockBegin,
                     int nBlocks, double* worst, int32_t* point, cudaStream_t stream) {
  const int64_t n = static_cast<int64_t>(accounts) * nBlocks;
  if (n == 0) return;
  gridWorstKernel<<<blocks(n, 128), 128, 0, stream>>>(loss, accounts, nPoints, blockBegin, nBlocks,
                                                      worst, point);
  XM_CUDA_CHECK_LAUNCH();
}
void launchGridLegLoss(DeviceLegs legs, int accounts, const double* cube, int64_t nPoints,
                       const int* rowBlock, const int32_t* point, int nBlocks, double* legLoss,
                       cudaStream_t stream) {
  if (accounts == 0) return;
  gridLegLossKernel<<<blocks(accounts, 128), 128, 0, stream>>>(legs, accounts, cube, nPoints,
                                                               rowBlock, point, nBlocks, legLoss);
  XM_CUDA_CHECK_LAUNCH();
}

}  // namespace xm::cuda
