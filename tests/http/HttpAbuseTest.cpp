// The service under abuse, on a real server and raw sockets: slow heads, connection floods,
// bodies at and over the limit whatever their framing, lying lengths, pipelines, long sequences
// of requests (no descriptor or memory growth), authentication edge cases, and a token that
// must never be logged or readable by others.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/json/JsonCodec.h"
#include "host/base/FaultInjection.h"
#include "host/margin/MarginEngine.h"
#include "tests/BadRequests.h"
#include "tests/HttpSupport.h"  // last: httplib's <resolv.h> defines a macro that breaks Eigen
#include "tests/ProcessSupport.h"

namespace xm {
namespace {

using test::RawClient;
using test::Served;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string post(const std::string& body, const std::string& type = "application/json") {
  return "POST /v1/margin HTTP/1.1\r\nHost: t\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string chunked(const std::string& body, size_t chunk) {
  std::string out =
      "POST /v1/margin HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (size_t i = 0; i < body.size(); i += chunk) {
    const std::string part = body.substr(i, chunk);
    std::ostringstream size;
    size << std::hex << part.size();
    out += size.str() + "\r\n" + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string errorCode(const std::string& response) {
  return Json::parse(test::bodyOf(response))["error"]["code"].get<std::string>();
}

bool waitFor(const std::function<bool()>& cond, int ms) {
  const auto end = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

TEST(HttpAbuse, HundredsOfSlowHeadsStarveNeitherHealthNorOtherClients) {
  ServerOptions o;
  o.headerTimeoutMs = 3000;
  o.workers = 2;
  Served s(o);
  const int slow = 300;
  std::vector<RawClient> tricklers;
  for (int i = 0; i < slow; ++i) {
    tricklers.emplace_back(s.port());
    ASSERT_TRUE(tricklers.back().connected());
  }
  // One byte per connection every 100 ms: a head that never ends (slowloris).
  std::atomic<bool> trickle{true};
  std::thread feeder([&] {
    const std::string head = "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ";
    for (size_t i = 0; trickle; ++i) {
      for (auto& c : tricklers) c.send(std::string(1, i < head.size() ? head[i] : 'a'));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // Meanwhile: health answers at once, and a margin request is answered in full.
  std::vector<double> health;
  for (int i = 0; i < 20; ++i) {
    auto c = s.client();
    const auto t = Clock::now();
    auto r = c.Get("/healthz");
    health.push_back(msSince(t));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  const Json request = test::validRequest();
  const MarginRequest parsed = parseRequest(request);
  auto c = s.client();
  const auto t = Clock::now();
  auto m = c.Post("/v1/margin", request.dump(), "application/json");
  const double marginMs = msSince(t);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(Json::parse(m->body)["accounts"][0]["es"].get<double>(),
            computeMargin(parsed).accounts[0].es);
  std::sort(health.begin(), health.end());
  std::cout << "[ figures  ] /healthz beside " << slow << " slow heads: median " << health[10]
            << " ms, max " << health.back() << " ms; a margin request " << marginMs << " ms\n";
  EXPECT_LT(health.back(), 1000.0);  // ~1 ms unloaded; the bound is for a loaded 2-core CI runner
  // Past the head timeout each slow client gets 408 and is closed; then the server is idle.
  int timedOut = 0;
  for (auto& tc : tricklers) timedOut += test::statusOf(tc.readResponse(6000)) == 408;
  trickle = false;
  feeder.join();
  EXPECT_EQ(timedOut, slow);
  tricklers.clear();
  EXPECT_TRUE(waitFor([&] { return s.server().openConnections() == 0; }, 7000))
      << s.server().openConnections();
}

TEST(HttpAbuse, PastMaxConnectionsANewConnectionGets503) {
  ServerOptions o;
  o.maxConnections = 40;
  Served s(o);
  std::vector<RawClient> idle;
  for (int i = 0; i < 40; ++i) idle.emplace_back(s.port());
  ASSERT_TRUE(waitFor([&] { return s.server().openConnections() == 40; }, 3000))
      << s.server().openConnections();
  RawClient extra(s.port());
  const std::string r = extra.readResponse(3000);
  EXPECT_EQ(test::statusOf(r), 503) << r;
  EXPECT_NE(r.find("Retry-After: 1"), std::string::npos);
  EXPECT_EQ(errorCode(r), "overloaded");
  // Room again once some leave.
  idle.erase(idle.begin() + 30, idle.end());
  ASSERT_TRUE(waitFor([&] { return s.server().openConnections() == 30; }, 3000));
  auto c = s.client();
  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
}

TEST(HttpAbuse, BodiesAtAndJustOverTheLimitWhateverTheirFraming) {
  std::string body = test::validRequest().dump();
  const size_t limit = body.size() + 1000;
  body.resize(limit, ' ');  // JSON allows trailing whitespace: exactly at the limit
  ServerOptions o;
  o.maxBodyBytes = static_cast<int64_t>(limit);
  Served s(o);
  auto status = [&](const std::string& bytes) {
    RawClient c(s.port());
    c.send(bytes);
    return c.readResponse();
  };
  EXPECT_EQ(test::statusOf(status(post(body))), 200);
  std::string over = status(post(body + " "));
  EXPECT_EQ(test::statusOf(over), 413) << over;
  EXPECT_EQ(errorCode(over), "payload_too_large");
  EXPECT_EQ(test::statusOf(status(chunked(body, 100))), 200);
  over = status(chunked(body + " ", 100));
  EXPECT_EQ(test::statusOf(over), 413) << over;
  // Compressed: the limit applies to the decoded body (a gzip bomb stops at the limit).
  auto client = s.client();
  client.set_compress(true);
  auto atLimit = client.Post("/v1/margin", body, "application/json");
  ASSERT_TRUE(atLimit);
  EXPECT_EQ(atLimit->status, 200) << atLimit->body;
  auto bomb = client.Post("/v1/margin", body + std::string(100 << 20, ' '), "application/json");
  ASSERT_TRUE(bomb);
  EXPECT_EQ(bomb->status, 413) << bomb->body;
}

TEST(HttpAbuse, ContentLengthLiesAndBadFramingEndInAnEnvelope) {
  ServerOptions o;
  o.timeoutMs = 600;
  Served s(o);
  {  // Promises 1000 bytes, sends 10: the body times out.
    RawClient c(s.port());
    c.send("POST /v1/margin HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789");
    const std::string r = c.readResponse(5000);
    EXPECT_EQ(test::statusOf(r), 408) << r;
    EXPECT_EQ(errorCode(r), "request_timeout");
    EXPECT_TRUE(c.closedByServer());
  }
  {  // Promises 10, sends more: the rest is read as the next request, which is malformed.
    RawClient c(s.port());
    c.send(
        "POST /v1/margin HTTP/1.1\r\nHost: t\r\nContent-Length: "
        "10\r\n\r\n0123456789GARBAGE\r\n\r\n");
    const std::string all = c.readAll(5000);
    const size_t second = all.find("HTTP/1.1 ", 1);
    ASSERT_NE(second, std::string::npos) << all;
    EXPECT_EQ(test::statusOf(all), 400);
    EXPECT_NE(all.find("malformed JSON"), std::string::npos) << all;
    EXPECT_EQ(test::statusOf(all.substr(second)), 400);
    EXPECT_NE(all.find("malformed HTTP request"), std::string::npos) << all;
  }
  struct Case {
    std::string bytes;
    int status;
    std::string code;
  };
  const std::string body = test::validRequest().dump();
  for (const Case& k : std::vector<Case>{
           {"POST /v1/margin HTTP/1.1\r\nHost: t\r\nContent-Length: 12abc\r\n\r\n", 400,
            "invalid_request"},
           {"POST /v1/margin HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400,
            "invalid_request"},
           {"POST /v1/margin HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: "
            "6\r\n\r\nabcdef",
            400, "invalid_request"},
           {"POST /v1/margin HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999\r\n\r\n",
            400, "invalid_request"},
           {"POST /v1/margin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: "
            "3\r\n\r\n0\r\n\r\n",
            400, "invalid_request"},
           {"POST /v1/margin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
            "not_implemented"},
           {"POST /v1/margin HTTP/1.1\r\nHost: t\r\n\r\n", 411, "length_required"},
           {"POST /v1/margin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
            "chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
            400, "invalid_request"},
           {"PUT /v1/margin HTTP/1.1\r\nHost: t\r\n\r\n", 405, "method_not_allowed"},
           {"BREW /v1/margin HTTP/1.1\r\nHost: t\r\n\r\n", 400, "invalid_request"},
           {"GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n", 404, "not_found"},
           {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) +
                " a TLS hello\r\n\r\n",
            400, "invalid_request"},
           {post(body, "text/csv"), 415, "unsupported_media_type"}}) {
    SCOPED_TRACE(testing::PrintToString(k.bytes.substr(0, 80)));
    RawClient c(s.port());
    c.send(k.bytes);
    const std::string r = c.readResponse(5000);
    EXPECT_EQ(test::statusOf(r), k.status) << r;
    EXPECT_EQ(errorCode(r), k.code) << r;
  }
}

TEST(HttpAbuse, OversizedHeadsAndPipelinesAndIdleConnections) {
  ServerOptions o;
  o.idleTimeoutMs = 300;
  Served s(o);
  {
    RawClient c(s.port());
    c.send("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(70 << 10, 'a') + "\r\n\r\n");
    const std::string r = c.readResponse();
    EXPECT_EQ(test::statusOf(r), 431) << r;
    EXPECT_EQ(errorCode(r), "headers_too_large");
  }
  {  // Two requests in one write: two answers, in order, on the same connection.
    RawClient c(s.port());
    c.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /readyz HTTP/1.1\r\nHost: t\r\n\r\n");
    const std::string first = c.readResponse(), second = c.readResponse();
    EXPECT_EQ(test::statusOf(first), 200);
    EXPECT_NE(first.find("\"ok\""), std::string::npos);
    EXPECT_EQ(test::statusOf(second), 200);
    EXPECT_NE(second.find("ready"), std::string::npos) << second;
    // Then idle past the keep-alive timeout: closed by the server.
    const auto t = Clock::now();
    EXPECT_TRUE(c.closedByServer(3000));
    EXPECT_GE(msSince(t), 200.0);
  }
}

// Found by fuzzing: httplib honoured Range on JSON answers ("bytes=0-10" sent 11 bytes of an
// envelope). Answers are whole documents; a Range header is ignored, a malformed one refused.
TEST(HttpAbuse, RangeHeadersNeverCutAnAnswer) {
  Served s;
  const std::string body = test::validRequest().dump();
  RawClient c(s.port());
  c.send(
      "POST /v1/margin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-10\r\nContent-Type: "
      "application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  const std::string whole = c.readResponse();
  EXPECT_EQ(test::statusOf(whole), 200) << whole.substr(0, 300);
  EXPECT_EQ(Json::parse(test::bodyOf(whole))["totals"]["accounts"], 1);
  RawClient bad(s.port());
  bad.send("GET /healthz HTTP/1.1\r\nHost: t\r\nRange: bytes=0-5,9-1\r\n\r\n");
  const std::string refused = bad.readResponse();
  EXPECT_EQ(test::statusOf(refused), 416) << refused;
  EXPECT_EQ(errorCode(refused), "http_error");
}

struct ProcessFigures {
  int64_t rssKb = 0, fds = 0;
};

ProcessFigures selfFigures() {
  ProcessFigures f;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) f.rssKb = std::stoll(line.substr(6));
  }
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    ++f.fds;
  return f;
}

TEST(HttpAbuse, TenThousandSequentialRequestsLeakNeitherDescriptorsNorMemory) {
  Served s;
  Json small = test::validRequest();
  small["config"]["scenarios"] = 100;
  const std::string body = small.dump();
  auto run = [&](bool keepAlive, int n) {
    httplib::Client c("127.0.0.1", s.port());
    c.set_keep_alive(keepAlive);
    int ok = 0;
    for (int i = 0; i < n; ++i) {
      auto r = c.Post("/v1/margin", body, "application/json");
      ok += r && r->status == 200;
    }
    return ok;
  };
  for (bool keepAlive : {true, false}) {
    SCOPED_TRACE(keepAlive ? "keep-alive" : "a connection per request");
    run(keepAlive, 500);  // warm: caches, arenas, thread stacks
    ASSERT_TRUE(waitFor([&] { return s.server().openConnections() == 0; }, 8000));
    const ProcessFigures before = selfFigures();
    const auto t = Clock::now();
    EXPECT_EQ(run(keepAlive, 10000), 10000);
    const double seconds = msSince(t) / 1000;
    ASSERT_TRUE(waitFor([&] { return s.server().openConnections() == 0; }, 8000))
        << s.server().openConnections();
    const ProcessFigures after = selfFigures();
    std::cout << "[ figures  ] 10,000 requests "
              << (keepAlive ? "on one keep-alive connection" : "on new connections") << " in "
              << seconds << " s; RSS " << before.rssKb << " -> " << after.rssKb << " kB, fds "
              << before.fds << " -> " << after.fds << "\n";
    EXPECT_EQ(after.fds, before.fds);
    EXPECT_LT(after.rssKb - before.rssKb,
              8 * 1024);  // no growth per request (8 MiB: allocator noise)
  }
}

TEST(HttpAbuse, BearerTokenEdgeCases) {
  ServerOptions o;
  o.token = "s3cr3t-token";
  Served s(o);
  const std::string body = test::validRequest().dump();
  struct Case {
    const char* header;  // nullptr: no Authorization header
    int status;
  };
  for (const Case& k : std::vector<Case>{
           {nullptr, 401},
           {"", 401},
           {"Bearer", 401},
           {"Bearer ", 401},
           {"Bearer wrong-token!", 401},
           {"Bearer s3cr3t", 401},                 // a prefix of the token
           {"Bearer s3cr3t-token-and-more", 401},  // the token as a prefix
           {"Bearer s3cr3t-token ", 200},          // trailing OWS is not the value (RFC 9110 §5.5)
           {"Basic s3cr3t-token", 401},
           {"s3cr3t-token", 401},
           {"Bearers3cr3t-token", 401},
           {"Bearer s3cr3t-token", 200},
           {"bearer s3cr3t-token", 200},  // the scheme is case-insensitive
           {"BEARER s3cr3t-token", 200},
           {"Bearer   s3cr3t-token", 200}}) {
    SCOPED_TRACE(k.header ? k.header : "(none)");
    auto c = s.client();
    httplib::Headers h;
    if (k.header) h.emplace("Authorization", k.header);
    auto r = c.Post("/v1/margin", h, body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, k.status) << r->body;
    if (k.status == 401) {
      EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer");
    }
  }
}

TEST(HttpAbuse, ATokenFileOthersCanReadIsRefusedAndNoTokenIsEverLogged) {
  const std::string file = (std::filesystem::temp_directory_path() / "xm-token-test").string();
  std::ofstream(file) << "do-not-log-this-token\n";
  for (const auto& [mode, refused] : std::vector<std::pair<mode_t, bool>>{{0644, true},
                                                                          {0604, true},
                                                                          {0620, true},
                                                                          {0602, true},
                                                                          {0640, false},
                                                                          {0600, false},
                                                                          {0400, false}}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(chmod(file.c_str(), mode), 0);
    if (refused) {
      const test::ProcessResult r =
          test::runXmargin({"serve", "--port", "0", "--token-file", file});
      EXPECT_EQ(r.exitCode, 2) << r.err;
      EXPECT_NE(r.err.find("are too open"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
      continue;
    }
    int outFd, errFd;
    const pid_t pid = test::startXmargin(
        {"serve", "--port", "0", "--token-file", file, "--access-log"}, {}, outFd, errFd);
    std::string line;
    char ch;
    while (read(outFd, &ch, 1) == 1 && ch != '\n') line += ch;
    const int port = std::stoi(line.substr(line.rfind(':') + 1));
    httplib::Client c("127.0.0.1", port);
    const std::string body = test::validRequest().dump();
    for (const char* auth : {"Bearer do-not-log-this-token", "Bearer do-not-log-this-tokeX",
                             "Basic do-not-log-this-token"}) {
      auto r = c.Post("/v1/margin", {{"Authorization", auth}}, body, "application/json");
      ASSERT_TRUE(r);
    }
    kill(pid, SIGTERM);
    const test::ProcessResult r = test::finishXmargin(pid, outFd, errFd);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("POST /v1/margin 200"), std::string::npos) << r.err;  // the log is there
    EXPECT_NE(r.err.find("POST /v1/margin 401"), std::string::npos) << r.err;
    EXPECT_EQ((r.out + r.err).find("do-not-log"), std::string::npos) << r.err;
  }
  std::filesystem::remove(file);
}

TEST(HttpAbuse, AFailureOnAWorkerThreadIsAnEnvelopeAndTheServerGoesOn) {
  Served s;
  auto c = s.client();
  const std::string body = test::validRequest().dump();
  setFaultForTesting("cpu.accounts");
  auto r = c.Post("/v1/margin", body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(Json::parse(r->body)["error"]["code"], "internal_error");
  EXPECT_EQ(r->body.find("injected"), std::string::npos);  // no internals in answers
  setFaultForTesting("cpu.row_tails:bad_alloc");
  r = c.Post("/v1/margin", body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(Json::parse(r->body)["error"]["code"], "out_of_memory");
  setFaultForTesting("");
  r = c.Post("/v1/margin", body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace xm
