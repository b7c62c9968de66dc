#include "api/HttpServer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <omp.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "api/JsonCodec.h"
#include "api/Metrics.h"
#include "host/BackendRegistry.h"
#include "host/Errors.h"
#include "host/MarginEngine.h"
#include "host/Version.h"

// Last: httplib pulls in <resolv.h>, whose `_res` macro breaks Eigen headers included after it.
#include <httplib.h>

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

void sendError(const httplib::Request& req, httplib::Response& res, int status,
               const std::string& code, const std::string& message, const std::string& path = "") {
  send(req, res, status, errorToJson(code, message, path));
}

const char* const kRoutes[][2] = {{"/v1/margin", "POST"}, {"/v1/info", "GET"},
                                  {"/healthz", "GET"},    {"/readyz", "GET"},
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

const char* allowedMethod(const std::string& path) {
  for (const auto& r : kRoutes)
    if (path == r[0]) return r[1];
  return nullptr;
}

}  // namespace

struct MarginServer::Impl {
  ServerOptions options;
  httplib::Server http;
  std::string backendName, deviceName;
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<Admission> admission;
  std::atomic<bool> bound{false}, stopping{false};

  explicit Impl(ServerOptions o) : options(std::move(o)) {
    if (options.workers <= 0) options.workers = std::max(1u, std::thread::hardware_concurrency());
    if (options.queue < 0) options.queue = 0;
    if (options.connectionThreads <= 0) options.connectionThreads = options.workers + options.queue + 8;
    // Initialise the backend auto would pick, so /readyz and /v1/info tell the truth.
    auto backend = makeBackend(BackendChoice::Auto);
    backendName = backend->name();
    deviceName = backend->device();
    metrics = std::make_unique<Metrics>(backendName);
    admission = std::make_unique<Admission>(options.workers, options.queue);
    configure();
  }

  std::string routeOf(const httplib::Request& req) const {
    return allowedMethod(req.path) ? req.path : "unmatched";
  }

  void configure() {
    const int threads = options.connectionThreads;
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_payload_max_length(static_cast<size_t>(options.maxBodyBytes));
    // Headers and body go out in separate writes: without TCP_NODELAY, Nagle holds the body
    // until the client's delayed ACK, adding ~40 ms to every answer.
    http.set_tcp_nodelay(true);
    http.set_keep_alive_timeout(5);
    http.set_read_timeout(30, 0);
    http.set_write_timeout(30, 0);

    // Authentication before routing, so that no /v1 body is read for an unauthorised caller.
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      tRequestStart = Clock::now();
      if (options.token.empty() || req.path.rfind("/v1/", 0) != 0) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      const std::string auth = req.get_header_value("Authorization");
      const std::string prefix = "Bearer ";
      const bool ok = auth.size() > prefix.size() && auth.compare(0, prefix.size(), prefix) == 0 &&
                      constantTimeEquals(auth.substr(prefix.size()), options.token);
      if (ok) return httplib::Server::HandlerResponse::Unhandled;
      res.set_header("WWW-Authenticate", "Bearer");
      sendError(req, res, 401, "unauthorized", "a valid Authorization: Bearer token is required");
      return httplib::Server::HandlerResponse::Handled;
    });

    http.Post("/v1/margin", [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] { margin(req, res); });
    });
    http.Get("/v1/info", [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] { send(req, res, 200, info()); });
    });
    http.Get("/healthz", [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] { send(req, res, 200, Json{{"status", "ok"}}); });
    });
    http.Get("/readyz", [this](const httplib::Request& req, httplib::Response& res) {
      const bool ok = bound && !stopping;
      send(req, res, ok ? 200 : 503,
           Json{{"status", ok ? "ready" : (stopping ? "stopping" : "starting")}, {"backend", backendName}});
    });
    http.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      boundary(req, res, [&] {
        auto [running, queued] = admission->load();
        metrics->setInFlight(running, queued);
        res.set_content(metrics->render(), "text/plain; version=0.0.4");
      });
    });

    // Every status >= 400 passes here; fill the envelope for those that have no body yet:
    // unknown routes, wrong methods, bodies over the limit.
    http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                       httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      if (res.status == 404) {
        if (const char* allowed = allowedMethod(req.path)) {
          res.set_header("Allow", allowed);
          sendError(req, res, 405, "method_not_allowed",
                    req.method + " is not allowed on " + req.path + "; use " + allowed);
        } else {
          sendError(req, res, 404, "not_found", "no such route: " + req.method + " " + req.path);
        }
      } else if (res.status == 413) {
        sendError(req, res, 413, "payload_too_large",
                  "the body exceeds the limit of " + std::to_string(options.maxBodyBytes) + " bytes");
      } else {
        sendError(req, res, res.status, "http_error", "the request could not be served");
      }
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
      sendError(req, res, 500, "internal_error", "internal error");
    });
    // Called for every answer once it is complete and before it is written, on the thread that
    // serves it: count it and its latency. Counted after the write (in the logger), a client could
    // read /metrics before its own previous answer had been counted.
    http.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      tServiceSeconds =
          tRequestStart == Clock::time_point{} ? 0.0
                                               : std::chrono::duration<double>(Clock::now() - tRequestStart).count();
      tRequestStart = {};
      metrics->observe(routeOf(req), res.status, tServiceSeconds);
    });
    if (options.accessLog) {
      http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        std::fprintf(stderr, "%s %s %s %d %zu %.3fms\n", req.remote_addr.c_str(), req.method.c_str(),
                     req.path.c_str(), res.status, res.body.size(), tServiceSeconds * 1e3);
      });
    }
  }

  // The one exception boundary of a route: every failure becomes the contract's envelope.
  template <typename F>
  void boundary(const httplib::Request& req, httplib::Response& res, F&& body) {
    try {
      body();
    } catch (const InputError& e) {
      send(req, res, e.httpStatus(), errorToJson(e));
    } catch (const DeadlineError& e) {
      res.set_header("Retry-After", "5");
      sendError(req, res, 503, "deadline_exceeded",
                std::string(e.what()) + " of " + std::to_string(options.timeoutMs) + " ms");
    } catch (const BackendError& e) {
      res.set_header("Retry-After", "30");
      sendError(req, res, 503, "backend_error", e.what());
    } catch (const std::bad_alloc&) {
      res.set_header("Retry-After", "30");
      sendError(req, res, 503, "out_of_memory", "not enough memory for this request now");
    } catch (const std::exception&) {
      sendError(req, res, 500, "internal_error", "internal error");
    }
  }

  MarginRequest decode(const httplib::Request& req) const {
    const std::string type = req.get_header_value("Content-Type");
    if (type.rfind("application/msgpack", 0) == 0 || type.rfind("application/x-msgpack", 0) == 0) {
      return parseRequestMsgpack(req.body, options.limits);
    }
    if (!type.empty() && type.rfind("application/json", 0) != 0) {
      throw InputError("", "unsupported Content-Type \"" + type +
                               "\"; send application/json or application/msgpack",
                       "unsupported_media_type", 415);
    }
    return parseRequestText(req.body, options.limits);
  }

  void margin(const httplib::Request& req, httplib::Response& res) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(options.timeoutMs);
    const MarginRequest request = decode(req);
    switch (admission->enter(deadline)) {
      case Admission::Outcome::Saturated:
        res.set_header("Retry-After", "1");
        sendError(req, res, 503, "overloaded",
                  "all " + std::to_string(options.workers) + " workers are busy and " +
                      std::to_string(options.queue) + " requests are waiting; retry later");
        return;
      case Admission::Outcome::TimedOut:
        throw DeadlineError("the request waited for a worker past its time limit");
      case Admission::Outcome::Admitted:
        break;
    }
    struct Leave {
      Admission* a;
      ~Leave() { a->leave(); }
    } leave{admission.get()};
    // Share the cores among the requests computing now: OpenMP teams of every request at full
    // width would oversubscribe them, and idle OpenMP threads spin.
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    omp_set_num_threads(std::max(1, cores / static_cast<int>(std::max<int64_t>(1, admission->load().first))));
    EngineOptions engine;
    engine.deadline = deadline;
    engine.batchAccounts = 4096;  // frequent deadline checks
    const MarginResponse response = computeMargin(request, engine);
    metrics->addWork(static_cast<int64_t>(request.accounts.size()), request.config.scenarios);
    if (wantsMsgpack(req)) {
      send(req, res, 200, responseToJson(request, response));
    } else {
      res.status = 200;
      res.set_content(responseToText(request, response), "application/json");
    }
  }

  Json info() const {
    Json backends = Json::array();
    for (const BackendAvailability& b : listBackends()) {
      backends.push_back({{"name", b.name}, {"compiled", b.compiled}, {"usable", b.usable},
                          {"device", b.device}, {"reason", b.reason}});
    }
    const Limits& l = options.limits;
    return {{"version", kVersion},
            {"backend", backendName},
            {"device", deviceName},
            {"backends", backends},
            {"limits", {{"min_scenarios", l.minScenarios}, {"max_scenarios", l.maxScenarios},
                        {"max_accounts", l.maxAccounts}, {"max_work", l.maxWork},
                        {"max_body_bytes", options.maxBodyBytes}, {"timeout_ms", options.timeoutMs},
                        {"workers", options.workers}, {"queue", options.queue}}},
            {"auth", !options.token.empty()}};
  }
};

MarginServer::MarginServer(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
MarginServer::~MarginServer() { stop(); }

int MarginServer::bind() {
  int port = impl_->options.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(impl_->options.host);
  } else if (!impl_->http.bind_to_port(impl_->options.host, port)) {
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
  impl_->http.listen_after_bind();
}

void MarginServer::stop() {
  impl_->stopping = true;
  impl_->http.stop();
}

bool MarginServer::ready() const { return impl_->bound && !impl_->stopping; }
const ServerOptions& MarginServer::options() const { return impl_->options; }
std::string MarginServer::backend() const { return impl_->backendName; }

}  // namespace xm
