// Soak test of `xmargin serve`: many concurrent clients for a fixed time, each sending distinct
// requests and checking every answer against what `xmargin run` prints for the same request.
//
//   bench_http_soak --binary build/xmargin [--clients 64] [--seconds 60] [--requests 256]
//                   [--accounts 40] [--scenarios 4000] [--work DIR]
//
// Writes `--requests` distinct requests (`xmargin generate demo`, a seed each; accounts and
// scenarios vary around the given sizes), computes each one's answer with `xmargin run`, starts
// `xmargin serve --port 0`, and lets the clients post for `--seconds`. Prints the requests
// answered, errors (no answer, or a status other than 200), mismatches (an answer that differs
// from the CLI's in any figure: only run.elapsed_ms and run.stages_ms may differ), requests/s,
// latency percentiles and the server's peak RSS (VmHWM) — the figures of bench/RESULTS.md.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
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

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Json withoutTimings(Json r) {
  r["run"].erase("elapsed_ms");
  r["run"].erase("stages_ms");
  return r;
}

int run(const std::string& command) {
  const int rc = std::system(command.c_str());
  if (rc != 0) {
    std::cerr << "failed (" << rc << "): " << command << "\n";
    std::exit(1);
  }
  return rc;
}

long vmHwmKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary = "build/xmargin", work = "bench/out/soak";
  int clients = 64, seconds = 60, requests = 256, accounts = 40, scenarios = 4000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--binary")
      binary = v;
    else if (k == "--clients")
      clients = std::stoi(v);
    else if (k == "--seconds")
      seconds = std::stoi(v);
    else if (k == "--requests")
      requests = std::stoi(v);
    else if (k == "--accounts")
      accounts = std::stoi(v);
    else if (k == "--scenarios")
      scenarios = std::stoi(v);
    else if (k == "--work")
      work = v;
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  std::filesystem::create_directories(work);

  // Distinct requests and the CLI's answer to each.
  std::vector<std::string> bodies(requests);
  std::vector<Json> expected(requests);
  for (int i = 0; i < requests; ++i) {
    const std::string req = work + "/req-" + std::to_string(i) + ".json",
                      ans = work + "/ans-" + std::to_string(i) + ".json";
    const int a = accounts / 2 + (i * 37) % accounts, s = scenarios / 2 + (i * 997) % scenarios;
    run(binary + " generate demo --accounts " + std::to_string(a) + " --scenarios " +
        std::to_string(s) + " --seed " + std::to_string(1000 + i) + " --out " + req +
        " 2>/dev/null");
    run(binary + " run " + req + " --out " + ans);
    bodies[i] = slurp(req);
    expected[i] = withoutTimings(Json::parse(slurp(ans)));
  }

  // The server, on an ephemeral port.
  int out[2];
  if (pipe(out) != 0) return 1;
  const pid_t server = fork();
  if (server == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    execl(binary.c_str(), binary.c_str(), "serve", "--port", "0", "--queue", "256",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char ch;
  while (read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
  const int port = std::stoi(line.substr(line.rfind(':') + 1));

  std::atomic<int64_t> answered{0}, errors{0}, mismatches{0};
  std::mutex mu;
  std::vector<double> latencies;
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(120, 0);
      std::vector<double> mine;
      for (int k = 0; Clock::now() < end; ++k) {
        const int i = (c * 7 + k * 13) % requests;
        const auto t = Clock::now();
        auto r = client.Post("/v1/margin", bodies[i], "application/json");
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
        if (!r || r->status != 200) {
          ++errors;
          continue;
        }
        ++answered;
        if (withoutTimings(Json::parse(r->body)) != expected[i]) ++mismatches;
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const long peak = vmHwmKb(server);
  kill(server, SIGTERM);
  int status = 0;
  waitpid(server, &status, 0);

  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty() ? 0.0 : latencies[static_cast<size_t>(p * (latencies.size() - 1))];
  };
  std::printf(
      "| clients | seconds | requests | errors | mismatches | req/s | p50 (ms) | p99 (ms) | max "
      "(ms) | server peak RSS | clean exit |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  std::printf("| %d | %.1f | %lld | %lld | %lld | %.1f | %.1f | %.1f | %.1f | %.0f MiB | %s |\n",
              clients, elapsed, static_cast<long long>(answered), static_cast<long long>(errors),
              static_cast<long long>(mismatches), static_cast<double>(answered) / elapsed, pct(0.5),
              pct(0.99), latencies.empty() ? 0.0 : latencies.back(), peak / 1024.0,
              WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no");
  return errors == 0 && mismatches == 0 ? 0 : 1;
}
