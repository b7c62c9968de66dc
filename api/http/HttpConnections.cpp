// The connection front (HttpConnections.h). About 600 lines on purpose: one connection's life —
// the gate's epoll loop, the stream a worker reads it through, the worker pools and the hand-back
// for keep-alive — shares the Connection, its deadlines and two thread-locals, and is easier to
// audit for a leaked descriptor or a thread left waiting on a client when read in one file.
#include "api/http/HttpConnections.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "host/model/Errors.h"

namespace xm {
namespace {

using Clock = std::chrono::steady_clock;

class ConnectionStream;
thread_local bool tCloseAfterResponse = false;
thread_local const ConnectionStream* tStream = nullptr;  // the request being served here

int msUntil(Clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1'000'000));
}

// A connection and the bytes received on it that no request has consumed yet.
struct Connection {
  int fd = -1;
  std::string buffer;
  size_t offset = 0;           // buffer[offset..] is unread
  Clock::time_point deadline;  // in the gate: of the head; 408 or a silent close past it
  bool headStarted = false;    // a byte of the current request has arrived
  bool lingering = false;      // answered and half-closed: what still arrives is discarded
  int served = 0;

  std::string_view unread() const { return std::string_view(buffer).substr(offset); }
  void consume(size_t n) {
    offset += n;
    if (offset == buffer.size()) {
      buffer.clear();
      offset = 0;
    }
  }
  // RFC 9112 §2.2: empty lines before a request line are ignored.
  void skipLeadingBlankLines() {
    while (unread().rfind("\r\n", 0) == 0) consume(2);
  }
  bool headComplete() const { return unread().find("\r\n\r\n") != std::string_view::npos; }
};

// Acknowledges what has arrived now rather than after the delayed-ACK timer: a client whose
// Nagle holds its body until the head is acknowledged would otherwise wait ~40 ms per request
// on a long keep-alive connection (Linux re-arms delayed ACKs after a connection's first
// segments). Not sticky: set after each read that may be followed by a wait.
void quickAck(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

// Writes a whole small answer on a non-blocking socket, best effort (the gate's 408/431/503).
// Status, code and Retry-After come from the error table (host/model/Errors.h).
void sendCanned(int fd, ErrorKind kind, const char* reason, const std::string& message) {
  const ErrorKindInfo& k = errorKindInfo(kind);
  const std::string body = std::string("{\"error\":{\"code\":\"") + k.code + "\",\"message\":\"" +
                           message + "\",\"path\":\"\"}}";
  std::string text = "HTTP/1.1 " + std::to_string(k.httpStatus) + " " + reason +
                     "\r\nContent-Type: application/json\r\nConnection: close\r\n";
  if (k.retryAfterSeconds > 0)
    text += "Retry-After: " + std::to_string(k.retryAfterSeconds) + "\r\n";
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n =
        ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// A request's reads and writes on its connection: reads come from the connection's buffer, refilled
// from the socket until the request's deadline; at most `budget` bytes are consumed past the head.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(Connection& c, Clock::time_point readDeadline, int writeTimeoutMs,
                   int64_t budget)
      : c_(c), readDeadline_(readDeadline), writeTimeoutMs_(writeTimeoutMs), budget_(budget) {}

  bool failed() const { return failure_ != BodyFailure::None || writeFailed_; }
  bool writeFailed() const { return writeFailed_; }
  BodyFailure failure() const { return failure_; }
  // The head is already in the buffer: only bytes past it count against the budget.
  void setHeadBytes(size_t n) { headBytes_ = n; }

  bool is_readable() const override { return !c_.unread().empty(); }
  bool is_writable() const override { return !writeFailed_; }

  ssize_t read(char* ptr, size_t size) override {
    if (failure_ != BodyFailure::None) return -1;
    if (c_.unread().empty() && !fill()) return failure_ == BodyFailure::Closed ? 0 : -1;
    size_t n = std::min(size, c_.unread().size());
    if (consumed_ + n > headBytes_ + static_cast<uint64_t>(budget_)) {
      failure_ = BodyFailure::TooLarge;
      return -1;
    }
    std::memcpy(ptr, c_.unread().data(), n);
    c_.consume(n);
    consumed_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    size_t done = 0;
    while (done < size && !writeFailed_) {
      const ssize_t n = ::send(c_.fd, ptr + done, size - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{c_.fd, POLLOUT, 0};
        if (::poll(&p, 1, writeTimeoutMs_) > 0 && !(p.revents & (POLLERR | POLLHUP))) continue;
      }
      writeFailed_ = true;
    }
    return writeFailed_ ? -1 : static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address(true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address(false, ip, port);
  }
  socket_t socket() const override { return c_.fd; }

 private:
  // Waits for and appends what the socket has; false at the deadline, on close or on error.
  bool fill() {
    for (;;) {
      char buf[16 << 10];
      const ssize_t n = ::recv(c_.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c_.buffer.append(buf, static_cast<size_t>(n));
        return true;
      }
      if (n == 0) {
        failure_ = BodyFailure::Closed;
        return false;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        failure_ = BodyFailure::Closed;
        return false;
      }
      const int wait = msUntil(readDeadline_);
      quickAck(c_.fd);
      pollfd p{c_.fd, POLLIN, 0};
      if (wait == 0 || ::poll(&p, 1, wait) == 0) {
        failure_ = BodyFailure::Timeout;
        return false;
      }
    }
  }

  void address(bool remote, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ip.clear();
    port = 0;
    const int rc = remote ? ::getpeername(c_.fd, reinterpret_cast<sockaddr*>(&addr), &len)
                          : ::getsockname(c_.fd, reinterpret_cast<sockaddr*>(&addr), &len);
    if (rc != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
      ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
      port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
      ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
      port = ntohs(a->sin6_port);
    }
    ip = text;
  }

  Connection& c_;
  Clock::time_point readDeadline_;
  int writeTimeoutMs_;
  int64_t budget_;
  uint64_t consumed_ = 0, headBytes_ = 0;
  BodyFailure failure_ = BodyFailure::None;
  bool writeFailed_ = false;
};

// Answers are whole documents: a Range header is ignored (RFC 9110 §14.2 lets a server), or
// httplib would cut a JSON answer to the bytes asked for (found by fuzzing: "bytes=0-10" sent
// 11 bytes of an error envelope as application/json).
void ignoreRanges(httplib::Request& req) { req.ranges.clear(); }

// Fixed threads taking connections off one queue.
class WorkerPool {
 public:
  template <typename F>
  void start(int threads, F&& serve) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, serve] {
        for (;;) {
          std::unique_ptr<Connection> c;
          {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and nothing left to serve
            c = std::move(queue_.front());
            queue_.pop_front();
          }
          serve(std::move(c));
        }
      });
    }
  }
  void push(std::unique_ptr<Connection> c) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(c));
    }
    cv_.notify_one();
  }
  // Serves what is queued, then joins.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Connection>> queue_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

// Runs each task where it is enqueued: httplib's accept loop hands the socket straight to our
// process_and_close_socket, which only registers it with the gate.
class InlineTaskQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

}  // namespace

struct GuardedHttpServer::Impl {
  GuardedHttpServer& server;
  ConnectionLimits limits;
  int epfd = -1, wakeFd = -1;
  std::mutex mu;                                                 // guards waiting and stopping
  std::unordered_map<int, std::unique_ptr<Connection>> waiting;  // in the gate, by fd
  bool stopping = false;
  bool started = false;
  std::thread gate;
  WorkerPool light, heavy;
  std::atomic<int64_t> open{0}, accepted{0}, refused{0}, headerTimeouts{0}, headersTooLarge{0},
      idleClosed{0};

  Impl(GuardedHttpServer& s, ConnectionLimits l) : server(s), limits(l) {}

  void close(std::unique_ptr<Connection> c) {
    if (!c) return;
    ::shutdown(c->fd, SHUT_RDWR);
    ::close(c->fd);
    --open;
  }

  // A close after an answer the client may still be sending into (a body refused from its head,
  // a 431): closing with unread bytes would make the kernel reset the connection, and the client
  // could lose the answer. Half-close, let the gate discard what arrives until the client closes
  // or kLingerMs pass, then close (Apache's and nginx's lingering close).
  static constexpr int kLingerMs = 5000;
  void linger(std::unique_ptr<Connection> c) {
    ::shutdown(c->fd, SHUT_WR);
    c->lingering = true;
    c->buffer.clear();
    c->offset = 0;
    c->deadline = Clock::now() + std::chrono::milliseconds(kLingerMs);
    park(std::move(c));
  }

  void admit(int fd) {
    ++accepted;
    if (open.fetch_add(1) >= limits.maxConnections) {
      ++refused;
      sendCanned(fd, ErrorKind::Overloaded, "Service Unavailable",
                 "the server has " + std::to_string(limits.maxConnections) +
                     " connections open; retry later");
      ::close(fd);
      --open;
      return;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // head and body: no Nagle delay
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->deadline = Clock::now() + std::chrono::milliseconds(limits.headerTimeoutMs);
    park(std::move(c));
  }

  // Into the gate until its next head is complete (or at once to a worker if it already is).
  void park(std::unique_ptr<Connection> c) {
    std::unique_lock<std::mutex> lock(mu);
    if (stopping) {
      lock.unlock();
      close(std::move(c));
      return;
    }
    const int fd = c->fd;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    waiting.emplace(fd, std::move(c));
    if (::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      auto back = std::move(waiting[fd]);
      waiting.erase(fd);
      lock.unlock();
      close(std::move(back));
    }
  }

  std::unique_ptr<Connection> unpark(int fd) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = waiting.find(fd);
    if (it == waiting.end()) return nullptr;
    auto c = std::move(it->second);
    waiting.erase(it);
    ::epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
    return c;
  }

  void dispatch(std::unique_ptr<Connection> c) {
    const std::string_view head = c->unread();
    const bool lightweight = head.rfind("GET ", 0) == 0 || head.rfind("HEAD ", 0) == 0;
    (lightweight ? light : heavy).push(std::move(c));
  }

  // The gate thread: reads heads, hands complete ones to workers, closes the late and the large.
  void runGate() {
    std::vector<epoll_event> events(256);
    auto nextScan = Clock::now();
    for (;;) {
      const int n = ::epoll_wait(epfd, events.data(), static_cast<int>(events.size()), 100);
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stopping) break;
      }
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wakeFd) continue;
        readHead(fd);
      }
      const auto now = Clock::now();
      if (now >= nextScan) {
        expire(now);
        nextScan = now + std::chrono::milliseconds(50);
      }
    }
    std::unordered_map<int, std::unique_ptr<Connection>> left;
    {
      std::lock_guard<std::mutex> lock(mu);
      left.swap(waiting);
    }
    for (auto& [fd, c] : left) close(std::move(c));
  }

  void readHead(int fd) {
    Connection* c;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = waiting.find(fd);
      if (it == waiting.end()) return;
      c = it->second.get();  // only this thread removes connections from `waiting`
    }
    bool closed = false, tooLarge = false;
    char buf[16 << 10];
    if (c->lingering) {
      for (;;) {
        const ssize_t r = ::recv(fd, buf, sizeof buf, 0);
        if (r > 0 || (r < 0 && errno == EINTR)) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        close(unpark(fd));  // the client has closed too
        return;
      }
    }
    for (;;) {
      const ssize_t r = ::recv(fd, buf, sizeof buf, 0);
      if (r > 0) {
        if (!c->headStarted) {
          c->headStarted = true;
          c->deadline = std::min(c->deadline,
                                 Clock::now() + std::chrono::milliseconds(limits.headerTimeoutMs));
        }
        const size_t before = c->unread().size();
        c->buffer.append(buf, static_cast<size_t>(r));
        c->skipLeadingBlankLines();
        const size_t from = before >= 3 ? before - 3 : 0;
        const size_t end = c->unread().find("\r\n\r\n", from);
        if (end != std::string_view::npos) {  // the head is in, unless it is too long
          tooLarge = static_cast<int64_t>(end + 4) > limits.maxHeaderBytes;
          break;
        }
        if (static_cast<int64_t>(c->unread().size()) > limits.maxHeaderBytes) {
          tooLarge = true;
          break;
        }
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      closed = true;  // end of stream or an error
      break;
    }
    if (tooLarge) {
      ++headersTooLarge;
      auto gone = unpark(fd);
      sendCanned(fd, ErrorKind::HeadersTooLarge, "Request Header Fields Too Large",
                 "the request line and headers exceed " + std::to_string(limits.maxHeaderBytes) +
                     " bytes");
      linger(std::move(gone));
    } else if (c->headComplete()) {
      quickAck(fd);
      dispatch(unpark(fd));
    } else if (closed) {
      close(unpark(fd));
    }
  }

  void expire(Clock::time_point now) {
    std::vector<std::unique_ptr<Connection>> late;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto it = waiting.begin(); it != waiting.end();) {
        if (it->second->deadline <= now) {
          ::epoll_ctl(epfd, EPOLL_CTL_DEL, it->first, nullptr);
          late.push_back(std::move(it->second));
          it = waiting.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& c : late) {
      if (c->lingering) {
        close(std::move(c));
      } else if (c->headStarted) {
        ++headerTimeouts;
        sendCanned(c->fd, ErrorKind::RequestTimeout, "Request Timeout",
                   "the request head did not arrive within " +
                       std::to_string(limits.headerTimeoutMs) + " ms");
        linger(std::move(c));
      } else {
        ++idleClosed;
        close(std::move(c));
      }
    }
  }

  // A worker: the connection's request, then back to the gate (or on to a pool if the next
  // head is already here).
  void serve(std::unique_ptr<Connection> c) {
    c->skipLeadingBlankLines();
    const size_t headBytes = c->unread().find("\r\n\r\n") + 4;
    bool last;
    {
      std::lock_guard<std::mutex> lock(mu);
      last = stopping;
    }
    last = last || ++c->served >= limits.keepAliveRequests;
    const auto deadline = Clock::now() + std::chrono::milliseconds(limits.bodyTimeoutMs);
    ConnectionStream stream(*c, deadline, limits.writeTimeoutMs, limits.maxRequestBytes);
    stream.setHeadBytes(headBytes);
    bool answered = false;
    const bool keep = processOne(stream, last, answered);
    if (!keep) {
      // Answered, and the client may still be sending (a refused body): linger. Otherwise
      // (the client went away, or a write failed) close at once.
      if (answered && stream.failure() != BodyFailure::Closed)
        linger(std::move(c));
      else
        close(std::move(c));
      return;
    }
    c->headStarted = !c->unread().empty();
    if (c->headComplete()) {  // pipelined: the next head is already here; to its own pool
      dispatch(std::move(c));
      return;
    }
    c->deadline = Clock::now() + std::chrono::milliseconds(c->headStarted ? limits.headerTimeoutMs
                                                                          : limits.idleTimeoutMs);
    park(std::move(c));
  }

  // One request on `stream`; whether the connection may carry another.
  bool processOne(ConnectionStream& stream, bool last, bool& answered) {
    tCloseAfterResponse = false;
    tStream = &stream;
    bool closedByClient = false;
    bool ok = false;
    try {
      ok = server.process_request(stream, last, closedByClient, ignoreRanges);
    } catch (...) {
      ok = false;  // the route boundaries catch everything; this guards httplib's own code
    }
    answered = ok && !stream.writeFailed();
    const bool keep = ok && !last && !closedByClient && !tCloseAfterResponse && !stream.failed();
    tCloseAfterResponse = false;
    tStream = nullptr;
    return keep;
  }
};

GuardedHttpServer::GuardedHttpServer(ConnectionLimits limits)
    : impl_(std::make_unique<Impl>(*this, limits)) {
  new_task_queue = [] { return new InlineTaskQueue; };
  set_keep_alive_max_count(static_cast<size_t>(std::max(1, limits.keepAliveRequests)));
  set_keep_alive_timeout(std::max(1, limits.idleTimeoutMs / 1000));
}

GuardedHttpServer::~GuardedHttpServer() { drain(); }

void GuardedHttpServer::start() {
  Impl& m = *impl_;
  if (m.started) return;
  m.epfd = ::epoll_create1(EPOLL_CLOEXEC);
  m.wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = m.wakeFd;
  ::epoll_ctl(m.epfd, EPOLL_CTL_ADD, m.wakeFd, &ev);
  m.light.start(std::max(1, m.limits.lightThreads),
                [&m](std::unique_ptr<Connection> c) { m.serve(std::move(c)); });
  m.heavy.start(std::max(1, m.limits.requestThreads),
                [&m](std::unique_ptr<Connection> c) { m.serve(std::move(c)); });
  m.gate = std::thread([&m] { m.runGate(); });
  m.started = true;
}

void GuardedHttpServer::drain() {
  Impl& m = *impl_;
  if (!m.started) return;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    m.stopping = true;
  }
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t w = ::write(m.wakeFd, &one, sizeof one);
  m.gate.join();
  m.heavy.stop();
  m.light.stop();
  ::close(m.epfd);
  ::close(m.wakeFd);
  m.started = false;
}

ConnectionStats GuardedHttpServer::stats() const {
  const Impl& m = *impl_;
  return {m.open.load(),           m.accepted.load(),        m.refused.load(),
          m.headerTimeouts.load(), m.headersTooLarge.load(), m.idleClosed.load()};
}

const ConnectionLimits& GuardedHttpServer::limits() const { return impl_->limits; }

bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
  impl_->admit(sock);
  return true;
}

void GuardedHttpServer::serveStream(httplib::Stream& stream) {
  for (int i = 0; i < impl_->limits.keepAliveRequests; ++i) {
    tCloseAfterResponse = false;
    bool closedByClient = false;
    const bool ok = process_request(stream, false, closedByClient, ignoreRanges);
    if (!ok || closedByClient || tCloseAfterResponse || !stream.is_readable()) break;
  }
  tCloseAfterResponse = false;
}

void closeConnectionAfterResponse() { tCloseAfterResponse = true; }

BodyFailure currentBodyFailure() { return tStream ? tStream->failure() : BodyFailure::None; }

}  // namespace xm
