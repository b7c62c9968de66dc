#pragma once
// Someone watching a long job: the command line's progress line on a terminal, or its JSON lines
// for a scheduler (api/cli/Progress). The engine, the clearing simulation, the backtest and the
// synthetic exchange tell it how far they are; they never wait on it, and without one (nullptr,
// the default everywhere) they do nothing.

#include <cstdint>

namespace xm {

class ProgressListener {
 public:
  virtual ~ProgressListener() = default;
  // `done` of `total` `unit`s ("accounts", "paths", "days") are finished. Called from any thread,
  // possibly concurrently; `done` never goes down within one unit.
  virtual void progress(const char* unit, int64_t done, int64_t total) = 0;
};

}  // namespace xm
