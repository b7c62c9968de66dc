// Scenario generation: correlated shocks Z for S scenarios of exchange-S's 22 factors.
#include "bench/BenchSupport.h"
#include "host/engine/MarketFactors.h"
#include "scenarios/FactorModel.h"
#include "scenarios/ScenarioGenerator.h"

namespace xm::bench {
namespace {

void BM_ScenarioGeneration(benchmark::State& state) {
  const int64_t backend = state.range(0), scenarios = state.range(1);
  state.SetLabel(backendName(backend));
  if (!backendUsable(state, backend)) return;
  const MarginRequest req = workload(1, scenarios);
  const FactorModel model = buildFactorModel(req.market, CorrelationRepair::None);
  const ShockSpec spec{7, false, 0.0, nullptr};
  for (auto _ : state) {
    if (backend == 0) {
      ShockMatrix z;
      ScenarioGenerator(model, spec).generate(0, scenarios, z);
      benchmark::DoNotOptimize(z.data());
    } else {
      benchmark::DoNotOptimize(cudaCorrelatedShocks(model, spec, 0, scenarios).data());
    }
  }
  reportRate(state, static_cast<double>(scenarios) * model.factors(), "factor_draws_per_s");
}
BENCHMARK(BM_ScenarioGeneration)
    ->ArgNames({"backend", "scenarios"})
    ->ArgsProduct({{0, 1}, {10000, 100000}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();  // OpenMP threads: wall time, not the main thread's CPU time

}  // namespace
}  // namespace xm::bench

BENCHMARK_MAIN();
