#pragma once
// Progress of a long command on standard error (README, "Progress"): on a terminal one line
// rewritten in place — units done of the total, the rate, the time left; for schedulers
// (--progress json) one JSON object per line, at most every second and at each unit's end;
// nothing when standard error is not a terminal (CI, pipes) or with --quiet.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <ostream>
#include <string>

#include "api/cli/Args.h"
#include "host/base/Progress.h"

namespace xm {

enum class ProgressMode { Off, Terminal, Json };

// --quiet: Off; --progress json|tty|off|auto (auto, the default: Terminal when standard error
// is a terminal, else Off). Both given is a usage error.
ProgressMode progressMode(const Args& a);

class ProgressReporter : public ProgressListener {
 public:
  // `command` names the job in every line ("run", "simulate"). The first unit's clock starts
  // here: construct it when the work starts.
  ProgressReporter(std::string command, ProgressMode mode, std::ostream& err);
  ~ProgressReporter() override;
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  void progress(const char* unit, int64_t done, int64_t total) override;
  // Ends the terminal line (the destructor does it too). Idempotent.
  void finish();
  // The listener to hand to the engine: nullptr when Off, so the engine skips the calls.
  ProgressListener* listener() { return mode_ == ProgressMode::Off ? nullptr : this; }

 private:
  using Clock = std::chrono::steady_clock;
  void write(int64_t done, int64_t total, Clock::time_point now);

  const std::string command_;
  const ProgressMode mode_;
  std::ostream& err_;
  std::mutex mu_;
  std::string unit_;
  Clock::time_point unitStart_, lastCall_, lastWrite_;
  int64_t lastDone_ = -1;
  bool lineOpen_ = false;
};

}  // namespace xm
