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
  unsigned int histogram[1 << Policy::kRadixBits];
  Key prefix;
  long long remaining;
  union {
    typename Scan::TempStorage scan;
    typename Reduce::TempStorage reduce;
  } temp;
  int offsets[2];
  double broadcast;
};

struct BlockTail {
  double var, es, esStderr;
};

// The k largest of sign * x[0..n): their mean, the k-th largest, and (tail != nullptr) their
// indices ascending with the Monte Carlo error of the mean. One block; every thread returns the
// same figures. Long (~90 lines) on purpose: the radix passes, the tie rule and the reductions
// share one block's shared memory and barriers, which helper functions would have to pass around
// and re-synchronise.
template <typename Real>
__device__ BlockTail selectBlock(const Real* __restrict__ x, int64_t n, int64_t k, Real sign,
                                 double confidence, int32_t* __restrict__ tail,
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
      if (tail) tail[sh.offsets[1] + pos] = static_cast<int32_t>(s);
    }
    __syncthreads();
    if (tid == 0) {
      sh.offsets[0] += tiesInChunk;
      sh.offsets[1] += takenInChunk;
    }
    __syncthreads();
  }
  const double total = typename SelectShared<Real>::Reduce(sh.temp.reduce).Sum(sum);
  if (tid == 0) sh.broadcast = total / static_cast<double>(k);
  __syncthreads();
  const double es = sh.broadcast;
  __syncthreads();

  double stderrValue = 0.0;
  if (tail) {
    double ss = 0.0;
    for (int64_t i = tid; i < k; i += blockDim.x) {
      const double d = static_cast<double>(sign * x[tail[i]]) - es;
      ss += d * d;
    }
    const double tss = typename SelectShared<Real>::Reduce(sh.temp.reduce).Sum(ss);
    if (tid == 0) sh.broadcast = esStandardError(tss, es, var, confidence, k);
    __syncthreads();
    stderrValue = sh.broadcast;
    __syncthreads();
  }
  return {var, es, stderrValue};
}

// One block per (row, side): blockIdx.y 0 = long (-row), 1 = short (+row).
template <typename Real>
__global__ void __launch_bounds__(Policy::kSelectThreads)
    rowTailsKernel(const Real* __restrict__ cube, int64_t scenarios, int64_t k,
                   double* __restrict__ esLong, double* __restrict__ esShort) {
  __shared__ SelectShared<Real> sh;
  const int r = blockIdx.x;
  const bool isLong = blockIdx.y == 0;
  const BlockTail t = selectBlock<Real>(cube + r * scenarios, scenarios, k,
                                        isLong ? Real(-1) : Real(1), 0.0, nullptr, sh);
  if (threadIdx.x == 0) (isLong ? esLong : esShort)[r] = t.es;
}

template <typename Real>
__global__ void __launch_bounds__(Policy::kSelectThreads)
    selectTailKernel(const Real* __restrict__ loss, int64_t scenarios, int64_t k, double confidence,
                     double* __restrict__ var, double* __restrict__ es,
                     double* __restrict__ esStderr, int32_t* __restrict__ tail) {
  __shared__ SelectShared<Real> sh;
  const int a = blockIdx.x;
  const BlockTail t =
      selectBlock<Real>(loss + a * scenarios, scenarios, k, Real(1), confidence, tail + a * k, sh);
  if (threadIdx.x == 0) {
    var[a] = t.var;
    es[a] = t.es;
    esStderr[a] = t.esStderr;
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

// One block per account: for each leg, the mean of its row over the account's tail.
template <typename Real>
__global__ void __launch_bounds__(Policy::kSelectThreads)
    contributionsKernel(DeviceLegs legs, const Real* __restrict__ cube, int64_t scenarios,
                        const int32_t* __restrict__ tail, int64_t k,
                        double* __restrict__ contribution) {
  using Reduce = cub::BlockReduce<double, Policy::kSelectThreads>;
  __shared__ typename Reduce::TempStorage temp;
  const int a = blockIdx.x;
  const int32_t* myTail = tail + a * k;
  for (int64_t l = legs.begin[a]; l < legs.begin[a + 1]; ++l) {
    const int r = legs.row[l];
    const double w = legs.weight[l];
    if (!legMoves(r, w)) {  // uniform across the block: no divergence at the barrier
      if (threadIdx.x == 0) contribution[l] = 0.0;
      continue;
    }
    double sum = 0.0;
    for (int64_t i = threadIdx.x; i < k; i += blockDim.x)
      sum += static_cast<double>(cube[r * scenarios + myTail[i]]);
    const double total = Reduce(temp).Sum(sum);
    if (threadIdx.x == 0) contribution[l] = eulerContribution(w, total, k);
    __syncthreads();
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
void rowTails(const Real* cube, int nRows, int64_t scenarios, int64_t k, double* esLong,
              double* esShort, cudaStream_t stream) {
  if (nRows == 0) return;
  rowTailsKernel<Real>
      <<<dim3(nRows, 2), Policy::kSelectThreads, 0, stream>>>(cube, scenarios, k, esLong, esShort);
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
void selectTail(const Real* loss, int accounts, int64_t scenarios, int64_t k, double confidence,
                double* var, double* es, double* esStderr, int32_t* tail, cudaStream_t stream) {
  if (accounts == 0) return;
  selectTailKernel<Real><<<accounts, Policy::kSelectThreads, 0, stream>>>(
      loss, scenarios, k, confidence, var, es, esStderr, tail);
  XM_CUDA_CHECK_LAUNCH();
}

template <typename Real>
void contributions(DeviceLegs legs, int accounts, const Real* cube, int64_t scenarios,
                   const int32_t* tail, int64_t k, double* contribution, cudaStream_t stream) {
  if (accounts == 0) return;
  contributionsKernel<Real><<<accounts, Policy::kSelectThreads, 0, stream>>>(legs, cube, scenarios,
                                                                             tail, k, contribution);
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
void launchRowTails(const double* cube, int nRows, int64_t s, int64_t k, double* l, double* sh,
                    cudaStream_t st) {
  rowTails(cube, nRows, s, k, l, sh, st);
}
void launchRowTails(const float* cube, int nRows, int64_t s, int64_t k, double* l, double* sh,
                    cudaStream_t st) {
  rowTails(cube, nRows, s, k, l, sh, st);
}
void launchAggregate(DeviceLegs legs, int n, const double* cube, int64_t s, double* loss,
                     cudaStream_t st) {
  aggregate(legs, n, cube, s, loss, st);
}
void launchAggregate(DeviceLegs legs, int n, const float* cube, int64_t s, float* loss,
                     cudaStream_t st) {
  aggregate(legs, n, cube, s, loss, st);
}
void launchSelectTail(const double* loss, int n, int64_t s, int64_t k, double c, double* v,
                      double* e, double* se, int32_t* t, cudaStream_t st) {
  selectTail(loss, n, s, k, c, v, e, se, t, st);
}
void launchSelectTail(const float* loss, int n, int64_t s, int64_t k, double c, double* v,
                      double* e, double* se, int32_t* t, cudaStream_t st) {
  selectTail(loss, n, s, k, c, v, e, se, t, st);
}
void launchContributions(DeviceLegs legs, int n, const double* cube, int64_t s, const int32_t* t,
                         int64_t k, double* c, cudaStream_t st) {
  contributions(legs, n, cube, s, t, k, c, st);
}
void launchContributions(DeviceLegs legs, int n, const float* cube, int64_t s, const int32_t* t,
                         int64_t k, double* c, cudaStream_t st) {
  contributions(legs, n, cube, s, t, k, c, st);
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
