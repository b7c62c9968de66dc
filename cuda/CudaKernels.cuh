#pragma once
// Revaluation, aggregation and selection kernels of the CUDA backend. Non-template launchers,
// one overload per precision (Real = double or float: the type of the cube and of the losses;
// every sum accumulates in double). Shapes first, then preconditions.
//
// Determinism: every kernel here is bitwise reproducible run to run on one device (no atomics on
// floating point; fixed block reductions). Against the CPU backend the figures agree to rounding:
// exp/log/erfc differ by an ulp between libm and CUDA, and block reductions sum in another order.

#include <cstdint>

#include <cuda_runtime.h>

#include "host/engine/Pricing.h"
#include "host/engine/Reduction.h"
#include "host/engine/StressGrid.h"
#include "scenarios/Sampling.h"

namespace xm::cuda {

// Launch geometry (printable; fed into __launch_bounds__).
struct KernelPolicy {
  static constexpr int kRevalueThreads = 256;
  static constexpr int kAggregateThreads = 256;
  static constexpr int kSelectThreads = 256;
  static constexpr int kRadixBits = 8;  // 256-bin histograms in shared memory
  static constexpr int kMaxAccountsPerLaunch = 32768;
};

// cube: (rows × scenarios), row-major; z: (factors × scenarios), row-major. *implausible (set
// above every row index beforehand) becomes the lowest row with a value beyond kMaxUnitPnl, or
// not finite in the cube's precision (RiskProblem.h).
void launchRevalue(const PnlRow* rows, int nRows, const double* z, int64_t scenarios, double* cube,
                   int* implausible, cudaStream_t stream);
void launchRevalue(const PnlRow* rows, int nRows, const double* z, int64_t scenarios, float* cube,
                   int* implausible, cudaStream_t stream);

// How losses reduce to tails (host/engine/Reduction.h, docs/sampling.md): `replications`
// (device, count entries) are the blocks selected on their own (one, the whole set, under mc and
// antithetic; R under sobol), tailCount the sum of their k, the tail's stride per account.
struct TailPlan {
  const Replication* replications;
  int count;
  int64_t tailCount;
  Sampling sampling;
  double confidence;
};

// esLong, esShort: (rows): the ES of -cube[r] and of +cube[r] (the mean of the k largest, per
// replication, averaged). Preconditions: 1 <= k <= count for every replication.
void launchRowTails(const double* cube, int nRows, int64_t scenarios, TailPlan plan, double* esLong,
                    double* esShort, cudaStream_t stream);
void launchRowTails(const float* cube, int nRows, int64_t scenarios, TailPlan plan, double* esLong,
                    double* esShort, cudaStream_t stream);

// Accounts as CSR legs: legBegin (accounts + 1), legRow and legWeight (legs); row -1 = riskless.
struct DeviceLegs {
  const int64_t* begin;
  const int32_t* row;
  const double* weight;
};

// loss: (accounts × scenarios), row-major: loss[a][s] = -sum_l w_l cube[row_l][s], legs in order.
// Preconditions: accounts <= KernelPolicy::kMaxAccountsPerLaunch.
void launchAggregate(DeviceLegs legs, int accounts, const double* cube, int64_t scenarios,
                     double* loss, cudaStream_t stream);
void launchAggregate(DeviceLegs legs, int accounts, const float* cube, int64_t scenarios,
                     float* loss, cudaStream_t stream);

// Per account: var (the k-th largest loss), es, esStderr (accounts) under the plan's sampling
// (replications averaged, their spread the error); tail: (accounts × tailCount) each
// replication's scenarios of its k largest losses in ascending order at its tailOffset, ties at
// var taken lowest scenario first (the CPU backend's rule); varScenario: (accounts × count) each
// replication's last tail scenario whose loss is its var. Selection is an MSD radix select on
// order-preserving integer keys of the losses (8-bit digits, a shared histogram per pass), never
// a sort.
void launchSelectTail(const double* loss, int accounts, int64_t scenarios, TailPlan plan,
                      double* var, double* es, double* esStderr, int32_t* tail,
                      int32_t* varScenario, cudaStream_t stream);
void launchSelectTail(const float* loss, int accounts, int64_t scenarios, TailPlan plan,
                      double* var, double* es, double* esStderr, int32_t* tail,
                      int32_t* varScenario, cudaStream_t stream);

// contribution: (legs): -w_l * the mean over the account's tail of cube[row_l][s] (Euler), per
// replication with its VaR scenario weighted (Reduction.h), averaged.
void launchContributions(DeviceLegs legs, int accounts, const double* cube, int64_t scenarios,
                         TailPlan plan, const int32_t* tail, const int32_t* varScenario,
                         double* contribution, cudaStream_t stream);
void launchContributions(DeviceLegs legs, int accounts, const float* cube, int64_t scenarios,
                         TailPlan plan, const int32_t* tail, const int32_t* varScenario,
                         double* contribution, cudaStream_t stream);

// ---- the stress grid (host/engine/StressGrid.h): a second scenario set on the same rows, fp64 --
// Its losses aggregate with launchAggregate (the same kernel, points for scenarios).

// cube: (rows × points): gridRowPnl of every row at every point; *implausible as launchRevalue.
void launchGridRevalue(const PnlRow* rows, int nRows, const GridPoint* points, int64_t nPoints,
                       double* cube, int* implausible, cudaStream_t stream);
// worstLong, worstShort: (rows): the largest of -cube[r] and of +cube[r], at least 0.
void launchGridRowWorst(const double* cube, int nRows, int64_t nPoints, double* worstLong,
                        double* worstShort, cudaStream_t stream);
// Per account and block (accounts × blocks): the worst loss over the block's points
// [blockBegin[b], blockBegin[b + 1]) and that point, lowest first among equals (gridBlockWorst).
void launchGridWorst(const double* loss, int accounts, int64_t nPoints, const int* blockBegin,
                     int blocks, double* worst, int32_t* point, cudaStream_t stream);
// legLoss: (legs): -w_l cube[row_l][the worst point of row_l's block] (rowBlock[row], -1: 0).
void launchGridLegLoss(DeviceLegs legs, int accounts, const double* cube, int64_t nPoints,
                       const int* rowBlock, const int32_t* point, int blocks, double* legLoss,
                       cudaStream_t stream);

}  // namespace xm::cuda
