#pragma once
// Prometheus counters and histograms of the HTTP service, rendered in the text exposition format
// (version 0.0.4). Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace xm {

class Metrics {
 public:
  explicit Metrics(std::string backend);

  // One answered request: its route (the pattern, not the raw path), status and latency.
  void observe(const std::string& route, int status, double seconds);
  // Work done by one successful margin request.
  void addWork(int64_t accounts, int64_t scenarios);
  void setInFlight(int64_t running, int64_t queued);
  // The connection front's counts (HttpConnections.h's ConnectionStats).
  void setConnections(int64_t open, int64_t accepted, int64_t refused, int64_t headerTimeouts,
                      int64_t headersTooLarge, int64_t idleClosed);

  std::string render() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative counts per kLatencyBuckets bound
    double sum = 0.0;
    uint64_t count = 0;
  };

  mutable std::mutex mu_;
  std::string backend_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  uint64_t accounts_ = 0;
  double scenarioAccounts_ = 0.0;
  int64_t running_ = 0, queued_ = 0;
  int64_t open_ = 0, accepted_ = 0, refused_ = 0, headerTimeouts_ = 0, headersTooLarge_ = 0,
          idleClosed_ = 0;
};

}  // namespace xm
