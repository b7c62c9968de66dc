#pragma once
// How a scenario set is sampled (config.sampling, docs/sampling.md), and the layout of its
// randomised quasi-Monte Carlo replications.
//
//   mc          independent draws (the default).
//   antithetic  scenarios in pairs (2p, 2p + 1), the second the exact negation of the first.
//   sobol       R replications of scrambled Sobol points, each an independent randomisation:
//               replication r is the consecutive scenarios [begin(r), begin(r + 1)) with
//               begin(r) = floor(r · S / R), so sizes differ by at most one. Its figures are
//               computed on its own points and averaged; their spread is the error.

#include <cstdint>

#include "scenarios/HostDevice.h"

namespace xm {

enum class Sampling : uint8_t { Mc, Antithetic, Sobol };

// The first scenario of replication r (0 <= r <= R) of a set of S scenarios.
XM_HD int64_t replicationBegin(int64_t scenarios, int replications, int r) {
  return static_cast<int64_t>(r) * scenarios / replications;
}

// The replication that scenario s (0 <= s < S) belongs to: the largest r with begin(r) <= s.
XM_HD int replicationOf(int64_t scenarios, int replications, int64_t s) {
  return static_cast<int>(((s + 1) * replications - 1) / scenarios);
}

}  // namespace xm
