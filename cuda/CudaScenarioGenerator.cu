// Compiled with -fmad=false (see CMakeLists.txt): the draws must round like the host's.
#include "cuda/CublasLoader.cuh"
#include "cuda/CudaCheck.cuh"
#include "cuda/CudaScenarioGenerator.cuh"
#include "scenarios/ShockDraws.h"

namespace xm::cuda {
namespace {

constexpr int kShockThreads = 128;

// eps: (factors × count), row-major.
__global__ void __launch_bounds__(kShockThreads)
    independentDrawsKernel(DrawPlan plan, int64_t first, int64_t count, double* eps) {
  const int64_t s = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= count) return;
  for (int j = 0; j < plan.factors; ++j) {
    eps[static_cast<int64_t>(j) * count + s] =
        sampledDraw(plan, static_cast<uint64_t>(first + s), static_cast<uint32_t>(j));
  }
}

// z: (factors × count), row-major; loading (factors × factors) row-major, staged in shared memory.
__global__ void __launch_bounds__(kShockThreads)
    fusedShocksKernel(const double* __restrict__ loading, int factors, DeviceShockSpec spec,
                      int64_t first, int64_t count, double* __restrict__ z) {
  extern __shared__ double sLoading[];
  for (int i = threadIdx.x; i < factors * factors; i += blockDim.x) sLoading[i] = loading[i];
  __syncthreads();
  const int64_t s = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= count) return;
  const uint64_t scenario = static_cast<uint64_t>(first + s);
  double eps[kMaxFusedFactors];
  for (int j = 0; j < factors; ++j)
    eps[j] = sampledDraw(spec.plan, scenario, static_cast<uint32_t>(j));
  const double scale =
      spec.studentT
          ? studentTScale(spec.plan.seed, mixingScenario(spec.plan.sampling, scenario), spec.dof)
          : 1.0;
  for (int i = 0; i < factors; ++i) {
    double acc = 0.0;  // the host's order: j = 0 .. F-1, products rounded before the sum
    for (int j = 0; j < factors; ++j) acc += sLoading[i * factors + j] * eps[j];
    z[static_cast<int64_t>(i) * count + s] = acc * scale;
  }
}

// z: (factors × count), row-major; multiplies scenario s of every factor by its mixing scale.
__global__ void __launch_bounds__(kShockThreads)
    studentTScaleKernel(int factors, DeviceShockSpec spec, int64_t first, int64_t count,
                        double* z) {
  const int64_t s = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s >= count) return;
  const uint64_t mixing = mixingScenario(spec.plan.sampling, static_cast<uint64_t>(first + s));
  const double scale = studentTScale(spec.plan.seed, mixing, spec.dof);
  for (int i = 0; i < factors; ++i) z[static_cast<int64_t>(i) * count + s] *= scale;
}

unsigned blocksFor(int64_t count) {
  return static_cast<unsigned>((count + kShockThreads - 1) / kShockThreads);
}

}  // namespace

void launchIndependentDraws(const DrawPlan& plan, int64_t first, int64_t count, double* eps,
                            cudaStream_t stream) {
  if (count == 0 || plan.factors == 0) return;
  independentDrawsKernel<<<blocksFor(count), kShockThreads, 0, stream>>>(plan, first, count, eps);
  XM_CUDA_CHECK_LAUNCH();
}

void generateShocks(const double* loading, int factors, DeviceShockSpec spec, int64_t first,
                    int64_t count, double* z, double* eps, cublasHandle_t blas,
                    cudaStream_t stream) {
  if (count == 0 || factors == 0) return;
  if (factors <= kMaxFusedFactors) {
    const size_t shared = sizeof(double) * factors * factors;
    static_assert(sizeof(double) * kMaxFusedFactors * kMaxFusedFactors <= 48 * 1024,
                  "the fused generator's L must fit the default 48 KiB of shared memory; lower "
                  "kMaxFusedFactors or opt in to more with cudaFuncSetAttribute");
    fusedShocksKernel<<<blocksFor(count), kShockThreads, shared, stream>>>(loading, factors, spec,
                                                                           first, count, z);
    XM_CUDA_CHECK_LAUNCH();
    return;
  }
  launchIndependentDraws(spec.plan, first, count, eps, stream);
  // Row-major (F × S) matrices are column-major (S × F) ones, and row-major L is column-major
  // L^T: Z^T = eps^T * L^T, one DGEMM with m = S, n = k = F.
  const double one = 1.0, zero = 0.0;
  XM_CUBLAS_CHECK(cublas().setStream(blas, stream));
  XM_CUBLAS_CHECK(cublas().dgemm(blas, CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(count), factors,
                                 factors, &one, eps, static_cast<int>(count), loading, factors,
                                 &zero, z, static_cast<int>(count)));
  if (spec.studentT) {
    studentTScaleKernel<<<blocksFor(count), kShockThreads, 0, stream>>>(factors, spec, first, count,
                                                                        z);
    XM_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace xm::cuda
