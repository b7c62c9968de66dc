#pragma once
// Shared by the Google Benchmark binaries: fixed-seed workloads from the synthetic exchange, the
// backends by index (0 = cpu, 1 = cuda; a missing device skips its benchmarks), and the
// position-scenarios-per-second counter every benchmark reports.

#include <benchmark/benchmark.h>

#include <string>

#include "cuda/CudaBackend.h"
#include "host/margin/BackendRegistry.h"
#include "host/model/MarginRequest.h"
#include "host/synthetic/SyntheticExchange.h"

namespace xm::bench {

inline const char* backendName(int64_t index) { return index == 0 ? "cpu" : "cuda"; }

inline BackendChoice backendChoice(int64_t index) {
  return index == 0 ? BackendChoice::Cpu : BackendChoice::Cuda;
}

// False (and the benchmark marked skipped) when the backend cannot run here.
inline bool backendUsable(benchmark::State& state, int64_t index) {
  if (index == 0) return true;
  const CudaStatus s = cudaStatus();
  if (s.usable()) return true;
  state.SkipWithError(("cuda: " + s.reason).c_str());
  return false;
}

// exchange-S's market and instruments with `accounts` accounts and `scenarios` scenarios.
inline MarginRequest workload(int64_t accounts, int64_t scenarios) {
  ExchangeSpec spec = exchangePreset("exchange-S");
  spec.accounts = accounts;
  spec.scenarios = scenarios;
  return makeSyntheticExchange(spec);
}

inline int64_t legCount(const MarginRequest& r) {
  int64_t n = 0;
  for (const Account& a : r.accounts)
    n += static_cast<int64_t>(a.positions.size() + a.collateral.size());
  return n;
}

inline void reportRate(benchmark::State& state, double itemsPerIteration, const char* name) {
  state.counters[name] =
      benchmark::Counter(itemsPerIteration, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace xm::bench
