#pragma once
// Fault injection, for tests: with XM_FAULT=SITE (or SITE:bad_alloc, SITE:kill) in the
// environment, or setFaultForTesting(), faultPoint(SITE) throws std::runtime_error("injected
// fault at SITE") (std::bad_alloc; or the process is killed with SIGKILL) on every visit. Each site
// sits inside a worker thread's work — an OpenMP region's body, the response writer's threads —
// where an escaping exception would terminate the process: the tests arm each one and check that
// the failure reaches the caller as an error envelope. Unarmed, a fault point costs one relaxed
// atomic load.
//
// Worker regions that are not sites cannot throw: the scenario draws and the cube's revaluation
// are arithmetic on buffers allocated before the region.

#include <string>

namespace xm {

// Every site, for the tests that arm each in turn.
inline constexpr const char* kFaultSites[] = {"cpu.row_tails", "cpu.accounts", "writer.accounts",
                                              "backtest.days"};

void faultPoint(const char* site);

// "SITE", "SITE:bad_alloc" or "SITE:kill"; "" disarms. Overrides XM_FAULT.
void setFaultForTesting(const std::string& spec);

}  // namespace xm
