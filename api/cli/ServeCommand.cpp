#include "api/cli/Commands.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <sstream>
#include <string>

#include "api/cli/Args.h"
#include "api/http/HttpServer.h"
#include "host/base/Files.h"
#include "host/model/Errors.h"

namespace xm {
namespace {

void checkTokenFilePermissions(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // readInputFile names the failure
  const mode_t loose = st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP);
  if (loose == 0) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  throw InputError("",
                   std::string("--token-file ") + path + ": permissions " + mode +
                       " are too open: the token must not be readable by others nor writable "
                       "by its group or others (chmod 600 " +
                       path + ")",
                   ErrorKind::Usage);
}

std::string readToken(const Args& a) {
  const char* env = std::getenv("XMARGIN_TOKEN");
  const bool fromEnv = env != nullptr && *env != '\0';
  if (a.has("--token-file") && fromEnv) {
    throw InputError("", "give the token either with --token-file or XMARGIN_TOKEN, not both",
                     ErrorKind::Usage);
  }
  std::string token;
  if (a.has("--token-file")) {
    const std::string& path = a.options.at("--token-file");
    checkTokenFilePermissions(path);
    std::istringstream lines(readInputFile(path, "--token-file"));
    std::getline(lines, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t'))
      token.pop_back();
    if (token.empty())
      throw InputError("", "the token file's first line is empty", ErrorKind::Usage);
  } else if (fromEnv) {
    token = env;
  }
  return token;
}

}  // namespace

int serveCommand(const Args& a) {
  if (a.has("--token")) {
    throw InputError("",
                     "tokens are not taken on the command line (they would show in ps); use "
                     "--token-file FILE or XMARGIN_TOKEN",
                     ErrorKind::Usage);
  }
  if (!a.positional.empty())
    throw InputError("", "serve takes no arguments (see --help)", ErrorKind::Usage);
  ServerOptions o;
  if (a.has("--host")) o.host = a.options.at("--host");
  o.port = static_cast<int>(intOption(a, "--port", o.port, 0, 65535));
  o.token = readToken(a);
  o.workers = static_cast<int>(intOption(a, "--workers", 0, 1, 1024));
  o.queue = static_cast<int>(intOption(a, "--queue", o.queue, 0, 100000));
  o.timeoutMs = static_cast<int>(intOption(a, "--timeout-ms", o.timeoutMs, 1, 86'400'000));
  o.maxBodyBytes = intOption(a, "--max-body-bytes", o.maxBodyBytes, 1, int64_t{1} << 40);
  o.maxConnections =
      static_cast<int>(intOption(a, "--max-connections", o.maxConnections, 1, 1'000'000));
  o.headerTimeoutMs =
      static_cast<int>(intOption(a, "--header-timeout-ms", o.headerTimeoutMs, 1, 3'600'000));
  o.idleTimeoutMs =
      static_cast<int>(intOption(a, "--idle-timeout-ms", o.idleTimeoutMs, 1, 3'600'000));
  o.limits.maxScenarios = intOption(a, "--max-scenarios", o.limits.maxScenarios, 1, 100'000'000);
  o.limits.maxWork = static_cast<double>(
      intOption(a, "--max-work", static_cast<int64_t>(o.limits.maxWork), 1, INT64_MAX));
  o.accessLog = a.has("--access-log");
  o.report = a.has("--report");
  o.snapshotMemory =
      intOption(a, "--snapshot-memory", o.snapshotMemory, int64_t{1} << 20, int64_t{1} << 50);

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
    throw InputError("", e.what(),
                     ErrorKind::IoError);  // the address is taken, or the descriptor limit too low
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
            << server.backend() << ", auth " << (o.token.empty() ? "off" : "on") << ")"
            << std::endl;
  server.serve();
  done = true;
  waiter.join();
  std::cerr << "xmargin serve: stopped\n";
  return 0;
}

}  // namespace xm
