// Faults, each on the real binary in a child process: a SIGKILL mid-write, a full disk, inputs
// that are not readable files, an address-space limit, and an exception on every worker-thread
// site. The promise under test: the target file is complete or as it was, and every failure ends
// in the contract's error envelope with its exit status — never an abort or a partial file.
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "api/json/JsonCodec.h"
#include "host/base/FaultInjection.h"
#include "tests/CliSupport.h"
#include "tests/ProcessSupport.h"

namespace xm {
namespace {

namespace fs = std::filesystem;
using test::ProcessOptions;
using test::ProcessResult;
using test::runXmargin;

// A fresh directory per test: leftovers (temporary files) would show in its listing.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("xm-fault-" + name)) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& file) const { return (path_ / file).string(); }
  std::string str() const { return path_.string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path_))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void expectEnvelope(const ProcessResult& r, int exitCode, const std::string& code,
                    const std::string& words) {
  EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal << ": " << r.err;
  EXPECT_EQ(r.exitCode, exitCode) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out.substr(0, 200);
  Json e;
  ASSERT_NO_THROW(e = Json::parse(r.err)) << r.err;
  EXPECT_EQ(e["error"]["code"], code) << r.err;
  EXPECT_NE(e["error"]["message"].get<std::string>().find(words), std::string::npos) << r.err;
}

// An exchange-S request large enough that its response is written over about a second.
const std::string& heavyRequest() {
  static const std::string path = [] {
    const std::string p = (fs::temp_directory_path() / "xm-fault-heavy.json").string();
    const ProcessResult g =
        runXmargin({"generate", "exchange-S", "--out", p, "--scenarios", "30000"});
    EXPECT_EQ(g.exitCode, 0) << g.err;
    return p;
  }();
  return path;
}

TEST(Faults, SigkillDuringOutLeavesThePreviousFileAndNothingElse) {
  ScratchDir dir("sigkill");
  const std::string target = dir / "response.json";
  const std::string previous = "{\"previous\": true}\n";
  std::ofstream(target) << previous;
  const std::vector<std::string> args = {"run",  heavyRequest(),     "--out",
                                         target, "--batch-accounts", "256"};
  // How long a whole run takes here, then kills spread over it: during scenario generation,
  // while batches stream into the unnamed file, and close to the end.
  const auto t0 = std::chrono::steady_clock::now();
  {
    ScratchDir probe("sigkill-probe");
    const ProcessResult whole =
        runXmargin({"run", heavyRequest(), "--out", probe / "r.json", "--batch-accounts", "256"});
    ASSERT_EQ(whole.exitCode, 0) << whole.err;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // A loaded machine (CI runs tests in parallel) makes the probe a poor clock: a kill that comes
  // after the run finished tests the complete-file branch, and the clock is shortened before the
  // same fraction is tried again, so most kills land mid-run whatever the load.
  int killedMidRun = 0;
  double runSeconds = seconds;
  for (double fraction : {0.1, 0.3, 0.5, 0.7, 0.85, 0.95}) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      int outFd, errFd;
      const pid_t pid = test::startXmargin(args, {}, outFd, errFd);
      ASSERT_GT(pid, 0);
      std::this_thread::sleep_for(std::chrono::duration<double>(fraction * runSeconds));
      kill(pid, SIGKILL);
      const ProcessResult r = test::finishXmargin(pid, outFd, errFd);
      SCOPED_TRACE("killed at " + std::to_string(fraction) + " of " + std::to_string(runSeconds) +
                   " s");
      const std::string now = slurp(target);
      EXPECT_EQ(dir.entries(), std::vector<std::string>{"response.json"});
      if (r.signal == SIGKILL) {
        ++killedMidRun;
        EXPECT_EQ(now, previous);
        break;
      }
      // finished first: then the file is the complete new response
      ASSERT_EQ(r.exitCode, 0) << r.err;
      EXPECT_EQ(Json::parse(now)["totals"]["accounts"], 10000);
      std::ofstream(target) << previous;
      runSeconds *= 0.7;
    }
  }
  EXPECT_GE(killedMidRun, 4);
}

TEST(Faults, AFileSizeLimitIsAnIoErrorAndTheTargetIsUntouched) {
  ScratchDir dir("fsize");
  const std::string target = dir / "response.json";
  std::ofstream(target) << "previous";
  ProcessOptions o;
  o.limits = {{RLIMIT_FSIZE, 64 * 1024}};  // the example's response is ~2 KB; exchange-S's 5 MB
  const ProcessResult small = runXmargin({"run", test::kExample, "--out", target}, o);
  EXPECT_EQ(small.exitCode, 0) << small.err;  // under the limit: written
  EXPECT_EQ(Json::parse(slurp(target))["totals"]["accounts"], 1);
  std::ofstream(target) << "previous";
  const ProcessResult big = runXmargin({"run", heavyRequest(), "--out", target}, o);
  expectEnvelope(big, 2, "io_error", "File too large");
  EXPECT_NE(big.err.find(target + " is unchanged"), std::string::npos) << big.err;
  EXPECT_EQ(slurp(target), "previous");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"response.json"});
}

TEST(Faults, AFullDiskIsAnIoErrorAndTheTargetIsUntouched) {
  ScratchDir dir("tmpfs");
  if (mount("tmpfs", dir.str().c_str(), "tmpfs", 0, "size=256k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno)
                 << "); RLIMIT_FSIZE covers the path";
  }
  struct Unmount {
    std::string p;
    ~Unmount() { umount2(p.c_str(), MNT_DETACH); }
  } unmount{dir.str()};
  const std::string target = dir / "response.json";
  std::ofstream(target) << "previous";
  const ProcessResult r = runXmargin({"run", heavyRequest(), "--out", target});
  expectEnvelope(r, 2, "io_error", "No space left on device");
  EXPECT_EQ(slurp(target), "previous");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"response.json"});
}

TEST(Faults, InputsThatAreNotReadableFilesAreIoErrorsNamingThePath) {
  ScratchDir dir("inputs");
  const std::string fifo = dir / "request.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0666), 0);
  const std::string secret = dir / "unreadable.json";
  fs::copy_file(test::kExample, secret);
  ASSERT_EQ(chmod(secret.c_str(), 0), 0);
  ASSERT_EQ(chmod(dir.str().c_str(), 0755), 0);
  const std::string missing = dir / "missing.json";
  struct Case {
    std::string path, words;
  };
  for (const Case& c :
       {Case{missing, "No such file or directory"}, Case{dir.str(), "is a directory"},
        Case{fifo, "is a FIFO"}, Case{secret, "Permission denied"}}) {
    SCOPED_TRACE(c.path);
    ProcessOptions o;
    o.dropPrivileges = true;  // root reads a mode-000 file: run as nobody
    const ProcessResult r = runXmargin({"run", c.path}, o);
    expectEnvelope(r, 2, "io_error", c.words);
    EXPECT_NE(r.err.find(c.path), std::string::npos) << r.err;
  }
  // The other inputs of the command line take the same rules.
  const std::string prices = std::string(XM_SOURCE_DIR) + "/data/prices";
  const std::string portfolio = std::string(XM_SOURCE_DIR) + "/examples/backtest/portfolios.json";
  const std::vector<std::vector<std::string>> others = {
      {"backtest", "--prices", prices, "--portfolio", dir.str(), "--start", "2022-11-01", "--end",
       "2022-11-02"},
      {"backtest", "--prices", prices, "--portfolio", portfolio, "--config", fifo, "--start",
       "2022-11-01", "--end", "2022-11-02"},
      {"run", test::kExample, "--prices", missing}};
  for (const auto& args : others) {
    const ProcessResult r = runXmargin(args);
    expectEnvelope(r, 2, "io_error", "");
  }
}

TEST(Faults, OutOfMemoryIsAnEnvelopeNotAnAbort) {
  // 300 accounts on 1,000,000 scenarios of exchange-S: ~300 MB of shocks and a 1.6 GB cube, under
  // a 1 GiB address-space limit.
  const std::string request = (fs::temp_directory_path() / "xm-fault-oom.json").string();
  ASSERT_EQ(runXmargin({"generate", "exchange-S", "--out", request, "--accounts", "300",
                        "--scenarios", "1000000"})
                .exitCode,
            0);
  ProcessOptions o;
  o.limits = {{RLIMIT_AS, rlim_t{1} << 30}};
  const ProcessResult r = runXmargin({"run", request, "--threads", "2", "--backend", "cpu"}, o);
  expectEnvelope(r, 1, "out_of_memory", "not enough memory");
  fs::remove(request);
}

TEST(Faults, AnExceptionOnAnyWorkerThreadReachesTheCaller) {
  const std::string prices = std::string(XM_SOURCE_DIR) + "/data/prices";
  const std::string portfolio = std::string(XM_SOURCE_DIR) + "/examples/backtest/portfolios.json";
  for (const char* site : kFaultSites) {
    SCOPED_TRACE(site);
    const std::vector<std::string> args =
        std::string(site).rfind("backtest", 0) == 0
            ? std::vector<std::string>{"backtest",   "--prices",  prices,       "--portfolio",
                                       portfolio,    "--start",   "2022-11-01", "--end",
                                       "2022-11-04", "--threads", "2"}
            : std::vector<std::string>{"run", test::kExample, "--threads", "2"};
    ProcessOptions o;
    o.env = {std::string("XM_FAULT=") + site};
    expectEnvelope(runXmargin(args, o), 1, "internal_error",
                   std::string("injected fault at ") + site);
    o.env = {std::string("XM_FAULT=") + site + ":bad_alloc"};
    expectEnvelope(runXmargin(args, o), 1, "out_of_memory", "not enough memory");
  }
}

}  // namespace
}  // namespace xm
