#pragma once
// A real server on 127.0.0.1:<ephemeral> for one test, and a raw TCP client that sends exactly
// the bytes a test gives it (slow heads, lying lengths, pipelines) and reads what comes back.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "api/http/HttpServer.h"

#include <httplib.h>  // last: its <resolv.h> defines a macro that breaks Eigen

namespace xm::test {

class Served {
 public:
  explicit Served(ServerOptions o = {}) {
    o.host = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<MarginServer>(o);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->serve(); });
  }
  ~Served() { stop(); }
  void stop() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    c.set_write_timeout(60, 0);
    return c;
  }
  int port() const { return port_; }
  MarginServer& server() { return *server_; }

 private:
  std::unique_ptr<MarginServer> server_;
  int port_ = 0;
  std::thread thread_;
};

class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  RawClient(RawClient&& o) noexcept
      : fd_(o.fd_), connected_(o.connected_), pending_(std::move(o.pending_)) {
    o.fd_ = -1;
  }
  RawClient& operator=(RawClient&& o) noexcept {
    std::swap(fd_, o.fd_);
    std::swap(connected_, o.connected_);
    std::swap(pending_, o.pending_);
    return *this;
  }

  bool connected() const { return connected_; }
  bool send(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  // Everything until the server closes or `ms` pass.
  std::string readAll(int ms = 10000) {
    std::string out = std::exchange(pending_, std::string());
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            end - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // One response (head and a Content-Length body), without waiting for the close; bytes of the
  // next response stay for the next call.
  std::string readResponse(int ms = 10000) {
    std::string& out = pending_;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      const size_t head = out.find("\r\n\r\n");
      if (head != std::string::npos) {
        const size_t cl = out.find("Content-Length: ");
        const size_t len =
            cl == std::string::npos || cl > head ? 0 : std::stoul(out.substr(cl + 16));
        if (out.size() >= head + 4 + len) {
          std::string one = out.substr(0, head + 4 + len);
          out.erase(0, head + 4 + len);
          return one;
        }
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return std::exchange(out, std::string());
  }
  // Whether the server has closed its side (reads end of stream within `ms`).
  bool closedByServer(int ms = 2000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK) == 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;  // received past the last response read
};

inline int statusOf(const std::string& response) {
  return response.size() > 12 && response.rfind("HTTP/1.1 ", 0) == 0
             ? std::stoi(response.substr(9, 3))
             : -1;
}

inline std::string bodyOf(const std::string& response) {
  const size_t head = response.find("\r\n\r\n");
  return head == std::string::npos ? "" : response.substr(head + 4);
}

}  // namespace xm::test
