#include "host/base/FaultInjection.h"

#include <csignal>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <stdexcept>

namespace xm {
namespace {

struct Fault {
  std::string site;
  bool badAlloc = false;
  bool kill = false;
};

std::atomic<const Fault*> gFault{nullptr};
std::once_flag gFromEnvironment;

const Fault* parse(const std::string& spec) {
  if (spec.empty()) return nullptr;
  auto* f = new Fault;  // armed faults live for the process: tests arm a handful
  const size_t colon = spec.find(':');
  f->site = spec.substr(0, colon);
  const std::string what = colon == std::string::npos ? "" : spec.substr(colon + 1);
  f->badAlloc = what == "bad_alloc";
  f->kill = what == "kill";
  return f;
}

}  // namespace

void faultPoint(const char* site) {
  std::call_once(gFromEnvironment, [] {
    if (const char* env = std::getenv("XM_FAULT")) {
      const Fault* expected = nullptr;
      gFault.compare_exchange_strong(expected, parse(env));
    }
  });
  const Fault* f = gFault.load(std::memory_order_relaxed);
  if (!f || f->site != site) return;
  if (f->badAlloc) throw std::bad_alloc();
  if (f->kill) ::raise(SIGKILL);  // a process dying mid-run (an MPI rank, the OOM killer)
  throw std::runtime_error(std::string("injected fault at ") + site);
}

void setFaultForTesting(const std::string& spec) {
  std::call_once(gFromEnvironment, [] {});
  gFault.store(parse(spec));
}

}  // namespace xm
