// Revaluation: the PnlCube of every exchange-S instrument (167 options, full Black-Scholes with
// vol shocks) over S scenarios. cpu: the cube alone, from cached shocks; cuda: the session's
// prepare (shocks, cube and row tails on the device: the device has no separate entry point).
#include "bench/BenchSupport.h"
#include "host/engine/CpuBackend.h"
#include "host/engine/RiskProblem.h"
#include "scenarios/ShockCache.h"

namespace xm::bench {
namespace {

void BM_Revaluation(benchmark::State& state) {
  const int64_t backend = state.range(0), scenarios = state.range(1);
  state.SetLabel(backend == 0 ? "cpu: cube" : "cuda: shocks + cube + row tails");
  if (!backendUsable(state, backend)) return;
  MarginRequest req = workload(2000, scenarios);  // enough accounts to hold every instrument
  req.config.backend = backendChoice(backend);
  const RiskProblem problem = compileProblem(req);
  if (backend == 0) {
    const auto z = cachedShocks(problem.factors, problem.shocks, scenarios);
    std::vector<double> cube;
    for (auto _ : state) {
      buildPnlCube(problem.rows, *z, cube);
      benchmark::DoNotOptimize(cube.data());
    }
  } else {
    auto b = makeBackend(BackendChoice::Cuda);
    for (auto _ : state) benchmark::DoNotOptimize(b->prepare(problem).get());
  }
  state.counters["rows"] = static_cast<double>(problem.rows.size());
  reportRate(state, static_cast<double>(problem.rows.size()) * scenarios, "row_scenarios_per_s");
}
BENCHMARK(BM_Revaluation)
    ->ArgNames({"backend", "scenarios"})
    ->ArgsProduct({{0, 1}, {10000, 100000}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();  // OpenMP threads: wall time, not the main thread's CPU time

}  // namespace
}  // namespace xm::bench

BENCHMARK_MAIN();
