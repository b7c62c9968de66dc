#include "api/cli/Progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "api/json/Json.h"
#include "api/report/Svg.h"
#include "host/model/Errors.h"

namespace xm {
namespace {

std::string grouped(int64_t n) { return report::count(static_cast<double>(n)); }

// 75 -> "1 min 15 s", 3.24 -> "3.2 s".
std::string duration(double seconds) {
  if (seconds < 10.0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
    return buf;
  }
  const auto s = static_cast<int64_t>(std::ceil(seconds));
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s / 60 % 60) + " min";
}

}  // namespace

ProgressMode progressMode(const Args& a) {
  std::string mode = a.has("--progress") ? a.options.at("--progress") : "auto";
  if (a.has("--quiet")) {
    if (a.has("--progress"))
      throw InputError("", "--quiet and --progress: give one", ErrorKind::Usage);
    return ProgressMode::Off;
  }
  if (mode == "off") return ProgressMode::Off;
  if (mode == "json") return ProgressMode::Json;
  if (mode == "tty") return ProgressMode::Terminal;
  if (mode == "auto") return isatty(STDERR_FILENO) ? ProgressMode::Terminal : ProgressMode::Off;
  throw InputError("", "--progress must be auto, tty, json or off, got \"" + mode + "\"",
                   ErrorKind::Usage);
}

ProgressReporter::ProgressReporter(std::string command, ProgressMode mode, std::ostream& err)
    : command_(std::move(command)),
      mode_(mode),
      err_(err),
      unitStart_(Clock::now()),
      lastCall_(unitStart_) {}

ProgressReporter::~ProgressReporter() { finish(); }

void ProgressReporter::finish() {
  const std::lock_guard<std::mutex> lock(mu_);
  if (lineOpen_) err_ << "\n" << std::flush;
  lineOpen_ = false;
}

void ProgressReporter::progress(const char* unit, int64_t done, int64_t total) {
  if (mode_ == ProgressMode::Off) return;
  const Clock::time_point now = Clock::now();
  const std::lock_guard<std::mutex> lock(mu_);
  if (unit_ != unit) {  // a new stage: its own line, its clock from the last one's end
    if (lineOpen_) err_ << "\n";
    lineOpen_ = false;
    if (!unit_.empty()) unitStart_ = lastCall_;
    unit_ = unit;
    lastWrite_ = Clock::time_point{};
    lastDone_ = -1;
  }
  lastCall_ = now;
  if (done <= lastDone_) return;  // threads may report out of order
  const bool last = done >= total;
  const auto every = mode_ == ProgressMode::Json ? std::chrono::milliseconds(1000)
                                                 : std::chrono::milliseconds(100);
  if (!last && now - lastWrite_ < every) return;
  lastDone_ = done;
  lastWrite_ = now;
  write(done, total, now);
}

void ProgressReporter::write(int64_t done, int64_t total, Clock::time_point now) {
  const double elapsed = std::chrono::duration<double>(now - unitStart_).count();
  const double rate = elapsed > 0.0 ? static_cast<double>(done) / elapsed : 0.0;
  const double left = rate > 0.0 ? static_cast<double>(total - done) / rate : 0.0;
  if (mode_ == ProgressMode::Json) {
    Json line = {
        {"command", command_},  {"unit", unit_},      {"done", done},  {"total", total},
        {"elapsed_s", elapsed}, {"rate_per_s", rate}, {"eta_s", left}, {"finished", done >= total}};
    err_ << line.dump() << "\n" << std::flush;
    return;
  }
  char pct[16];
  std::snprintf(pct, sizeof pct, "%.0f%%",
                total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0);
  std::string text = command_ + ": " + grouped(done) + " / " + grouped(total) + " " + unit_ + " (" +
                     pct + ") · " + grouped(static_cast<int64_t>(std::llround(rate))) + "/s · ";
  text += done >= total ? "done in " + duration(elapsed) : duration(left) + " left";
  err_ << "\r\x1b[K" << text << std::flush;  // back to the line's start, clear it, rewrite
  lineOpen_ = true;
}

}  // namespace xm
