#include "api/cli/Cli.h"

#include <signal.h>

#include <iostream>
#include <string>
#include <vector>

#include "api/cli/Args.h"
#include "api/cli/Commands.h"
#include "api/cli/HelpText.h"
#include "api/json/ResponseWriter.h"
#include "api/mpi/Job.h"
#include "host/model/Errors.h"
#include "host/model/Version.h"

namespace xm {

const std::vector<Command>& commands() {
  static const std::vector<Command> table{
      {"run",
       kRunHelp,
       {"--pretty", "--help", "--quiet"},
       {"--out", "--batch-accounts", "--max-scenarios", "--threads", "--backend", "--precision",
        "--prices", "--implied-vol", "--snapshot", "--marks", "--progress", "--format"},
       runCommand},
      {"whatif",
       kWhatifHelp,
       {"--help", "--pretty"},
       {"--snapshot", "--marks", "--out", "--threads", "--prices", "--implied-vol"},
       whatifCommand},
      {"neutralize",
       kNeutralizeHelp,
       {"--help", "--pretty"},
       {"--snapshot", "--marks", "--out", "--threads", "--prices", "--implied-vol"},
       neutralizeCommand},
      {"demo",
       kDemoHelp,
       {"--help"},
       {"--accounts", "--scenarios", "--top", "--threads"},
       demoCommand},
      {"generate",
       kGenerateHelp,
       {"--help", "--quiet"},
       {"--out", "--accounts", "--scenarios", "--seed", "--positions", "--progress", "--format"},
       generateCommand},
      {"info", kInfoHelp, {"--help"}, {}, infoCommand},
      {"simulate",
       kSimulateHelp,
       {"--help", "--pretty", "--quiet"},
       {"--out", "--format", "--threads", "--prices", "--implied-vol", "--progress"},
       simulateCommand},
      {"backtest",
       kBacktestHelp,
       {"--help", "--quiet"},
       {"--prices", "--portfolio", "--start", "--end", "--config", "--format", "--out", "--series",
        "--threads", "--implied-vol", "--method", "--compare", "--progress"},
       backtestCommand},
      {"report",
       kReportHelp,
       {"--help"},
       {"--out", "--request", "--simulation", "--backtest", "--series", "--title"},
       reportCommand},
#ifdef XM_HAVE_SERVER
      {"serve",
       kServeHelp,
       {"--help", "--access-log", "--report"},
       {"--host", "--port", "--token-file", "--workers", "--queue", "--timeout-ms",
        "--max-body-bytes", "--max-scenarios", "--max-work", "--token", "--max-connections",
        "--header-timeout-ms", "--idle-timeout-ms", "--snapshot-memory"},
       serveCommand},
#endif
  };
  return table;
}

namespace {

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
  for (const Command& c : commands()) {
    if (cmd != c.name) continue;
    if (mpi::Job::current().distributed() && cmd != "run" && cmd != "backtest" &&
        cmd != "simulate") {
      throw InputError("",
                       "under mpirun with more than one rank only run, backtest and simulate "
                       "are distributed; run `" +
                           cmd + "` as one process",
                       ErrorKind::Usage);
    }
    const Args a = parseArgs(argc, argv, 2, c.flags, c.valued);
    if (a.has("--help")) {
      std::cout << c.help;
      return 0;
    }
    return c.run(a);
  }
#ifndef XM_HAVE_SERVER
  if (cmd == "serve")
    throw InputError(
        "",
        "this build of xmargin has no HTTP service (cpp-httplib was not found at configure time)",
        ErrorKind::Usage);
#endif
  throw InputError("", "unknown command \"" + cmd + "\" (see xmargin --help)", ErrorKind::Usage);
}

}  // namespace

int runCli(int argc, char** argv) {
  // A write past RLIMIT_FSIZE must fail with EFBIG (an io_error, the output untouched), not kill
  // the process with SIGXFSZ.
  ::signal(SIGXFSZ, SIG_IGN);
  // Under mpirun (or srun) every process is a rank of one job; else a job of one.
  const mpi::Job job(&argc, &argv);
  try {
    return dispatch(argc, argv);
  } catch (const mpi::QuietExit& e) {
    return e.status;  // rank 0 reports the job's error
  } catch (...) {
    // The error table (host/model/Errors.h) gives the code and the exit status.
    ErrorReport r = reportCurrentException();
    if (r.kind == ErrorKind::OutOfMemory) r.message += "; use fewer scenarios or --batch-accounts";
    // An error every rank met alike (usage, bad input) is printed once.
    if (job.rank() == 0) std::cerr << toText(errorToJson(r)) << "\n";
    return errorKindInfo(r.kind).exitStatus;
  }
}

}  // namespace xm
