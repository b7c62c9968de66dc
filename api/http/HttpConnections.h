#pragma once
// The connection front of `xmargin serve`. cpp-httplib parses and routes requests well, but its
// own connection handling gives every connection a thread from accept to close and bounds only
// each single read: a client trickling one header byte every few seconds holds a thread forever,
// and a few hundred such clients starve everyone (slowloris). This front takes that part over:
//
//   accept (httplib's thread) -> the gate: one epoll thread holds every connection that has not
//     sent a complete request head. The head must arrive within header_timeout of its first byte
//     (of accept, for a new connection) and fit in max_header_bytes, else 408 / 431 and close; an
//     idle keep-alive connection is closed after idle_timeout; past max_connections open, a new
//     connection is answered 503 and closed at once.
//   -> a complete head goes to a worker: GET and HEAD to a small pool of their own (health,
//     readiness, metrics, info: never queued behind an upload or a margin computation), anything
//     else to the request pool. The worker runs httplib's request processing on a
//     ConnectionStream, whose reads end at the request's deadline (its body must arrive within
//     body_timeout of its head) and whose writes give up after write_timeout without progress,
//     then hands a keep-alive connection back to the gate.
//
// So no thread ever waits on a client that has not sent a whole request head, and each request
// holds a worker for at most body_timeout + its computation + write_timeout of stalls.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <httplib.h>

namespace xm {

struct ConnectionLimits {
  int maxConnections = 1024;                    // open at once, in the gate and in workers
  int headerTimeoutMs = 10'000;                 // a request head, from its first byte (or accept)
  int idleTimeoutMs = 5'000;                    // a keep-alive connection between requests
  int bodyTimeoutMs = 30'000;                   // a request body, from its head
  int writeTimeoutMs = 30'000;                  // a response write without progress
  int64_t maxHeaderBytes = 64 << 10;            // request line and headers together
  int64_t maxRequestBytes = int64_t{64} << 20;  // bytes a request may take beyond its head
                                                // (body with its framing; the body itself is
                                                // limited by the route)
  int keepAliveRequests = 1000;                 // requests on one connection before it is closed
  int requestThreads = 16;                      // workers for requests other than GET and HEAD
  int lightThreads = 2;                         // workers for GET and HEAD
};

struct ConnectionStats {
  int64_t open = 0;             // connections open now
  int64_t accepted = 0;         // since start
  int64_t refused = 0;          // beyond max_connections
  int64_t headerTimeouts = 0;   // closed with 408: a head not complete in time
  int64_t headersTooLarge = 0;  // closed with 431
  int64_t idleClosed = 0;       // keep-alive connections closed idle
};

class GuardedHttpServer final : public httplib::Server {
 public:
  explicit GuardedHttpServer(ConnectionLimits limits);
  ~GuardedHttpServer() override;

  // Starts the gate and the workers: before listen_after_bind().
  void start();
  // After listen_after_bind() has returned (stop() was called): closes idle connections, lets
  // every request whose head has arrived finish (its connection then closes), joins the threads.
  void drain();
  ConnectionStats stats() const;
  const ConnectionLimits& limits() const;

  // Serves the requests in `stream` as one connection would, without a socket or threads: the
  // fuzzer's entry into the request handling.
  void serveStream(httplib::Stream& stream);

 private:
  bool process_and_close_socket(socket_t sock) override;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// For handlers, about the request being served on this thread:
// ask that the connection close after this response (a body left unread, a framing error);
void closeConnectionAfterResponse();
// why its body could not be read, if it could not.
enum class BodyFailure { None, Timeout, TooLarge, Closed };
BodyFailure currentBodyFailure();

}  // namespace xm
