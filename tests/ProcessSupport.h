#pragma once
// Runs build/xmargin as a child process — with resource limits, extra environment, or without
// root's privileges — and collects its exit status and output. For the fault tests, which need
// what only a separate process shows: a signal, a file-size limit, an address-space limit.

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

namespace xm::test {

struct ProcessOptions {
  std::vector<std::string> env;                // "NAME=value", added to this environment
  std::vector<std::pair<int, rlim_t>> limits;  // setrlimit(resource, soft = hard = value)
  bool dropPrivileges = false;                 // run as nobody (65534) when started as root
};

struct ProcessResult {
  int exitCode = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
};

inline const std::string& xmarginBinary() {
  static const std::string path = std::string(XM_BINARY_DIR) + "/xmargin";
  return path;
}

// Starts `xmargin ARGS...`; the caller reads `out`/`err` and waits. Everything the child needs is
// built before fork: between fork and exec only async-signal-safe calls are made.
inline pid_t startXmargin(const std::vector<std::string>& args, const ProcessOptions& o, int& outFd,
                          int& errFd) {
  std::vector<std::string> argStore = {xmarginBinary()};
  argStore.insert(argStore.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argStore) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> envStore;
  for (char** e = environ; *e; ++e) envStore.emplace_back(*e);
  envStore.insert(envStore.end(), o.env.begin(), o.env.end());
  std::vector<char*> envp;
  for (auto& e : envStore) envp.push_back(e.data());
  envp.push_back(nullptr);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return -1;
  const bool drop = o.dropPrivileges && geteuid() == 0;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    for (const auto& [resource, value] : o.limits) {
      const rlimit r{value, value};
      setrlimit(resource, &r);
    }
    if (drop && (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
      _exit(126);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  outFd = out[0];
  errFd = err[0];
  return pid;
}

// Reads both pipes to their end (poll: neither may fill while the other is read), then waits.
inline ProcessResult finishXmargin(pid_t pid, int outFd, int errFd) {
  ProcessResult r;
  pollfd fds[2] = {{outFd, POLLIN, 0}, {errFd, POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  char buf[1 << 16];
  while (open > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exitCode = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

inline ProcessResult runXmargin(const std::vector<std::string>& args,
                                const ProcessOptions& o = {}) {
  int outFd = -1, errFd = -1;
  const pid_t pid = startXmargin(args, o, outFd, errFd);
  if (pid < 0) return {};
  return finishXmargin(pid, outFd, errFd);
}

}  // namespace xm::test
