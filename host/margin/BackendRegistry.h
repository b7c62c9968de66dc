#pragma once
// Which backends this binary has, which are usable here, and the choice behind config.backend:
// "auto" takes a usable GPU and falls back to the CPU; "cuda" without one is an error.

#include <memory>
#include <string>
#include <vector>

#include "host/engine/Marking.h"
#include "host/engine/RiskBackend.h"
#include "host/model/MarginConfig.h"

namespace xm {

struct BackendAvailability {
  std::string name;
  bool compiled = false;
  bool usable = false;
  std::string device;
  std::string reason;  // why not usable
};

std::vector<BackendAvailability> listBackends();

// Throws InputError (path /config/backend, code backend_unavailable, HTTP 503) when `choice`
// names a backend that cannot run here.
std::unique_ptr<RiskBackend> makeBackend(BackendChoice choice);

// The clearing simulation's marker on the same choice (`book` must outlive it); `chosen` says
// which backend it runs on.
std::unique_ptr<AccountMarker> makeMarker(BackendChoice choice, const MarkingBook& book,
                                          BackendChoice* chosen = nullptr);

}  // namespace xm
