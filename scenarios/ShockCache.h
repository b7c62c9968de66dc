#pragma once
// A process-wide cache of correlated shock matrices, so that repeated requests on the same market
// (the intraday pattern of a clearing system) skip scenario generation. Keyed by everything the
// shocks depend on: the factor loading L (compared exactly), the seed, the shock model and the
// scenario count. Bounded in bytes, least recently used entries evicted. Thread-safe.
//
// Determinism: a cached matrix is the one ScenarioGenerator::generate returns, bit for bit.

#include <cstdint>
#include <memory>

#include "scenarios/ScenarioGenerator.h"

namespace xm {

std::shared_ptr<const ShockMatrix> cachedShocks(const FactorModel& model, const ShockSpec& spec,
                                                int64_t scenarios);

// Capacity in bytes (default 256 MiB); 0 disables caching. Clears the cache.
void setShockCacheCapacity(size_t bytes);

}  // namespace xm
