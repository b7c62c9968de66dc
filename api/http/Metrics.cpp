#include "api/http/Metrics.h"

#include <charconv>
#include <sstream>

namespace xm {
namespace {
constexpr double kLatencyBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                      0.25,  0.5,    1.0,   2.5,  5.0,   10.0, 30.0};
constexpr size_t kBucketCount = sizeof kLatencyBuckets / sizeof kLatencyBuckets[0];

// Shortest round-trip form: le="0.0025", not le="0.0025000000000000001".
std::string label(double x) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}
}  // namespace

Metrics::Metrics(std::string backend) : backend_(std::move(backend)) {}

void Metrics::observe(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, status}];
  Histogram& h = latency_[route];
  if (h.buckets.empty()) h.buckets.assign(kBucketCount, 0);
  for (size_t i = 0; i < kBucketCount; ++i) h.buckets[i] += seconds <= kLatencyBuckets[i];
  h.sum += seconds;
  ++h.count;
}

void Metrics::addWork(int64_t accounts, int64_t scenarios) {
  std::lock_guard<std::mutex> lock(mu_);
  accounts_ += static_cast<uint64_t>(accounts);
  scenarioAccounts_ += static_cast<double>(accounts) * static_cast<double>(scenarios);
}

void Metrics::setInFlight(int64_t running, int64_t queued) {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = running;
  queued_ = queued;
}

void Metrics::setConnections(int64_t open, int64_t accepted, int64_t refused,
                             int64_t headerTimeouts, int64_t headersTooLarge, int64_t idleClosed) {
  std::lock_guard<std::mutex> lock(mu_);
  open_ = open;
  accepted_ = accepted;
  refused_ = refused;
  headerTimeouts_ = headerTimeouts;
  headersTooLarge_ = headersTooLarge;
  idleClosed_ = idleClosed;
}

std::string Metrics::render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream o;
  o.precision(17);
  o << "# HELP xmargin_http_requests_total HTTP requests answered, by route and status.\n"
       "# TYPE xmargin_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    o << "xmargin_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second
      << "\"} " << n << "\n";
  }
  o << "# HELP xmargin_http_request_duration_seconds Request latency, by route.\n"
       "# TYPE xmargin_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (size_t i = 0; i < kBucketCount; ++i) {
      o << "xmargin_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\""
        << label(kLatencyBuckets[i]) << "\"} " << h.buckets[i] << "\n";
    }
    o << "xmargin_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} "
      << h.count << "\n"
      << "xmargin_http_request_duration_seconds_sum{route=\"" << route << "\"} " << h.sum << "\n"
      << "xmargin_http_request_duration_seconds_count{route=\"" << route << "\"} " << h.count
      << "\n";
  }
  o << "# HELP xmargin_accounts_computed_total Accounts margined.\n"
       "# TYPE xmargin_accounts_computed_total counter\n"
       "xmargin_accounts_computed_total "
    << accounts_ << "\n"
    << "# HELP xmargin_scenario_accounts_computed_total Accounts x scenarios margined.\n"
       "# TYPE xmargin_scenario_accounts_computed_total counter\n"
       "xmargin_scenario_accounts_computed_total "
    << scenarioAccounts_ << "\n"
    << "# HELP xmargin_requests_in_flight Margin requests computing now.\n"
       "# TYPE xmargin_requests_in_flight gauge\n"
       "xmargin_requests_in_flight "
    << running_ << "\n"
    << "# HELP xmargin_requests_queued Margin requests waiting for a worker.\n"
       "# TYPE xmargin_requests_queued gauge\n"
       "xmargin_requests_queued "
    << queued_ << "\n"
    << "# HELP xmargin_http_connections_open Connections open now.\n"
       "# TYPE xmargin_http_connections_open gauge\n"
       "xmargin_http_connections_open "
    << open_ << "\n"
    << "# HELP xmargin_http_connections_total Connections accepted, and how those that ended early "
       "ended.\n"
       "# TYPE xmargin_http_connections_total counter\n"
       "xmargin_http_connections_total{outcome=\"accepted\"} "
    << accepted_ << "\n"
    << "xmargin_http_connections_total{outcome=\"refused_max_connections\"} " << refused_ << "\n"
    << "xmargin_http_connections_total{outcome=\"header_timeout\"} " << headerTimeouts_ << "\n"
    << "xmargin_http_connections_total{outcome=\"headers_too_large\"} " << headersTooLarge_ << "\n"
    << "xmargin_http_connections_total{outcome=\"idle_closed\"} " << idleClosed_ << "\n"
    << "# HELP xmargin_backend_info The backend that auto selects on this server.\n"
       "# TYPE xmargin_backend_info gauge\n"
       "xmargin_backend_info{backend=\""
    << backend_ << "\"} 1\n";
  return o.str();
}

}  // namespace xm
