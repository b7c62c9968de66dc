#pragma once
// Scenario generation on the device, mirroring scenarios/ScenarioGenerator (host).
//
// Draws: scenarios/ShockDraws.h, the same code the host runs, compiled with -fmad=false, so
// eps[s][j] is bitwise identical to the CPU backend's under every sampling (mc, antithetic, and
// sobol from the host's scrambled table, uploaded). Our own kernel rather than cuRAND's
// device Philox: cuRAND's normal transform (Box-Muller with CUDA's log/sincos) has no
// bit-identical host counterpart, and a counter layout of our own makes eps a pure function of
// (seed, s, j) by construction.
//
// Correlation: with at most kMaxFusedFactors factors, fused into the generator (L in shared
// memory, each thread one scenario, summed j = 0..F-1 like the host): Z is then bitwise equal to
// the host's too. Above that, eps is written out and Z = L * eps is one cuBLAS DGEMM (deterministic
// run to run on one device; equal to the host's to rounding). Student-t mixing scales each
// scenario by its own chi-square draw in both paths.

#include <cstdint>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "scenarios/ShockDraws.h"

namespace xm::cuda {

constexpr int kMaxFusedFactors = 64;

// The draws (plan.sobol a device pointer when sobol) and the Student-t mixing.
struct DeviceShockSpec {
  DrawPlan plan;
  bool studentT;
  double dof;
};

// eps: (factors × count), row-major (row j = draw j of scenarios first .. first + count - 1),
// under the plan's sampling (plan.factors = factors).
void launchIndependentDraws(const DrawPlan& plan, int64_t first, int64_t count, double* eps,
                            cudaStream_t stream);

// z: (factors × count), row-major. loading: (factors × factors), row-major L.
// Preconditions: factors <= kMaxFusedFactors for the fused path; eps of the same shape as z
// (scratch) for the cuBLAS path.
// `blas` is only used above kMaxFusedFactors factors (pass nullptr below).
void generateShocks(const double* loading, int factors, DeviceShockSpec spec, int64_t first,
                    int64_t count, double* z, double* eps, cublasHandle_t blas,
                    cudaStream_t stream);

}  // namespace xm::cuda
