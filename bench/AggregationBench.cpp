// Aggregation and selection: per-account scenario losses from sparse legs, the k-th largest by
// selection, ES, its error and Euler contributions (RiskSession::compute), on a prepared session.
#include "bench/BenchSupport.h"
#include "host/engine/RiskProblem.h"

namespace xm::bench {
namespace {

void BM_AggregationSelection(benchmark::State& state) {
  const int64_t backend = state.range(0), accounts = state.range(1), scenarios = state.range(2);
  state.SetLabel(backendName(backend));
  if (!backendUsable(state, backend)) return;
  const MarginRequest req = workload(accounts, scenarios);
  const RiskProblem problem = compileProblem(req);
  auto b = makeBackend(backendChoice(backend));
  auto session = b->prepare(problem);
  const AccountBatch batch = compileBatch(req, problem, 0, accounts);
  BatchRisk risk;
  for (auto _ : state) {
    session->compute(batch, risk);
    benchmark::DoNotOptimize(risk.es.data());
  }
  reportRate(state, static_cast<double>(batch.legs()) * scenarios, "position_scenarios_per_s");
  reportRate(state, static_cast<double>(accounts), "accounts_per_s");
}
BENCHMARK(BM_AggregationSelection)
    ->ArgNames({"backend", "accounts", "scenarios"})
    ->ArgsProduct({{0, 1}, {1000, 10000}, {10000}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();  // OpenMP threads: wall time, not the main thread's CPU time

}  // namespace
}  // namespace xm::bench

BENCHMARK_MAIN();
