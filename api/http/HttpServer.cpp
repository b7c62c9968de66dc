// The routes of `xmargin serve` (HttpServer.h). Some 750 lines on purpose: admission from the
// head, the one exception boundary, the body reader and the routes share the options and the
// per-thread request clock, and read best in the order a request meets them. The routes only
// plumb: the intraday routes' work is IntradayService, the rest the engine's and the codec's.
#include "api/http/HttpServer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <omp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "api/http/IntradayService.h"
#include "api/http/Metrics.h"
#include "api/json/ClearingJson.h"
#include "api/json/JsonCodec.h"
#include "api/json/Utf8.h"
#include "api/report/Report.h"
#include "host/margin/BackendRegistry.h"
#include "host/margin/MarginEngine.h"
#include "host/model/Errors.h"
#include "host/model/Version.h"

// Last: httplib pulls in <resolv.h>, whose `_res` macro breaks Eigen headers included after it.
#include "api/http/HttpConnections.h"

namespace xm {

bool constantTimeEquals(const std::string& a, const std::string& b) {
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() != b.size();
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

namespace {

using Clock = std::chrono::steady_clock;

// When the request being served on this connection thread arrived (set before routing).
thread_local Clock::time_point tRequestStart{};
thread_local double tServiceSeconds = 0.0;  // of the answer being written, for the access log

// At most `workers` margin computations at once and `queue` waiting; the rest are refused.
class Admission {
 public:
  enum class Outcome { Admitted, Saturated, TimedOut };

  Admission(int workers, int queue) : workers_(workers), queue_(queue) {}

  Outcome enter(Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    if (running_ < workers_) {
      ++running_;
      return Outcome::Admitted;
    }
    if (waiting_ >= queue_) return Outcome::Saturated;
    ++waiting_;
    const bool got = cv_.wait_until(lock, deadline, [&] { return running_ < workers_; });
    --waiting_;
    if (!got) return Outcome::TimedOut;
    ++running_;
    return Outcome::Admitted;
  }

  void leave() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
    }
    cv_.notify_one();
  }

  std::pair<int64_t, int64_t> load() {
    std::lock_guard<std::mutex> lock(mu_);
    return {running_, waiting_};
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int workers_, queue_;
  int running_ = 0, waiting_ = 0;
};

bool wantsMsgpack(const httplib::Request& req) {
  const std::string accept = req.get_header_value("Accept");
  return accept.find("application/msgpack") != std::string::npos ||
         accept.find("application/x-msgpack") != std::string::npos;
}

void send(const httplib::Request& req, httplib::Response& res, int status, const Json& body) {
  res.status = status;
  if (wantsMsgpack(req)) {
    const std::vector<uint8_t> bytes = Json::to_msgpack(body);
    res.set_content(std::string(bytes.begin(), bytes.end()), "application/msgpack");
  } else {
    res.set_content(toText(body), "application/json");
  }
}

// An error envelope with the status, code and Retry-After of its kind (host/model/Errors.h).
void sendError(const httplib::Request& req, httplib::Response& res, ErrorKind kind,
               const std::string& message, const std::string& path = "") {
  const ErrorKindInfo& k = errorKindInfo(kind);
  if (k.retryAfterSeconds > 0) res.set_header("Retry-After", std::to_string(k.retryAfterSeconds));
  send(req, res, k.httpStatus, errorToJson(k.code, message, path));
}

// Each route and the methods it takes; "{id}" stands for one path segment.
const char* const kRoutes[][2] = {{"/v1/margin", "POST"},
                                  {"/v1/simulate", "POST"},
                                  {"/v1/whatif", "POST"},
                                  {"/v1/neutralize", "POST"},
                                  {"/v1/snapshots", "GET"},
                                  {"/v1/snapshots/{id}", "GET, PUT, DELETE"},
                                  {"/v1/snapshots/{id}/marks", "POST"},
                                  {"/v1/report", "GET, POST"},
                                  {"/v1/info", "GET"},
                                  {"/healthz", "GET"},
                                  {"/readyz", "GET"},
                                  {"/metrics", "GET"}};

// cpp-httplib 0.11 listens with a backlog of 5: a burst of new connections while the accept
// thread is busy overflows it and the kernel resets them. Find our listening socket by its port
// and raise the backlog (listen() on a listening socket only updates it).
void widenListenBacklog(int port) {
  for (int fd = 0; fd < 4096; ++fd) {
    int accepting = 0;
    socklen_t len = sizeof accepting;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 || !accepting) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    int p = -1;
    if (addr.ss_family == AF_INET) p = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6) p = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    if (p == port) ::listen(fd, SOMAXCONN);
  }
}

// Does `path` match `route`, where "{id}" matches one non-empty segment?
bool routeMatches(std::string_view route, std::string_view path) {
  const size_t hole = route.find("{id}");
  if (hole == std::string_view::npos) return route == path;
  const std::string_view head = route.substr(0, hole), tail = route.substr(hole + 4);
  if (path.size() <= head.size() + tail.size() || path.substr(0, head.size()) != head ||
      path.substr(path.size() - tail.size()) != tail)
    return false;
  const std::string_view segment =
      path.substr(head.size(), path.size() - head.size() - tail.size());
  return segment.find('/') == std::string_view::npos;
}

const char* const* routeOfPath(const std::string& path) {
  for (const auto& r : kRoutes)
    if (routeMatches(r[0], path)) return r;
  return nullptr;
}

// The methods a path takes ("GET, PUT, DELETE"), or null for no route.
const char* allowedMethod(const std::string& path) {
  const char* const* r = routeOfPath(path);
  return r ? r[1] : nullptr;
}

bool methodAllowed(const std::string& method, const std::string& allowed) {
  size_t at = 0;
  while (at < allowed.size()) {
    size_t end = allowed.find(',', at);
    if (end == std::string::npos) end = allowed.size();
    const std::string m = allowed.substr(at, end - at);
    if (m == method || (method == "HEAD" && m == "GET")) return true;
    at = allowed.find_first_not_of(' ', end + 1);
  }
  return false;
}

bool allDigits(const std::string& s) {
  return !s.empty() && s.size() <= 19 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string lowered(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Authorization: the scheme is case-insensitive (RFC 9110 §11.1), then one or more spaces, then
// the token, compared in constant time.
bool bearerMatches(const std::string& header, const std::string& token) {
  const size_t space = header.find(' ');
  if (space == std::string::npos || lowered(header.substr(0, space)) != "bearer") return false;
  const size_t start = header.find_first_not_of(' ', space);
  if (start == std::string::npos) return false;
  return constantTimeEquals(header.substr(start), token);
}

ConnectionLimits connectionLimits(const ServerOptions& o) {
  ConnectionLimits l;
  l.maxConnections = o.maxConnections;
  l.headerTimeoutMs = o.headerTimeoutMs;
  l.idleTimeoutMs = o.idleTimeoutMs;
  l.bodyTimeoutMs = o.timeoutMs;
  l.maxHeaderBytes = o.maxHeaderBytes;
  // The body's framing (chunk sizes) may take as many bytes as the body itself.
  l.maxRequestBytes = 2 * o.maxBodyBytes + (1 << 20);
  l.requestThreads = o.connectionThreads;
  return l;
}

}  // namespace

struct MarginServer::Impl {
  ServerOptions options;
  std::unique_ptr<GuardedHttpServer> httpServer;
  GuardedHttpServer* http = nullptr;
  std::string backendName, deviceName;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<Admission> admission;
  std::unique_ptr<IntradayService> intraday;
  std::atomic<bool> bound{false}, stopping{false};

  // With options.report: the latest margin run and simulation, for GET /v1/report. Rendered on
  // demand, so a margin request pays only for keeping its request and response.
  struct LatestMargin {
    MarginRequest request;
    MarginResponse response;
    std::string at;  // when it was answered, ISO 8601
  };
  struct LatestSimulation {
    MarginRequest request;
    Json answer;  // {"t0", "simulation"}
    std::string at;
  };
  std::mutex latestMu;
  std::shared_ptr<const LatestMargin> latestMargin;
  std::shared_ptr<const LatestSimulation> latestSimulation;

  explicit Impl(ServerOptions o) : options(std::move(o)) {
    if (options.workers <= 0) options.workers = std::max(1u, std::thread::hardware_concurrency());
    if (options.queue < 0) options.queue = 0;
    if (options.connectionThreads <= 0)
      options.connectionThreads = options.workers + options.queue + 8;
    // Initialise the backend auto would pick, so /readyz and /v1/info tell the truth.
    auto backend = makeBackend(BackendChoice::Auto);
    backendName = backend->name();
    deviceName = backend->device();
    metrics = std::make_unique<Metrics>(backendName);
    admission = std::make_unique<Admission>(options.workers, options.queue);
    intraday = std::make_unique<IntradayService>(options.snapshotMemory, options.limits);
    httpServer = std::make_unique<GuardedHttpServer>(connectionLimits(options));
    http = httpServer.get();
    configure();
  }

  // The route's template (bounded label values for the metrics).
  std::string routeOf(const httplib::Request& req) const {
    const char* const* r = routeOfPath(req.path);
    return r ? r[0] : "unmatched";
  }

  // An answer given before the body is read: a body left in the connection cannot be told from
  // the next request, so the connection closes after this answer.
  void refuse(const httplib::Request& req, httplib::Response& res, ErrorKind kind,
              const std::string& message, bool closeConnection) {
    if (closeConnection) {
      closeConnectionAfterResponse();
      res.set_header("Connection", "close");
    }
    sendError(req, res, kind, message);
  }

  // Everything decided from the head alone, before any body byte is read: framing, route,
  // method, authentication, the declared size. False when it has answered.
  bool admitHead(const httplib::Request& req, httplib::Response& res) {
    const bool chunked = req.has_header("Transfer-Encoding");
    const size_t lengths = req.get_header_value_count("Content-Length");
    const std::string length = req.get_header_value("Content-Length");
    const bool body = chunked || (lengths > 0 && length != "0");
    if (chunked) {
      const std::string te = lowered(req.get_header_value("Transfer-Encoding"));
      if (req.get_header_value_count("Transfer-Encoding") != 1 || te != "chunked") {
        refuse(req, res, ErrorKind::NotImplemented,
               "Transfer-Encoding \"" + req.get_header_value("Transfer-Encoding") +
                   "\" is not supported; send the body with Content-Length or Transfer-Encoding: "
                   "chunked",
               true);
        return false;
      }
      if (lengths > 0) {
        refuse(req, res, ErrorKind::InvalidRequest,
               "a request may not carry both Transfer-Encoding and Content-Length", true);
        return false;
      }
    }
    if (lengths > 1 || (lengths == 1 && !allDigits(length))) {
      refuse(req, res, ErrorKind::InvalidRequest,
             "Content-Length must be one decimal number of bytes", true);
      return false;
    }
    const char* allowed = allowedMethod(req.path);
    if (!allowed) {
      refuse(req, res, ErrorKind::NotFound, "no such route: " + req.method + " " + req.path, body);
      return false;
    }
    if (!methodAllowed(req.method, allowed)) {
      res.set_header("Allow", allowed);
      refuse(req, res, ErrorKind::MethodNotAllowed,
             req.method + " is not allowed on " + req.path + "; use " + allowed, body);
      return false;
    }
    if (!options.token.empty() && req.path.rfind("/v1/", 0) == 0 &&
        !bearerMatches(req.get_header_value("Authorization"), options.token)) {
      res.set_header("WWW-Authenticate", "Bearer");
      refuse(req, res, ErrorKind::Unauthorized, "a valid Authorization: Bearer token is required",
             body);
      return false;
    }
    if (req.method == "POST" || req.method == "PUT") {
      if (!chunked && lengths == 0) {
        refuse(req, res, ErrorKind::LengthRequired,
               "send the body with Content-Length or Transfer-Encoding: chunked", false);
        return false;
      }
      if (lengths == 1 && std::stoull(length) > static_cast<uint64_t>(options.maxBodyBytes)) {
        refuse(req, res, ErrorKind::PayloadTooLarge,
               "the body of " + length + " bytes exceeds the limit of " +
                   std::to_string(options.maxBodyBytes) + " bytes",
               true);
        return false;
      }
    }
    return true;
  }

  // Every httplib hook in one place (limits, pre-routing admission, routes, error, exception and
  // post-routing handlers, the access log), in the order a request meets them: longer than
  // ~80 lines on purpose, so the path of a request reads top to bottom.
  void configure() {
    http->set_payload_max_length(static_cast<size_t>(options.maxBodyBytes));

    http->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      tRequestStart = Clock::now();
      try {
        return admitHead(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                   : httplib::Server::HandlerResponse::Handled;
      } catch (const std::exception&) {
        refuse(req, res, ErrorKind::Internal, "internal error", true);
        return httplib::Server::HandlerResponse::Handled;
      }
    });

    http->Post("/v1/margin", [this](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& reader) {
      boundary(req, res, [&] { margin(req, res, reader); });
    });
    http->Post("/v1/simulate", [this](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) {
      boundary(req, res, [&] { simulate(req, res, reader); });
    });
    configureIntraday();
    http->Post("/v1/report", [this](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& reader) {
      boundary(req, res, [&] {
        const std::string body = jsonBody(req, reader);
        res.status = 200;
        res.set_content(report::reportFromText(body, options.limits, report::nowIso8601()),
                        "text/html; charset=utf-8");
      });
    });
    http->Get("/v1/report", [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] { latestReport(res); });
    });
    http->Get("/v1/info", [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] { send(req, res, 200, info()); });
    });
    http->Get("/healthz", [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] { send(req, res, 200, Json{{"status", "ok"}}); });
    });
    http->Get("/readyz", [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] {
        const bool ok = bound && !stopping;
        send(req, res, ok ? 200 : 503,
             Json{{"status", ok ? "ready" : (stopping ? "stopping" : "starting")},
                  {"backend", backendName}});
      });
    });
    http->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] {
        auto [running, queued] = admission->load();
        metrics->setInFlight(running, queued);
        const ConnectionStats c = http->stats();
        metrics->setConnections(c.open, c.accepted, c.refused, c.headerTimeouts, c.headersTooLarge,
                                c.idleClosed);
        res.set_content(metrics->render(), "text/plain; version=0.0.4");
      });
    });

    // Every status >= 400 passes here; fill the envelope for those that have none yet: httplib's
    // own answers to requests it could not parse (the connection then closes: what follows a
    // malformed head cannot be trusted to start a request). "Unhandled", with our own
    // Content-Length: the body stays as set, and httplib does not apply a Range header it could
    // not parse to it.
    http->set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          closeConnectionAfterResponse();
          res.set_header("Connection", "close");
          if (res.status == 400) {
            sendError(req, res, ErrorKind::InvalidRequest,
                      "malformed HTTP request: its request line or headers cannot be parsed");
          } else if (res.status == 413) {
            sendError(
                req, res, ErrorKind::PayloadTooLarge,
                "the body exceeds the limit of " + std::to_string(options.maxBodyBytes) + " bytes");
          } else if (res.status == 414) {
            sendError(req, res, ErrorKind::UriTooLong, "the request target is too long");
          } else {
            // Whatever else httplib refused: its status, the generic code.
            send(req, res, res.status,
                 errorToJson(errorKindInfo(ErrorKind::Http).code, "the request could not be served",
                             ""));
          }
          res.set_header("Content-Length", std::to_string(res.body.size()));
          return httplib::Server::HandlerResponse::Unhandled;
        }));
    http->set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
          closeConnectionAfterResponse();
          sendError(req, res, ErrorKind::Internal, "internal error");
        });
    // Called for every answer once it is complete and before it is written, on the thread that
    // serves it: count it and its latency. Counted after the write (in the logger), a client could
    // read /metrics before its own previous answer had been counted.
    http->set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      tServiceSeconds = tRequestStart == Clock::time_point{}
                            ? 0.0
                            : std::chrono::duration<double>(Clock::now() - tRequestStart).count();
      tRequestStart = {};
      metrics->observe(routeOf(req), res.status, tServiceSeconds);
    });
    if (options.accessLog) {
      // Method, path, status, size and time: never a header (the token is one) nor a body.
      http->set_logger([](const httplib::Request& req, const httplib::Response& res) {
        std::fprintf(stderr, "%s %s %s %d %zu %.3fms\n", req.remote_addr.c_str(),
                     req.method.c_str(), sanitizeUtf8(req.path).c_str(), res.status,
                     res.body.size(), tServiceSeconds * 1e3);
      });
    }
  }

  // The one exception boundary of a route: every failure becomes the contract's envelope.
  template <typename F>
  void boundary(const httplib::Request& req, httplib::Response& res, F&& body) {
    try {
      body();
    } catch (...) {
      ErrorReport r = reportCurrentException();
      if (r.kind == ErrorKind::DeadlineExceeded)
        r.message += " of " + std::to_string(options.timeoutMs) + " ms";
      if (r.kind == ErrorKind::OutOfMemory) r.message += " now";
      if (r.kind == ErrorKind::Internal)
        r.message = "internal error";  // details stay in the process
      sendError(req, res, r.kind, r.message, r.path);
    }
  }

  enum class Format { Json, Msgpack };

  Format bodyFormat(const httplib::Request& req) const {
    const std::string type = req.get_header_value("Content-Type");
    if (type.rfind("application/msgpack", 0) == 0 || type.rfind("application/x-msgpack", 0) == 0)
      return Format::Msgpack;
    if (type.empty() || type.rfind("application/json", 0) == 0) return Format::Json;
    closeConnectionAfterResponse();  // refused before its body is read
    throw InputError(
        "",
        "unsupported Content-Type \"" + type + "\"; send application/json or application/msgpack",
        ErrorKind::UnsupportedMediaType);
  }

  // The body, decoded (Content-Encoding gzip, deflate or br) and whatever its framing, up to the
  // limit: a chunked or compressed body is refused the moment it passes it.
  std::string readBody(const httplib::Request& req, const httplib::ContentReader& reader) const {
    std::string body;
    if (req.has_header("Content-Length")) {
      body.reserve(std::min<uint64_t>(std::stoull(req.get_header_value("Content-Length")),
                                      static_cast<uint64_t>(options.maxBodyBytes)));
    }
    bool tooLarge = false;
    const bool ok = reader([&](const char* data, size_t n) {
      if (body.size() + n > static_cast<size_t>(options.maxBodyBytes)) {
        tooLarge = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (ok) return body;
    closeConnectionAfterResponse();
    const BodyFailure why = currentBodyFailure();
    if (tooLarge || why == BodyFailure::TooLarge) {
      throw InputError("",
                       "the body exceeds the limit of " + std::to_string(options.maxBodyBytes) +
                           " bytes (after decoding, with its framing)",
                       ErrorKind::PayloadTooLarge);
    }
    if (why == BodyFailure::Timeout) {
      throw InputError("",
                       "the body did not arrive within the time limit of " +
                           std::to_string(options.timeoutMs) + " ms",
                       ErrorKind::RequestTimeout);
    }
    throw InputError(
        "",
        "the body could not be read: the connection closed, or its framing (chunk sizes, "
        "Content-Encoding) is malformed");
  }

  // A place among the computing requests, or an answer (503) when there is none; holds it until
  // the request is done, and shares the cores among the requests computing now.
  struct Admitted {
    Admission* admission = nullptr;
    explicit operator bool() const { return admission != nullptr; }
    Admitted() = default;
    explicit Admitted(Admission* a) : admission(a) {}
    Admitted(const Admitted&) = delete;
    Admitted(Admitted&& o) noexcept : admission(o.admission) { o.admission = nullptr; }
    ~Admitted() {
      if (admission) admission->leave();
    }
  };
  Admitted admit(const httplib::Request& req, httplib::Response& res,
                 std::chrono::steady_clock::time_point deadline) {
    switch (admission->enter(deadline)) {
      case Admission::Outcome::Saturated:
        sendError(req, res, ErrorKind::Overloaded,
                  "all " + std::to_string(options.workers) + " workers are busy and " +
                      std::to_string(options.queue) + " requests are waiting; retry later");
        return Admitted();
      case Admission::Outcome::TimedOut:
        throw DeadlineError("the request waited for a worker past its time limit");
      case Admission::Outcome::Admitted:
        break;
    }
    Admitted admitted(admission.get());
    // Share the cores among the requests computing now: OpenMP teams of every request at full
    // width would oversubscribe them, and idle OpenMP threads spin.
    // Once: hardware_concurrency reads /sys on every call, a syscall per request otherwise.
    static const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    omp_set_num_threads(
        std::max(1, cores / static_cast<int>(std::max<int64_t>(1, admission->load().first))));
    return admitted;
  }

  // POST /v1/simulate (contract §9): JSON only; the t0 margin and the clearing simulation.
  void simulate(const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader& reader) {
    const auto deadline = tRequestStart + std::chrono::milliseconds(options.timeoutMs);
    if (bodyFormat(req) != Format::Json) {
      throw InputError("", "/v1/simulate takes application/json", ErrorKind::UnsupportedMediaType);
    }
    SimulateRequest sim;
    {
      const std::string body = readBody(req, reader);
      sim = parseSimulateText(body, options.limits);
    }
    const Admitted admitted = admit(req, res, deadline);
    if (!admitted) return;
    EngineOptions engine;
    engine.deadline = deadline;
    const ClearingResult result = simulateClearing(sim.request, sim.clearing, engine);
    metrics->addWork(static_cast<int64_t>(sim.request.accounts.size()),
                     sim.request.config.scenarios);
    Json answer = clearingToJson(sim, result);
    send(req, res, 200, answer);
    if (options.report) {
      auto latest = std::make_shared<LatestSimulation>(
          LatestSimulation{std::move(sim.request), std::move(answer), report::nowIso8601()});
      const std::lock_guard<std::mutex> lock(latestMu);
      latestSimulation = std::move(latest);
    }
  }

  // GET /v1/report: the latest margin run (else the latest simulation's t0) and the latest
  // simulation, as one page.
  void latestReport(httplib::Response& res) {
    if (!options.report) {
      throw InputError("",
                       "this service keeps no report: start it with `xmargin serve --report`, or "
                       "POST the documents to /v1/report",
                       ErrorKind::NotFound);
    }
    std::shared_ptr<const LatestMargin> m;
    std::shared_ptr<const LatestSimulation> s;
    {
      const std::lock_guard<std::mutex> lock(latestMu);
      m = latestMargin;
      s = latestSimulation;
    }
    if (!m && !s) {
      throw InputError("", "no run to report yet: POST /v1/margin or /v1/simulate first",
                       ErrorKind::NotFound);
    }
    std::string title = "xmargin risk report: ";
    if (m) {
      report::ReportBuilder builder(&m->request);
      builder.response(m->request, m->response);
      title += "margin run of " + m->at;
      if (s) {
        builder.simulation(s->answer["simulation"]);
        title += ", simulation of " + s->at;
      }
      res.set_content(builder.html(title, report::nowIso8601()), "text/html; charset=utf-8");
    } else {
      report::ReportBuilder builder(&s->request);
      const Json& t0 = s->answer["t0"];
      for (const Json& a : t0["accounts"]) builder.account(a);
      builder.run(t0["run"]);
      builder.totals(t0["totals"]);
      builder.simulation(s->answer["simulation"]);
      title += "simulation of " + s->at;
      res.set_content(builder.html(title, report::nowIso8601()), "text/html; charset=utf-8");
    }
    res.status = 200;
  }

  // The intraday routes (contract §10); their work is in IntradayService.
  void configureIntraday() {
    const std::string one = R"(/v1/snapshots/([^/]+))";
    http->Put(one, [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) {
      boundary(req, res, [&] {
        const auto deadline = tRequestStart + std::chrono::milliseconds(options.timeoutMs);
        const std::string body = jsonBody(req, reader);
        const Admitted admitted = admit(req, res, deadline);
        if (!admitted) return;
        bool created = false;
        const Json j = intraday->put(req.matches[1], body, engineOptions(deadline), created);
        send(req, res, created ? 201 : 200, j);
      });
    });
    http->Get(one, [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] { send(req, res, 200, intraday->get(req.matches[1])); });
    });
    http->Delete(one, [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] { send(req, res, 200, intraday->drop(req.matches[1])); });
    });
    http->Get("/v1/snapshots", [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] { send(req, res, 200, intraday->list()); });
    });
    http->Post(one + "/marks", [this](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) {
      boundary(req, res, [&] {
        const auto deadline = tRequestStart + std::chrono::milliseconds(options.timeoutMs);
        const std::string body = jsonBody(req, reader);
        const Admitted admitted = admit(req, res, deadline);
        if (!admitted) return;
        send(req, res, 200, intraday->marks(req.matches[1], body, engineOptions(deadline)));
      });
    });
    http->Post("/v1/whatif", [this](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& reader) {
      boundary(req, res, [&] {
        const auto deadline = tRequestStart + std::chrono::milliseconds(options.timeoutMs);
        const std::string body = jsonBody(req, reader);
        const Admitted admitted = admit(req, res, deadline);
        if (!admitted) return;
        const std::string answer = intraday->whatIf(body);
        if (wantsMsgpack(req)) {
          send(req, res, 200, Json::parse(answer));
        } else {
          res.status = 200;
          res.set_content(answer, "application/json");
        }
      });
    });
    http->Post("/v1/neutralize", [this](const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& reader) {
      boundary(req, res, [&] {
        const auto deadline = tRequestStart + std::chrono::milliseconds(options.timeoutMs);
        const std::string body = jsonBody(req, reader);
        const Admitted admitted = admit(req, res, deadline);
        if (!admitted) return;
        send(req, res, 200, intraday->neutralize(body, engineOptions(deadline)));
      });
    });
  }

  static EngineOptions engineOptions(Clock::time_point deadline) {
    EngineOptions engine;
    engine.deadline = deadline;
    return engine;
  }

  // The body of a JSON-only route.
  std::string jsonBody(const httplib::Request& req, const httplib::ContentReader& reader) {
    if (bodyFormat(req) != Format::Json) {
      throw InputError("", req.path + " takes application/json", ErrorKind::UnsupportedMediaType);
    }
    return readBody(req, reader);
  }

  void margin(const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader& reader) {
    const auto deadline = tRequestStart + std::chrono::milliseconds(options.timeoutMs);
    const Format format = bodyFormat(req);
    ParsedRequest parsed;
    {
      const std::string body = readBody(req, reader);
      RequestOptions parse;
      parse.snapshots = intraday->lookup();
      parsed = format == Format::Msgpack ? parseRequestMsgpack(body, options.limits, parse)
                                         : parseRequestText(body, options.limits, parse);
    }
    const MarginRequest& request = parsed.request;
    const Admitted admitted = admit(req, res, deadline);
    if (!admitted) return;
    EngineOptions engine;
    engine.deadline = deadline;
    engine.batchAccounts = 4096;  // frequent deadline checks
    const MarginResponse response = computeParsedMargin(parsed, engine);
    metrics->addWork(static_cast<int64_t>(request.accounts.size()), request.config.scenarios);
    if (wantsMsgpack(req)) {
      res.status = 200;
      res.set_content(responseToMsgpack(request, response), "application/msgpack");
    } else {
      res.status = 200;
      res.set_content(responseToText(request, response), "application/json");
    }
    if (options.report) {
      auto latest = std::make_shared<LatestMargin>(
          LatestMargin{std::move(parsed.request), response, report::nowIso8601()});
      const std::lock_guard<std::mutex> lock(latestMu);
      latestMargin = std::move(latest);
    }
  }

  Json info() const {
    Json backends = Json::array();
    for (const BackendAvailability& b : listBackends()) {
      backends.push_back({{"name", b.name},
                          {"compiled", b.compiled},
                          {"usable", b.usable},
                          {"device", b.device},
                          {"reason", b.reason}});
    }
    const Limits& l = options.limits;
    return {{"version", kVersion},
            {"backend", backendName},
            {"device", deviceName},
            {"backends", backends},
            {"limits",
             {{"min_scenarios", l.minScenarios},
              {"max_scenarios", l.maxScenarios},
              {"max_accounts", l.maxAccounts},
              {"max_work", l.maxWork},
              {"max_body_bytes", options.maxBodyBytes},
              {"timeout_ms", options.timeoutMs},
              {"workers", options.workers},
              {"queue", options.queue},
              {"max_connections", options.maxConnections},
              {"header_timeout_ms", options.headerTimeoutMs},
              {"idle_timeout_ms", options.idleTimeoutMs},
              {"max_header_bytes", options.maxHeaderBytes},
              {"snapshot_memory", options.snapshotMemory}}},
            {"auth", !options.token.empty()}};
  }
};

MarginServer::MarginServer(ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
MarginServer::~MarginServer() { stop(); }

int MarginServer::bind() {
  // One descriptor per connection, plus the process's own: raise the soft limit to what
  // maxConnections needs when the hard limit allows.
  rlimit files{};
  const rlim_t need = static_cast<rlim_t>(impl_->options.maxConnections) + 64;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < need) {
    files.rlim_cur = std::min(need, files.rlim_max);
    setrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur < need) {
      throw std::runtime_error("--max-connections " +
                               std::to_string(impl_->options.maxConnections) + " needs " +
                               std::to_string(need) + " file descriptors; the limit is " +
                               std::to_string(files.rlim_max) + " (ulimit -n)");
    }
  }
  int port = impl_->options.port;
  if (port == 0) {
    port = impl_->http->bind_to_any_port(impl_->options.host);
  } else if (!impl_->http->bind_to_port(impl_->options.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    throw std::runtime_error("cannot listen on " + impl_->options.host + ":" +
                             std::to_string(impl_->options.port));
  }
  impl_->options.port = port;
  widenListenBacklog(port);
  impl_->bound = true;
  return port;
}

void MarginServer::serve() {
  if (!impl_->bound) bind();
  impl_->http->start();
  impl_->http->listen_after_bind();
  impl_->http->drain();  // requests whose head had arrived finish; then the threads are joined
}

void MarginServer::stop() {
  impl_->stopping = true;
  impl_->http->stop();
}

bool MarginServer::ready() const { return impl_->bound && !impl_->stopping; }
int64_t MarginServer::openConnections() const { return impl_->http->stats().open; }
void MarginServer::serveStream(httplib::Stream& stream) { impl_->http->serveStream(stream); }
const ServerOptions& MarginServer::options() const { return impl_->options; }
std::string MarginServer::backend() const { return impl_->backendName; }

}  // namespace xm
