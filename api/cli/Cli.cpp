#include "api/cli/Cli.h"

#include <omp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <thread>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "api/json/BacktestJson.h"
#include "api/cli/Demo.h"
#ifdef XM_HAVE_SERVER
#include "api/http/HttpServer.h"
#endif
#include "api/json/JsonCodec.h"
#include "host/model/WireNames.h"
#include "host/margin/BackendRegistry.h"
#include "host/base/Files.h"
#include "host/market/PriceFiles.h"
#include "host/model/Time.h"
#include "scenarios/ShockCache.h"
#include "host/synthetic/SyntheticExchange.h"
#include "host/model/Version.h"

namespace xm {
namespace {

constexpr const char* kUsage = R"(xmargin — Monte Carlo cross-margining for crypto derivatives

Usage:
  xmargin run REQUEST.json [--out FILE] [--pretty] [--batch-accounts N] [--max-scenarios N]
  xmargin demo [--accounts N] [--scenarios N] [--top N]
  xmargin generate PRESET --out FILE [--accounts N] [--scenarios N] [--seed N]
  xmargin backtest --prices DIR --portfolio FILE --start DATE --end DATE [--config FILE]
  xmargin serve [--host 127.0.0.1] [--port 8080] [--token-file FILE] [options]
  xmargin info
  xmargin --version

Commands:
  run       Margin every account of a request (contract §2) and print the response (§4).
  demo      Margin a built-in synthetic exchange on the real 2023-12-31 market and summarise it.
  generate  Write a synthetic exchange request: demo, exchange-S, exchange-M or exchange-L.
  backtest  Margin a fixed portfolio every day on real closes; VaR exceedances, Kupiec and
            Christoffersen tests, the Basel zone, margin breaches and margin jumps.
  serve     Serve the HTTP API (POST /v1/margin, /v1/info, /healthz, /readyz, /metrics).
  info      The version and the backends this binary has, as JSON.

`xmargin COMMAND --help` describes a command. Exit status: 0 success, 2 bad input or usage
(the error object on stderr), 1 an internal or device failure.
)";

constexpr const char* kRunHelp = R"(xmargin run REQUEST.json [options]

Margins every account of the request and prints the response JSON (or writes it with --out).
REQUEST.json may be - for standard input.

Options:
  --out FILE            write the response to FILE (atomically: complete or not at all)
  --pretty              indent the JSON
  --batch-accounts N    accounts per batch (default: the backend's choice); results do not
                        depend on it
  --max-scenarios N     the largest config.scenarios accepted (default 1000000)
  --threads N           worker threads (default: all cores)
  --backend B           override config.backend: auto, cpu or cuda
  --precision P         override config.precision: fp64 or fp32
  --prices DIR          daily closes for market.history from DIR/<ASSET>-USD_1d.csv (Date and
                        Close columns, e.g. data/prices), for config.vol_model "ewma", shocks
                        "fhs" and anti_procyclicality; its Volume column feeds the liquidity
                        add-on
  --implied-vol DIR     implied-vol indices DIR/<ASSET>-DVOL_1d.csv (date, close in percent, e.g.
                        data/implied_vol) attached to the history as `iv`: with vol_model ewma
                        they give option underlyings' vol_of_vol and spot_vol_corr, and FHS
                        replays their residuals
)";

constexpr const char* kDemoHelp = R"(xmargin demo [options]

Builds a realistic synthetic exchange on the real 2023-12-31 close of 14 crypto assets
(vols and correlations estimated from 2023, BTC/ETH implied-vol dynamics from Deribit DVOL),
margins every account and prints a summary: accounts by status, margin saved by
cross-margining, the riskiest accounts.

Options:
  --accounts N     accounts (default 2000)
  --scenarios N    Monte Carlo scenarios (default 10000)
  --top N          riskiest accounts to list (default 10)
  --threads N      worker threads (default: all cores)
)";

constexpr const char* kGenerateHelp = R"(xmargin generate PRESET --out FILE [options]

Writes a synthetic exchange request. Presets:
  demo         2,000 accounts, 14 assets, 120 instruments (60+ options), 10,000 scenarios
  exchange-S   10,000 accounts, 20 assets, 200 instruments (100+ options), 10,000 scenarios
  exchange-M   100,000 accounts, 50 assets, 2,000 instruments (1,500+ options), 10,000 scenarios
  exchange-L   1,000,000 accounts, as exchange-M, 100,000 scenarios

Options:
  --out FILE       where to write the request (required)
  --accounts N     override the preset's account count
  --scenarios N    override the preset's scenario count
  --seed N         generator seed (default 20231231)
  --positions N    mean positions per account (default: the preset's, 8 or 10)
)";

constexpr const char* kBacktestHelp = R"(xmargin backtest --prices DIR --portfolio FILE --start DATE --end DATE [options]

For every day t from --start to --end (YYYY-MM-DD) that has every asset's close on t and on
t + horizon_days, margins each account of FILE with the market of day t (closes, vols and history
up to t only) and compares its VaR and initial margin with the loss realised from t to
t + horizon_days. Prints JSON per account: days, var_exceedances, margin_breaches, kupiec_p,
christoffersen_p, conditional_coverage_p, zone (Basel traffic light at this many days),
mean_margin, max_margin_jump (largest one-day rise of initial margin, as a fraction), ...

FILE: {"instruments": [...], "accounts": [...], "market": {...}} as in a request, without prices
(they come from DIR); "market" (optional) gives base_currency, rate, the assets' vols for
vol_model "given" and correlations. A future or option may roll: "tenor_days" instead of
"expiry", an option "moneyness" instead of "strike", and take "iv": "index" (with --implied-vol).
entry_price may be left out.

Options:
  --prices DIR      DIR/<ASSET>-USD_1d.csv with Date, Close (and Volume) columns, e.g. data/prices
  --portfolio FILE  the portfolio (required)
  --start DATE      first day margined (required)
  --end DATE        last day margined (required)
  --config FILE     the request's config object as JSON (vol_model, shocks, confidence, ...);
                    default: the contract's defaults
  --implied-vol DIR DIR/<ASSET>-DVOL_1d.csv implied-vol indices (e.g. data/implied_vol): options
                    with "iv": "index" are valued at the day's index, and option underlyings
                    get vol_of_vol and spot_vol_corr estimated from it
  --format F        json (default) or table
  --out FILE        write the report to FILE (atomically)
  --series FILE     also write date,account,var,es,initial_margin,loss per day as CSV
  --threads N       worker threads (default: all cores)
)";

constexpr const char* kServeHelp = R"(xmargin serve [options]

Serves the HTTP API until SIGTERM or SIGINT, then stops accepting, lets in-flight requests
finish and exits 0.
  POST /v1/margin   a margin request (JSON, or MessagePack with Content-Type application/msgpack;
                    Accept: application/msgpack for a MessagePack answer)
  GET  /v1/info     version, backend, device, limits
  GET  /healthz     liveness, never authenticated
  GET  /readyz      readiness
  GET  /metrics     Prometheus text format

Options:
  --host ADDR          address to bind (default 127.0.0.1: loopback only)
  --port N             port (default 8080; 0 picks a free one, printed on stdout)
  --token-file FILE    require "Authorization: Bearer <first line of FILE>" on /v1 routes;
                       or set XMARGIN_TOKEN in the environment (not both). Tokens are never
                       taken on the command line.
  --workers N          concurrent margin computations (default: hardware threads)
  --queue N            requests allowed to wait for a worker; beyond it 503 (default 64)
  --timeout-ms N       per-request time limit from its head's arrival: the body's upload,
                       waiting and computing included (default 30000)
  --max-body-bytes N   larger bodies get 413, after decoding and whatever their framing
                       (default 67108864)
  --max-connections N  open connections; past it a new one gets 503 and is closed (default
                       1024; the descriptor limit is raised to fit)
  --header-timeout-ms N  a request's line and headers must arrive whole within N ms of their
                       first byte, else 408 and close (default 10000). No thread waits on a
                       client before its head is whole: slow clients cannot starve others
  --idle-timeout-ms N  close a keep-alive connection idle for N ms (default 5000)
  --max-scenarios N    the largest config.scenarios accepted (default 1000000)
  --max-work N         the largest accounts x scenarios per request (default 1e11)
  --access-log         one line per request on stderr
)";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool has(const std::string& k) const { return options.count(k) > 0; }
};

Args parseArgs(int argc, char** argv, int start, const std::vector<std::string>& flags,
               const std::vector<std::string>& valued) {
  Args a;
  for (int i = start; i < argc; ++i) {
    const std::string s = argv[i];
    if (s.size() > 2 && s.rfind("--", 0) == 0) {
      if (std::find(flags.begin(), flags.end(), s) != flags.end()) {
        a.options[s] = "";
      } else if (std::find(valued.begin(), valued.end(), s) != valued.end()) {
        if (i + 1 >= argc) throw InputError("", "option " + s + " needs a value", ErrorKind::Usage);
        a.options[s] = argv[++i];
      } else {
        throw InputError("", "unknown option " + s + " (see --help)", ErrorKind::Usage);
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

int64_t intOption(const Args& a, const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
  if (!a.has(key)) return fallback;
  const std::string& v = a.options.at(key);
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (errno || end == v.c_str() || *end || x < lo || x > hi) {
    throw InputError("", "option " + key + " must be an integer in [" + std::to_string(lo) + ", " +
                             std::to_string(hi) + "], got \"" + v + "\"", ErrorKind::Usage);
  }
  return x;
}

void applyThreads(const Args& a) {
  if (a.has("--threads")) omp_set_num_threads(static_cast<int>(intOption(a, "--threads", 0, 1, 1024)));
}

MarginRequest readRequest(const std::string& path, const Limits& limits) {
  const InputText input(path, "request");
  return parseRequestText(input.text(), limits);
}

// The answer to --out FILE (complete or untouched), or to standard output once it is whole: a
// failure mid-run never leaves half an answer, and standard output that cannot take it all (a
// full disk behind a redirection) is an error, not a silent success.
void writeOutput(const Args& a, const std::function<void(std::ostream&)>& write) {
  if (a.has("--out")) {
    writeFileAtomically(a.options.at("--out"), write);
    return;
  }
  std::ostringstream buffer;
  write(buffer);
  std::cout << buffer.str() << std::flush;
  if (!std::cout) {
    std::cout.clear();
    throw InputError("", "writing the answer to standard output failed", ErrorKind::IoError);
  }
}

int cmdRun(int argc, char** argv) {
  const Args a = parseArgs(argc, argv, 2, {"--pretty", "--help"},
                           {"--out", "--batch-accounts", "--max-scenarios", "--threads", "--backend",
                            "--precision", "--prices", "--implied-vol"});
  if (a.has("--help")) {
    std::cout << kRunHelp;
    return 0;
  }
  if (a.positional.size() != 1) throw InputError("", "run takes one REQUEST.json (see --help)", ErrorKind::Usage);
  applyThreads(a);
  Limits limits;
  limits.maxScenarios = intOption(a, "--max-scenarios", limits.maxScenarios, 1, 100'000'000);
  EngineOptions options;
  options.batchAccounts = intOption(a, "--batch-accounts", 0, 1, int64_t{1} << 40);
  MarginRequest request = readRequest(a.positional[0], limits);
  if (a.has("--prices")) {
    if (!request.market.history.empty()) {
      throw InputError("/market/history", "give daily closes either in market.history or with --prices, not both", ErrorKind::Usage);
    }
    if (loadPriceFiles(a.options.at("--prices"), request.market) == 0) {
      throw InputError("", "--prices: no <ASSET>-USD_1d.csv file in " + a.options.at("--prices") +
                           " matches an asset of the request", ErrorKind::Usage);
    }
  }
  if (a.has("--implied-vol")) {
    if (loadImpliedVolFiles(a.options.at("--implied-vol"), request.market) == 0) {
      throw InputError("", "--implied-vol: no <ASSET>-DVOL_1d.csv file in " + a.options.at("--implied-vol") +
                           " matches an asset with history (market.history or --prices)", ErrorKind::Usage);
    }
  }
  if (a.has("--backend")) {
    const std::string& b = a.options.at("--backend");
    const auto choice = fromWireName<BackendChoice>(b);
    if (!choice) throw InputError("", "--backend must be " + wireNameChoices<BackendChoice>() + ", got \"" + b + "\"", ErrorKind::Usage);
    request.config.backend = *choice;
  }
  if (a.has("--precision")) {
    const std::string& p = a.options.at("--precision");
    const auto choice = fromWireName<Precision>(p);
    if (!choice) throw InputError("", "--precision must be " + wireNameChoices<Precision>() + ", got \"" + p + "\"", ErrorKind::Usage);
    request.config.precision = *choice;
  }
  const int indent = a.has("--pretty") ? 2 : -1;
  auto compute = [&](std::ostream& out) {
    StreamingResponseWriter writer(request, out, indent);
    writer.finish(runMargin(request, options, writer));
  };
  writeOutput(a, compute);
  return 0;
}

int cmdGenerate(int argc, char** argv) {
  const Args a = parseArgs(argc, argv, 2, {"--help"},
                           {"--out", "--accounts", "--scenarios", "--seed", "--positions"});
  if (a.has("--help")) {
    std::cout << kGenerateHelp;
    return 0;
  }
  if (a.positional.size() != 1 || !a.has("--out")) {
    throw InputError("", "generate takes a PRESET and --out FILE (see --help)", ErrorKind::Usage);
  }
  ExchangeSpec spec = exchangePreset(a.positional[0]);
  spec.accounts = intOption(a, "--accounts", spec.accounts, 0, 100'000'000);
  spec.scenarios = intOption(a, "--scenarios", spec.scenarios, 1, 100'000'000);
  spec.seed = static_cast<uint64_t>(intOption(a, "--seed", static_cast<int64_t>(spec.seed), 0,
                                              INT64_MAX));
  spec.positionsPerAccount = static_cast<double>(
      intOption(a, "--positions", static_cast<int64_t>(spec.positionsPerAccount), 1, 1000));
  const MarginRequest request = makeSyntheticExchange(spec);
  writeFileAtomically(a.options.at("--out"), [&](std::ostream& out) { out << toText(requestToJson(request)) << "\n"; });
  std::cerr << "wrote " << a.options.at("--out") << ": " << request.accounts.size() << " accounts, "
            << request.instruments.size() << " instruments, " << request.config.scenarios
            << " scenarios\n";
  return 0;
}

int cmdDemo(int argc, char** argv) {
  const Args a = parseArgs(argc, argv, 2, {"--help"}, {"--accounts", "--scenarios", "--top", "--threads"});
  if (a.has("--help")) {
    std::cout << kDemoHelp;
    return 0;
  }
  applyThreads(a);
  ExchangeSpec spec = exchangePreset("demo");
  spec.accounts = intOption(a, "--accounts", spec.accounts, 1, 10'000'000);
  spec.scenarios = intOption(a, "--scenarios", spec.scenarios, 100, 1'000'000);
  const int top = static_cast<int>(intOption(a, "--top", 10, 0, 1000));
  runDemo(spec, top, std::cout);
  return 0;
}

#ifdef XM_HAVE_SERVER
// The token is a secret: like ssh with a private key, refuse a file that others may read or that
// anyone but its owner may change, and say why.
void checkTokenFilePermissions(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // readInputFile names the failure
  const mode_t loose = st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP);
  if (loose == 0) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  throw InputError("", std::string("--token-file ") + path + ": permissions " + mode +
                           " are too open: the token must not be readable by others nor writable "
                           "by its group or others (chmod 600 " + path + ")", ErrorKind::Usage);
}

std::string readToken(const Args& a) {
  const char* env = std::getenv("XMARGIN_TOKEN");
  const bool fromEnv = env != nullptr && *env != '\0';
  if (a.has("--token-file") && fromEnv) {
    throw InputError("", "give the token either with --token-file or XMARGIN_TOKEN, not both", ErrorKind::Usage);
  }
  std::string token;
  if (a.has("--token-file")) {
    const std::string& path = a.options.at("--token-file");
    checkTokenFilePermissions(path);
    std::istringstream lines(readInputFile(path, "--token-file"));
    std::getline(lines, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
    if (token.empty()) throw InputError("", "the token file's first line is empty", ErrorKind::Usage);
  } else if (fromEnv) {
    token = env;
  }
  return token;
}

int cmdServe(int argc, char** argv) {
  const Args a = parseArgs(argc, argv, 2, {"--help", "--access-log"},
                           {"--host", "--port", "--token-file", "--workers", "--queue", "--timeout-ms",
                            "--max-body-bytes", "--max-scenarios", "--max-work", "--token",
                            "--max-connections", "--header-timeout-ms", "--idle-timeout-ms"});
  if (a.has("--help")) {
    std::cout << kServeHelp;
    return 0;
  }
  if (a.has("--token")) {
    throw InputError("", "tokens are not taken on the command line (they would show in ps); use "
                         "--token-file FILE or XMARGIN_TOKEN", ErrorKind::Usage);
  }
  if (!a.positional.empty()) throw InputError("", "serve takes no arguments (see --help)", ErrorKind::Usage);
  ServerOptions o;
  if (a.has("--host")) o.host = a.options.at("--host");
  o.port = static_cast<int>(intOption(a, "--port", o.port, 0, 65535));
  o.token = readToken(a);
  o.workers = static_cast<int>(intOption(a, "--workers", 0, 1, 1024));
  o.queue = static_cast<int>(intOption(a, "--queue", o.queue, 0, 100000));
  o.timeoutMs = static_cast<int>(intOption(a, "--timeout-ms", o.timeoutMs, 1, 86'400'000));
  o.maxBodyBytes = intOption(a, "--max-body-bytes", o.maxBodyBytes, 1, int64_t{1} << 40);
  o.maxConnections = static_cast<int>(intOption(a, "--max-connections", o.maxConnections, 1, 1'000'000));
  o.headerTimeoutMs = static_cast<int>(intOption(a, "--header-timeout-ms", o.headerTimeoutMs, 1, 3'600'000));
  o.idleTimeoutMs = static_cast<int>(intOption(a, "--idle-timeout-ms", o.idleTimeoutMs, 1, 3'600'000));
  o.limits.maxScenarios = intOption(a, "--max-scenarios", o.limits.maxScenarios, 1, 100'000'000);
  o.limits.maxWork = static_cast<double>(intOption(a, "--max-work", static_cast<int64_t>(o.limits.maxWork), 1, INT64_MAX));
  o.accessLog = a.has("--access-log");

  // SIGTERM and SIGINT are taken by a waiting thread, never by a handler: block them before any
  // server thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  MarginServer server(o);
  int port;
  try {
    port = server.bind();
  } catch (const std::exception& e) {
    throw InputError("", e.what(), ErrorKind::IoError);  // the address is taken, or the descriptor limit too low
  }
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    const timespec tick{0, 200'000'000};
    while (!done) {
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        std::cerr << "xmargin serve: signal " << sig << ", draining in-flight requests\n";
        server.stop();
        break;
      }
    }
  });
  std::cout << "xmargin serve: listening on http://" << o.host << ":" << port << " (backend "
            << server.backend() << ", auth " << (o.token.empty() ? "off" : "on") << ")" << std::endl;
  server.serve();
  done = true;
  waiter.join();
  std::cerr << "xmargin serve: stopped\n";
  return 0;
}

#endif  // XM_HAVE_SERVER

long long dateOption(const Args& a, const std::string& key) {
  if (!a.has(key)) throw InputError("", "backtest needs " + key + " YYYY-MM-DD (see --help)", ErrorKind::Usage);
  const std::string& v = a.options.at(key);
  const auto day = parseDate(v);
  if (!day) throw InputError("", key + " must be a date such as 2023-12-31, got \"" + v + "\"", ErrorKind::Usage);
  return *day;
}

Json readJsonFile(const std::string& path, const std::string& what) {
  try {
    return Json::parse(readInputFile(path, what));
  } catch (const Json::exception& e) {
    throw InputError("", what + " " + path + ": malformed JSON: " + e.what());  // sanitised by the envelope
  }
}

int cmdBacktest(int argc, char** argv) {
  const Args a = parseArgs(argc, argv, 2, {"--help"},
                           {"--prices", "--portfolio", "--start", "--end", "--config", "--format",
                            "--out", "--series", "--threads", "--implied-vol"});
  if (a.has("--help")) {
    std::cout << kBacktestHelp;
    return 0;
  }
  if (!a.positional.empty()) throw InputError("", "backtest takes options only (see --help)", ErrorKind::Usage);
  if (!a.has("--prices") || !a.has("--portfolio")) {
    throw InputError("", "backtest needs --prices DIR and --portfolio FILE (see --help)", ErrorKind::Usage);
  }
  const std::string format = a.has("--format") ? a.options.at("--format") : "json";
  if (format != "json" && format != "table") {
    throw InputError("", "--format must be json or table, got \"" + format + "\"", ErrorKind::Usage);
  }
  applyThreads(a);
  const long long start = dateOption(a, "--start"), end = dateOption(a, "--end");
  const Json portfolio = readJsonFile(a.options.at("--portfolio"), "--portfolio");
  const Json config = a.has("--config") ? readJsonFile(a.options.at("--config"), "--config") : Json();
  // Estimated correlations change every day, so cached shocks are rarely reused (fixed ones hit
  // one entry): a small cache keeps a 4-year backtest's memory at tens of MiB, not 256.
  setShockCacheCapacity(size_t{16} << 20);
  const BacktestReport report =
      runBacktest(portfolio, a.options.at("--prices"), config, start, end,
                  a.has("--implied-vol") ? a.options.at("--implied-vol") : std::string());
  auto write = [&](std::ostream& out) {
    if (format == "table") out << backtestTable(report);
    else out << toText(backtestToJson(report), 2) << "\n";
  };
  if (a.has("--series")) {
    writeFileAtomically(a.options.at("--series"), [&](std::ostream& out) { writeBacktestSeries(report, out); });
  }
  writeOutput(a, write);
  return 0;
}

int cmdInfo() {
  Json backends = Json::array();
  for (const BackendAvailability& b : listBackends()) {
    backends.push_back({{"name", b.name}, {"compiled", b.compiled}, {"usable", b.usable},
                        {"device", b.device}, {"reason", b.reason}});
  }
  const Limits limits;
  Json info{{"version", kVersion},
            {"backends", backends},
            {"limits", {{"min_scenarios", limits.minScenarios}, {"max_scenarios", limits.maxScenarios},
                        {"max_accounts", limits.maxAccounts}, {"max_work", limits.maxWork}}}};
  std::cout << toText(info, 2) << "\n";
  return 0;
}

int dispatch(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  if (cmd == "--version") {
    std::cout << "xmargin " << kVersion << "\n";
    return 0;
  }
  if (cmd == "run") return cmdRun(argc, argv);
  if (cmd == "demo") return cmdDemo(argc, argv);
  if (cmd == "generate") return cmdGenerate(argc, argv);
  if (cmd == "info") return cmdInfo();
  if (cmd == "backtest") return cmdBacktest(argc, argv);
#ifdef XM_HAVE_SERVER
  if (cmd == "serve") return cmdServe(argc, argv);
#else
  if (cmd == "serve") throw InputError("", "this build of xmargin has no HTTP service (cpp-httplib was not found at configure time)", ErrorKind::Usage);
#endif
  throw InputError("", "unknown command \"" + cmd + "\" (see xmargin --help)", ErrorKind::Usage);
}

}  // namespace

int runCli(int argc, char** argv) {
  // A write past RLIMIT_FSIZE must fail with EFBIG (an io_error, the output untouched), not kill
  // the process with SIGXFSZ.
  ::signal(SIGXFSZ, SIG_IGN);
  try {
    return dispatch(argc, argv);
  } catch (...) {
    // The error table (host/model/Errors.h) gives the code and the exit status.
    ErrorReport r = reportCurrentException();
    if (r.kind == ErrorKind::OutOfMemory) r.message += "; use fewer scenarios or --batch-accounts";
    std::cerr << toText(errorToJson(r)) << "\n";
    return errorKindInfo(r.kind).exitStatus;
  }
}

}  // namespace xm
