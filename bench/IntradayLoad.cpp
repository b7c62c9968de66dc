// The intraday routes under load (issue 15's targets), against a real `xmargin serve`:
//   - what-if: one account of 20 positions on a 10,000-scenario snapshot, `--clients` keep-alive
//     connections posting for `--seconds`: requests/s and latency percentiles; the first answer's
//     "before" is checked against a full /v1/margin request of the same account, figure by figure;
//   - the same account as a full 1-account /v1/margin request (what every question cost before);
//   - 300 accounts on the snapshot against the same 300 as a full request (median of 9);
//   - new marks on the snapshot (median of 9).
//
//   bench_intraday_load --binary build/xmargin [--clients 4] [--seconds 10] [--scenarios 10000]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <httplib.h>

namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1))];
}

struct Load {
  double seconds = 0, perSecond = 0, p50 = 0, p99 = 0, max = 0;
  int64_t answered = 0, errors = 0;
};

// `clients` threads posting `body` to `path` for `seconds`.
Load hammer(int port, int clients, int seconds, const std::string& path, const std::string& body) {
  std::atomic<int64_t> answered{0}, errors{0};
  std::mutex mu;
  std::vector<double> latencies;
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      std::vector<double> mine;
      while (Clock::now() < end) {
        const auto t = Clock::now();
        auto r = client.Post(path, body, "application/json");
        mine.push_back(msSince(t));
        (r && r->status == 200 ? answered : errors)++;
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  Load l;
  l.seconds = msSince(start) / 1e3;
  l.answered = answered;
  l.errors = errors;
  l.perSecond = static_cast<double>(answered) / l.seconds;
  l.p50 = pct(latencies, 0.5);
  l.p99 = pct(latencies, 0.99);
  l.max = pct(latencies, 1.0);
  return l;
}

double medianPost(httplib::Client& c, const std::string& path, const std::string& body) {
  std::vector<double> t;
  for (int i = 0; i < 9; ++i) {
    const auto s = Clock::now();
    auto r = c.Post(path, body, "application/json");
    t.push_back(msSince(s));
    if (!r || r->status != 200) {
      std::cerr << path << " failed: " << (r ? r->body : "no answer") << "\n";
      std::exit(1);
    }
  }
  return pct(t, 0.5);
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary = "build/xmargin";
  int clients = 4, seconds = 10, scenarios = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--binary")
      binary = v;
    else if (k == "--clients")
      clients = std::stoi(v);
    else if (k == "--seconds")
      seconds = std::stoi(v);
    else if (k == "--scenarios")
      scenarios = std::stoi(v);
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  const std::string file = "bench/out/intraday-demo.json";
  if (std::system((binary + " generate demo --accounts 300 --scenarios " +
                   std::to_string(scenarios) + " --out " + file + " 2>/dev/null")
                      .c_str()) != 0)
    return 1;
  std::ifstream in(file);
  Json request = Json::parse(in);
  request["config"]["backend"] = "cpu";
  Json definition = request;
  definition.erase("accounts");

  // One account of 20 positions: perpetuals, futures and options across the book.
  Json account = {{"id", "whatif"},
                  {"collateral", {{{"asset", "USD"}, {"amount", 2e6}}}},
                  {"positions", Json::array()}};
  const Json& instruments = request["instruments"];
  for (size_t i = 0; account["positions"].size() < 20 && i < instruments.size(); i += 5) {
    if (instruments[i]["type"] == "spot") continue;
    const double qty = (i % 2 ? -1.0 : 1.0) * static_cast<double>(1 + i % 7);
    account["positions"].push_back(
        {{"instrument", instruments[i]["id"]}, {"qty", qty}, {"entry_price", 100.0}});
  }
  const Json trade = {{"instrument", instruments[0]["id"]}, {"qty", 1.0}, {"price", 100.0}};
  const std::string whatif =
      Json{{"snapshot", "bench"}, {"account", account}, {"trades", {trade}}}.dump();
  Json single = request;
  single["accounts"] = {account};
  // For wrk (bench/intraday.sh): the snapshot's definition and the what-if body.
  std::ofstream("bench/out/intraday-definition.json") << definition.dump();
  std::ofstream("bench/out/intraday-whatif.json") << whatif;

  int out[2];
  if (pipe(out) != 0) return 1;
  const pid_t server = fork();
  if (server == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    execl(binary.c_str(), binary.c_str(), "serve", "--port", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char ch;
  while (read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
  const int port = std::stoi(line.substr(line.rfind(':') + 1));
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120, 0);

  auto t = Clock::now();
  auto put = c.Put("/v1/snapshots/bench", definition.dump(), "application/json");
  const double putMs = msSince(t);
  if (!put || put->status != 201) {
    std::cerr << "PUT failed: " << (put ? put->body : "no answer") << "\n";
    return 1;
  }
  // The what-if's "before" is the full request's account, figure by figure.
  auto w = c.Post("/v1/whatif", whatif, "application/json");
  auto m = c.Post("/v1/margin", single.dump(), "application/json");
  if (!w || !m || w->status != 200 || m->status != 200) return 1;
  const bool same = Json::parse(w->body)["before"] == Json::parse(m->body)["accounts"][0];

  const Load what = hammer(port, clients, seconds, "/v1/whatif", whatif);
  const Load full = hammer(port, clients, seconds, "/v1/margin", single.dump());

  Json onSnapshot = {{"snapshot", "bench"}, {"accounts", request["accounts"]}};
  const double batchSnapshot = medianPost(c, "/v1/margin", onSnapshot.dump());
  const double batchFull = medianPost(c, "/v1/margin", request.dump());
  Json marks = {{"prices", Json::object()}};
  for (const Json& a : request["market"]["assets"])
    marks["prices"][a["id"].get<std::string>()] = a["price"].get<double>() * 1.01;
  const double marksMs = medianPost(c, "/v1/snapshots/bench/marks", marks.dump());
  const double put2 = [&] {
    const auto s = Clock::now();
    c.Put("/v1/snapshots/bench2", definition.dump(), "application/json");
    return msSince(s);
  }();

  kill(server, SIGTERM);
  int status = 0;
  waitpid(server, &status, 0);
  std::printf(
      "snapshot: %d scenarios, %zu instruments; PUT %.1f ms (again, shocks cached: %.1f ms)\n",
      scenarios, instruments.size(), putMs, put2);
  std::printf("what-if 'before' equals the full request's account: %s\n", same ? "yes" : "NO");
  std::printf(
      "| route | clients | seconds | requests | errors | req/s | p50 (ms) | p99 (ms) | max (ms) "
      "|\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const auto& [name, l] :
       {std::pair<const char*, Load>{"POST /v1/whatif (20 positions)", what},
        {"POST /v1/margin, full, 1 account", full}}) {
    std::printf("| %s | %d | %.1f | %lld | %lld | %.0f | %.2f | %.2f | %.2f |\n", name, clients,
                l.seconds, static_cast<long long>(l.answered), static_cast<long long>(l.errors),
                l.perSecond, l.p50, l.p99, l.max);
  }
  std::printf("300 accounts: on the snapshot %.1f ms, full request %.1f ms (medians of 9)\n",
              batchSnapshot, batchFull);
  std::printf("new marks (every asset's price): %.1f ms (median of 9)\n", marksMs);
  return same && what.errors == 0 ? 0 : 1;
}
