#pragma once
// `xmargin serve`: the contract's HTTP API (contract §7) on cpp-httplib.
//
//   POST /v1/margin   a request (contract §2) -> a response (§4); JSON or MessagePack; a
//                     request may name a stored snapshot instead of its market (§10)
//   POST /v1/simulate the clearing simulation (§9)
//   PUT, GET, DELETE /v1/snapshots/{id}, GET /v1/snapshots, POST /v1/snapshots/{id}/marks,
//   POST /v1/whatif, POST /v1/neutralize   the intraday routes (§10)
//   POST /v1/report   a report (contract §13) of the response, simulation, backtest in the body
//   GET  /v1/report   with `report`: the report of the latest /v1/margin and /v1/simulate
//   GET  /v1/info     version, backends, device, limits
//   GET  /healthz     liveness (never authenticated)
//   GET  /readyz      200 once the backend is initialised and the socket bound, else 503
//   GET  /metrics     Prometheus text format
//
// Load: margin requests run on at most `workers` at once; up to `queue` more wait. Beyond that
// the answer is 503 with Retry-After, never an unbounded queue. Each request has a time limit.
// stop() stops accepting, lets in-flight requests finish, and serve() then returns.
//
// Connections go through the front in HttpConnections.h: heads must arrive whole within
// headerTimeoutMs, at most maxConnections are open, and no thread waits on a client that has not
// sent a complete request head. Bodies are limited to maxBodyBytes after any Content-Encoding is
// decoded, whatever their framing (Content-Length or chunked).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "host/model/MarginConfig.h"

namespace httplib {
class Stream;
}

namespace xm {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;        // 0: an ephemeral port (see MarginServer::bind)
  std::string token;      // empty: no authentication; else Bearer token for /v1 routes
  int workers = 0;        // concurrent margin computations; 0: hardware threads
  int queue = 64;         // margin requests allowed to wait for a worker
  int timeoutMs = 30000;  // per-request limit, waiting included
  int64_t maxBodyBytes = 64ll << 20;
  int connectionThreads = 0;    // request threads (POST); 0: workers + queue + 8
  int maxConnections = 1024;    // open connections; past it a new one gets 503 and is closed
  int headerTimeoutMs = 10000;  // a request head must arrive whole within this of its first byte
  int idleTimeoutMs = 5000;     // a keep-alive connection idle this long is closed
  int64_t maxHeaderBytes = 64 << 10;  // request line and headers
  Limits limits;
  bool accessLog = false;                     // one line per request on stderr
  int64_t snapshotMemory = int64_t{2} << 30;  // bytes of snapshots kept (LRU beyond)
  bool report = false;  // keep the latest margin and simulation runs for GET /v1/report
};

class MarginServer {
 public:
  explicit MarginServer(ServerOptions options);
  ~MarginServer();
  MarginServer(const MarginServer&) = delete;
  MarginServer& operator=(const MarginServer&) = delete;

  // Binds the socket; returns the port (the chosen one when options.port is 0). Throws
  // std::runtime_error when the address cannot be bound.
  int bind();
  // Serves until stop(); returns once in-flight requests are done.
  void serve();
  // Safe from any thread; idempotent.
  void stop();

  bool ready() const;
  int64_t openConnections() const;  // in the connection front now
  // Serves the requests in `stream` as one connection would, on this thread and without a
  // socket: the fuzzer's entry into the whole request handling (framing, routing, handlers).
  void serveStream(httplib::Stream& stream);
  const ServerOptions& options() const;
  std::string backend() const;  // the backend `auto` resolves to here

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Compares secrets in time independent of where they differ (the length may leak).
bool constantTimeEquals(const std::string& a, const std::string& b);

}  // namespace xm
