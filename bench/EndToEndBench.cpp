// End to end in process: a validated exchange-S request to every account's margin (compile,
// scenarios, revaluation, aggregation, selection, margin), JSON excluded (bench/exchange-s.sh
// times the CLI with it). The shock cache is cleared every iteration: nothing carries over.
#include "bench/BenchSupport.h"
#include "host/margin/MarginEngine.h"
#include "scenarios/ShockCache.h"

namespace xm::bench {
namespace {

void BM_EndToEnd(benchmark::State& state) {
  const int64_t backend = state.range(0), accounts = state.range(1), scenarios = state.range(2);
  state.SetLabel(backendName(backend));
  if (!backendUsable(state, backend)) return;
  MarginRequest req = workload(accounts, scenarios);
  req.config.backend = backendChoice(backend);
  const int64_t legs = legCount(req);
  for (auto _ : state) {
    state.PauseTiming();
    setShockCacheCapacity(size_t{256} << 20);  // empties it
    state.ResumeTiming();
    benchmark::DoNotOptimize(computeMargin(req).totals.initialMargin);
  }
  reportRate(state, static_cast<double>(legs) * scenarios, "position_scenarios_per_s");
}
BENCHMARK(BM_EndToEnd)
    ->ArgNames({"backend", "accounts", "scenarios"})
    ->ArgsProduct({{0, 1}, {10000}, {10000}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace xm::bench

BENCHMARK_MAIN();
