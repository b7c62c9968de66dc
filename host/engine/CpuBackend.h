#pragma once
// The reference backend: OpenMP threads over scenarios (generation, revaluation) and over
// groups of accounts (aggregation, selection). Always built, always tested.
//
// Memory of one request, in bytes (S scenarios, F factors, R P&L rows, T threads, k tail count):
//   8·S·R (the PnlCube, kept for the request)  + 16·S·F (draws and shocks while generating;
//   the shocks, 8·S·F, stay in the process-wide ShockCache, at most 256 MiB in all)
//   + T·(8·S + ~32·(12·(4k + 1024) + 16·k)) (per thread: a loss vector for the few-account path,
//   and the tail streams of a group of 32 accounts: kept losses, their keys, and tails)
//   + per batch of B accounts with L legs: 28·L + 40·B (CSR legs and results)
// The cube does not grow with accounts; batches bound the rest.

#include <memory>

#include "host/engine/RiskBackend.h"
#include "scenarios/ScenarioGenerator.h"

namespace xm {

std::unique_ptr<RiskBackend> makeCpuBackend();

// The PnlCube on the CPU: out[r * S + s] = rowPnl(rows[r], shocks of scenario s); threads over
// rows and scenario chunks. Exposed for the revaluation benchmark.
// Returns the lowest row with a value beyond kMaxUnitPnl or not a number, or -1.
int buildPnlCube(const std::vector<PnlRow>& rows, const ShockMatrix& z, std::vector<double>& out);

}  // namespace xm
