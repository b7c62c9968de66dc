#include "scenarios/ShockCache.h"

#include <list>
#include <mutex>

namespace xm {
namespace {

struct Entry {
  Eigen::MatrixXd loading;
  ShockSpec spec;
  int64_t scenarios;
  std::shared_ptr<const ShockMatrix> shocks;

  size_t bytes() const { return static_cast<size_t>(shocks->size()) * sizeof(double); }
  bool matches(const Eigen::MatrixXd& l, const ShockSpec& s, int64_t n) const {
    const bool sameFhs = (!s.fhs && !spec.fhs) || (s.fhs && spec.fhs && *s.fhs == *spec.fhs);
    return n == scenarios && s.seed == spec.seed && s.studentT == spec.studentT &&
           s.sampling == spec.sampling && s.replications == spec.replications &&
           s.scenarios == spec.scenarios && (!s.studentT || s.dof == spec.dof) && sameFhs &&
           l.rows() == loading.rows() && l.cols() == loading.cols() && l == loading;
  }
};

struct Cache {
  std::mutex mu;
  std::list<Entry> entries;  // most recently used first
  size_t bytes = 0;
  size_t capacity = size_t{256} << 20;
};

Cache& cache() {
  static Cache c;
  return c;
}

}  // namespace

std::shared_ptr<const ShockMatrix> cachedShocks(const FactorModel& model, const ShockSpec& spec,
                                                int64_t scenarios) {
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    for (auto it = c.entries.begin(); it != c.entries.end(); ++it) {
      if (it->matches(model.loading, spec, scenarios)) {
        c.entries.splice(c.entries.begin(), c.entries, it);
        return it->shocks;
      }
    }
  }
  // Generate outside the lock; two threads missing at once both generate the same bits.
  auto shocks = std::make_shared<ShockMatrix>();
  ScenarioGenerator(model, spec).generate(0, scenarios, *shocks);
  std::lock_guard<std::mutex> lock(c.mu);
  Entry e{model.loading, spec, scenarios, shocks};
  if (e.bytes() <= c.capacity) {
    c.bytes += e.bytes();
    c.entries.push_front(std::move(e));
    while (c.bytes > c.capacity) {
      c.bytes -= c.entries.back().bytes();
      c.entries.pop_back();
    }
  }
  return shocks;
}

void setShockCacheCapacity(size_t bytes) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.capacity = bytes;
  c.entries.clear();
  c.bytes = 0;
}

}  // namespace xm
