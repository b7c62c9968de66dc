// The HTTP service, started for real on an ephemeral loopback port and driven by a real HTTP
// client: same answers as `xmargin run`, contract §5 errors, auth, limits, concurrency,
// saturation, deadlines, MessagePack, draining, and the binary's SIGTERM exit.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "api/cli/Cli.h"
#include "api/http/HttpServer.h"
#include "api/json/ClearingJson.h"
#include "api/json/JsonCodec.h"
#include "host/margin/MarginEngine.h"
#include "tests/BadRequests.h"
#include "tests/HttpSupport.h"  // last: httplib's <resolv.h> defines a macro that breaks Eigen

namespace xm {
namespace {

const std::string kExample = std::string(XM_SOURCE_DIR) + "/examples/contract-request.json";

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

using test::Served;

Json withoutTimings(Json r) {
  r["run"].erase("elapsed_ms");
  r["run"].erase("stages_ms");
  return r;
}

Json postJson(httplib::Client& c, const std::string& body, int expectStatus,
              const httplib::Headers& headers = {}) {
  auto res = c.Post("/v1/margin", headers, body, "application/json");
  EXPECT_TRUE(res) << "no answer";
  if (!res) return {};
  EXPECT_EQ(res->status, expectStatus) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  return Json::parse(res->body);
}

void expectEnvelope(const Json& j, const std::string& code, const std::string& path) {
  ASSERT_TRUE(j.contains("error")) << j.dump();
  EXPECT_EQ(j["error"]["code"], code) << j.dump();
  EXPECT_EQ(j["error"]["path"], path) << j.dump();
  const std::string msg = j["error"]["message"];
  EXPECT_FALSE(msg.empty());
  // No internals: no source paths, no C++ type names.
  EXPECT_EQ(msg.find(".cpp"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("/work/"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("std::"), std::string::npos) << msg;
}

TEST(Http, AnswersExactlyAsXmarginRun) {
  // What the CLI prints for the contract's example...
  std::ostringstream out, err;
  auto* o = std::cout.rdbuf(out.rdbuf());
  std::vector<std::string> args = {"xmargin", "run", kExample};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  const int status = runCli(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(o);
  ASSERT_EQ(status, 0);
  const Json cli = Json::parse(out.str());
  // ... equals the service's answer, every field but the elapsed time.
  Served s;
  auto c = s.client();
  const Json http = postJson(c, readFile(kExample), 200);
  EXPECT_EQ(withoutTimings(http), withoutTimings(cli));
}

TEST(Http, ReportOfPostedDocumentsAndOfTheLatestRun) {
  // POST: the page of a posted response; bad documents name their field.
  Served plain;
  auto c = plain.client();
  const std::string response = c.Post("/v1/margin", readFile(kExample), "application/json")->body;
  auto page = c.Post("/v1/report", R"({"response": )" + response + R"(, "title": "T <1>"})",
                     "application/json");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200) << page->body;
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<title>T &lt;1&gt;"), std::string::npos);
  EXPECT_NE(page->body.find("data-chart=\"coverage\""), std::string::npos);
  EXPECT_NE(page->body.find("acct-1"), std::string::npos);
  auto bad = c.Post("/v1/report", R"({"response": {"accounts": 1}})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  expectEnvelope(Json::parse(bad->body), "invalid_request", "/response/accounts");
  auto malformed = c.Post("/v1/report", "{", "application/json");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  // GET without --report: 404, saying how to get one.
  auto none = c.Get("/v1/report");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 404);
  expectEnvelope(Json::parse(none->body), "not_found", "");

  // With --report: 404 until a run, then the page of the latest run.
  ServerOptions o;
  o.report = true;
  Served kept(o);
  auto k = kept.client();
  auto before = k.Get("/v1/report");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 404);
  EXPECT_NE(Json::parse(before->body)["error"]["message"].get<std::string>().find("no run"),
            std::string::npos);
  ASSERT_EQ(k.Post("/v1/margin", readFile(kExample), "application/json")->status, 200);
  auto latest = k.Get("/v1/report");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->status, 200);
  EXPECT_NE(latest->body.find("acct-1"), std::string::npos);
  // Exposure by asset: the server kept the request, so positions sit under BTC.
  EXPECT_NE(latest->body.find("data-chart=\"exposure-notional\""), std::string::npos);
}

TEST(Http, SimulateAnswersAsTheEngineAndNamesBadClearingFields) {
  Json body = test::validRequest();
  for (Json& a : body["market"]["assets"]) a["daily_volume"] = 1e9;
  body["clearing"] = {{"paths", 20},
                      {"steps", 4},
                      {"insurance_fund", 1e4},
                      {"stress_paths", {{{"name", "crash"}, {"returns", {{"BTC", {-0.3}}}}}}}};
  const SimulateRequest sim = parseSimulateRequest(body);
  Json expected = clearingToJson(sim, simulateClearing(sim.request, sim.clearing));
  Served s;
  auto c = s.client();
  auto res = c.Post("/v1/simulate", body.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  Json got = Json::parse(res->body);
  got["t0"] = withoutTimings(got["t0"]);
  expected["t0"] = withoutTimings(expected["t0"]);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(got["simulation"]["stress_paths"][0]["name"], "crash");
  body["clearing"]["loss_allocation"] = "bail-in";
  auto bad = c.Post("/v1/simulate", body.dump(), "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Json::parse(bad->body)["error"]["path"], "/clearing/loss_allocation");
  auto msgpack = c.Post("/v1/simulate", body.dump(), "application/msgpack");
  ASSERT_TRUE(msgpack);
  EXPECT_EQ(msgpack->status, 415);
}

// Snapshots under any sequence of requests (contract §10): the store stays within
// --snapshot-memory, what-ifs running while their snapshot is replaced answer the same figures,
// an id reused replaces, and an evicted id is 404.
TEST(Http, SnapshotsStayWithinTheirMemoryUnderReplacementAndEviction) {
  Json example = Json::parse(readFile(kExample));
  Json definition = example;
  definition.erase("accounts");
  ServerOptions o;
  o.snapshotMemory = 3 << 20;  // room for about three of these snapshots
  Served served(o);
  auto c = served.client();
  auto put = c.Put("/v1/snapshots/s0", definition.dump(), "application/json");
  ASSERT_TRUE(put);
  ASSERT_EQ(put->status, 201) << put->body;
  const int64_t one = Json::parse(put->body)["bytes"];
  ASSERT_LT(one, o.snapshotMemory);
  const Json whatif = {{"snapshot", "s0"},
                       {"account", example["accounts"][0]},
                       {"trades", {{{"instrument", "BTC-PERP"}, {"qty", 1}, {"price", 90000}}}}};
  auto first = c.Post("/v1/whatif", whatif.dump(), "application/json");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  const Json expected = Json::parse(first->body);

  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, wrong{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&] {
      auto mine = served.client();
      while (!stop) {
        auto r = mine.Post("/v1/whatif", whatif.dump(), "application/json");
        if (!r || r->status != 200 || Json::parse(r->body) != expected) ++wrong;
        ++answered;
      }
    });
  }
  // s0 replaced again and again, and eight other ids stored: the least recently used go.
  for (int i = 0; i < 8; ++i) {
    auto again = c.Put("/v1/snapshots/s0", definition.dump(), "application/json");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    auto other =
        c.Put("/v1/snapshots/x" + std::to_string(i), definition.dump(), "application/json");
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 201);
    auto list = c.Get("/v1/snapshots");
    ASSERT_TRUE(list);
    const Json l = Json::parse(list->body);
    EXPECT_LE(l["bytes"].get<int64_t>(), o.snapshotMemory);
  }
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_GT(answered.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  auto evicted = c.Get("/v1/snapshots/x0");
  ASSERT_TRUE(evicted);
  EXPECT_EQ(evicted->status, 404);
  expectEnvelope(Json::parse(evicted->body), "not_found", "");
  auto kept = c.Get("/v1/snapshots/x7");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->status, 200);
}

TEST(Http, ContractSection5InputsOverHttp) {
  Served s;
  auto c = s.client();
  for (const test::BadCase& bad : test::badRequests()) {
    SCOPED_TRACE(bad.name);
    Json body = test::validRequest();
    bad.mutate(body);
    expectEnvelope(postJson(c, body.dump(), 400), bad.code, bad.path);
  }
  expectEnvelope(postJson(c, "{\"market\": ", 400), "invalid_request", "");
  expectEnvelope(postJson(c, "", 400), "invalid_request", "");
  // Content types other than JSON and MessagePack.
  auto res = c.Post("/v1/margin", test::validRequest().dump(), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  expectEnvelope(Json::parse(res->body), "unsupported_media_type", "");
}

TEST(Http, UnknownRouteWrongMethodAndBodyLimit) {
  ServerOptions o;
  o.maxBodyBytes = 1 << 20;
  Served s(o);
  auto c = s.client();
  auto nf = c.Get("/v2/margin");
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  expectEnvelope(Json::parse(nf->body), "not_found", "");
  auto wm = c.Get("/v1/margin");
  ASSERT_TRUE(wm);
  EXPECT_EQ(wm->status, 405);
  EXPECT_EQ(wm->get_header_value("Allow"), "POST");
  expectEnvelope(Json::parse(wm->body), "method_not_allowed", "");
  auto big = c.Post("/v1/margin", std::string(2 << 20, ' '), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  expectEnvelope(Json::parse(big->body), "payload_too_large", "");
  // Work over the limit is refused naming the limit.
  ServerOptions tight;
  tight.limits.maxWork = 1000;
  Served t(tight);
  auto tc = t.client();
  const Json e = postJson(tc, test::validRequest().dump(), 413);
  expectEnvelope(e, "limit_exceeded", "/config/scenarios");
  EXPECT_NE(e["error"]["message"].get<std::string>().find("1000"), std::string::npos);
}

TEST(Http, BearerTokenGuardsV1RoutesOnly) {
  ServerOptions o;
  o.token = "s3cr3t-token";
  Served s(o);
  auto c = s.client();
  const std::string body = test::validRequest().dump();
  auto none = c.Post("/v1/margin", body, "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  expectEnvelope(Json::parse(none->body), "unauthorized", "");
  for (const char* wrong : {"Bearer s3cr3t-tokeN", "Bearer s3cr3t", "Bearer s3cr3t-token2",
                            "s3cr3t-token", "Basic s3cr3t-token"}) {
    auto r = c.Post("/v1/margin", {{"Authorization", wrong}}, body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << wrong;
  }
  postJson(c, body, 200, {{"Authorization", "Bearer s3cr3t-token"}});
  auto info = c.Get("/v1/info");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, 401);
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // And with no token configured, /v1 is open.
  Served open;
  auto oc = open.client();
  postJson(oc, body, 200);
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(constantTimeEquals("", "a"));
}

// A distinct request per client: its own quantities, seed and scenario count.
Json clientRequest(int i) {
  Json r = test::baseRequest();
  r["accounts"].push_back(test::account(
      "client-" + std::to_string(i),
      Json::array({test::position("BTC-PERP", 1 + i, 50000), test::position("ETH-P", -3.0 * i, 100),
                   test::position("BTC-C", 0.5 * i, 2000)}),
      Json::array({{{"asset", "USD"}, {"amount", 1000.0 * i}}})));
  r["config"]["seed"] = 1000 + i;
  r["config"]["scenarios"] = 2000 + 37 * i;
  return r;
}

TEST(Http, SixtyFourConcurrentClientsEachGetTheirOwnAnswer) {
  const int n = 64;
  std::vector<Json> expected(n);
  for (int i = 0; i < n; ++i) {
    const MarginRequest req = parseRequest(clientRequest(i));
    expected[i] = withoutTimings(responseToJson(req, computeMargin(req)));
  }
  ServerOptions o;
  o.workers = 2;
  o.queue = 64;
  o.accessLog = getenv("XM_ACCESS_LOG") != nullptr;
  Served s(o);
  std::vector<Json> got(n);
  std::vector<int> status(n, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < n; ++i) {
    clients.emplace_back([&, i] {
      auto c = s.client();
      auto res = c.Post("/v1/margin", clientRequest(i).dump(), "application/json");
      if (res) {
        status[i] = res->status;
        got[i] = withoutTimings(Json::parse(res->body));
      } else {
        got[i] = Json{{"client_error", httplib::to_string(res.error())}};
      }
    });
  }
  for (auto& t : clients) t.join();
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(status[i], 200) << "client " << i << ": " << got[i].dump();
    EXPECT_EQ(got[i], expected[i]) << "client " << i;
  }
  // Still healthy and still right afterwards.
  auto c = s.client();
  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(withoutTimings(postJson(c, clientRequest(5).dump(), 200)), expected[5]);
  auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("xmargin_http_requests_total{route=\"/v1/margin\",status=\"200\"} 65"),
            std::string::npos)
      << m->body;
  EXPECT_NE(m->body.find("xmargin_accounts_computed_total 65"), std::string::npos);
}

TEST(Http, MessagePackInAndOut) {
  Served s;
  auto c = s.client();
  const Json body = test::validRequest();
  const Json viaJson = postJson(c, body.dump(), 200);
  const std::vector<uint8_t> packed = Json::to_msgpack(body);
  auto res = c.Post("/v1/margin", {{"Accept", "application/msgpack"}},
                    std::string(packed.begin(), packed.end()), "application/msgpack");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/msgpack");
  EXPECT_EQ(withoutTimings(Json::from_msgpack(res->body)), withoutTimings(viaJson));
  // Broken MessagePack is a 400 with the envelope, in MessagePack when asked.
  auto bad = c.Post("/v1/margin", {{"Accept", "application/msgpack"}}, std::string("\xc1\x00", 2),
                    "application/msgpack");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  expectEnvelope(Json::from_msgpack(bad->body), "invalid_request", "");
}

// Heavy enough to take a good fraction of a second on two cores.
std::string heavyRequest() {
  Json r = test::baseRequest();
  for (int i = 0; i < 1500; ++i) {
    r["accounts"].push_back(test::account(
        std::string("h").append(std::to_string(i)),
        Json::array({test::position("BTC-C", 1 + i % 7, 2000), test::position("ETH-P", -2, 100),
                     test::position("BTC-PERP", -1, 50000)})));
  }
  r["config"]["scenarios"] = 200000;
  return r.dump();
}

// Posts heavyRequest() on its own thread; its status lands in `status` (-1: no answer).
std::thread postInBackground(const Served& s, std::atomic<int>& status) {
  return std::thread([&s, &status] {
    auto c = s.client();
    auto r = c.Post("/v1/margin", heavyRequest(), "application/json");
    status = r ? r->status : -1;
  });
}

TEST(Http, SaturatedServerAnswers503WithRetryAfter) {
  ServerOptions o;
  o.workers = 1;
  o.queue = 0;
  Served s(o);
  std::atomic<int> slowStatus{0};
  std::thread slow = postInBackground(s, slowStatus);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto c = s.client();
  auto r = c.Post("/v1/margin", test::validRequest().dump(), "application/json");
  slow.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  expectEnvelope(Json::parse(r->body), "overloaded", "");
  EXPECT_EQ(slowStatus, 200);
}

TEST(Http, RequestsPastTheirTimeLimitAnswer503) {
  ServerOptions o;
  o.timeoutMs = 150;  // the body (~0.1 MB) arrives well within it; the computation takes ~1 s
  Served s(o);
  auto c = s.client();
  auto r = c.Post("/v1/margin", heavyRequest(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_FALSE(r->get_header_value("Retry-After").empty());
  expectEnvelope(Json::parse(r->body), "deadline_exceeded", "");
}

TEST(Http, StopDrainsInFlightRequests) {
  Served s;
  std::atomic<int> status{0};
  std::thread slow = postInBackground(s, status);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  s.stop();  // returns once serve() has returned, i.e. after the in-flight request
  slow.join();
  EXPECT_EQ(status, 200);
}

TEST(Http, BinaryExitsCleanlyOnSigterm) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    const std::string bin = std::string(XM_BINARY_DIR) + "/xmargin";
    execl(bin.c_str(), bin.c_str(), "serve", "--port", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char ch;
  while (read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
  close(out[0]);
  const auto colon = line.rfind(':');
  ASSERT_NE(colon, std::string::npos) << line;
  const int port = std::stoi(line.substr(colon + 1));
  httplib::Client c("127.0.0.1", port);
  auto r = c.Post("/v1/margin", test::validRequest().dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  kill(pid, SIGTERM);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
}

}  // namespace
}  // namespace xm
