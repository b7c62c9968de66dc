#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>
#include <vector>

#include "host/engine/Reduction.h"
#include "host/engine/RiskBackend.h"
#include "host/model/Errors.h"

namespace xm {
namespace {

// Below this many losses a plain selection over all of them is as fast as sampling first (a
// Sobol replication's block is S / R: 1,250 scenarios at 10,000 and R = 8).
constexpr int64_t kSampledMinimum = 1024;

// A threshold that, with overwhelming probability, at least k of x[0..n) reach: the r-th largest
// of a 1-in-16 strided sample, r about twice the k/16 expected plus 4 standard deviations.
// Preconditions: n >= kSampledMinimum and 16 k <= n. `scratch` holds n / 16.
double sampledThreshold(const double* x, int64_t n, int64_t k, double* scratch) {
  const int64_t stride = 16;
  const int64_t m = n / stride;
  for (int64_t i = 0; i < m; ++i) scratch[i] = x[i * stride];
  const double expect = static_cast<double>(k) / stride;
  const int64_t r =
      std::min<int64_t>(m, static_cast<int64_t>(2.0 * expect + 4.0 * std::sqrt(expect) + 8.0));
  std::nth_element(scratch, scratch + (r - 1), scratch + m, std::greater<double>());
  return scratch[r - 1];
}

// Per-thread candidate indices for selectTail (grown once, reused).
std::vector<int32_t>& candidateBuffer() {
  thread_local std::vector<int32_t> buffer;
  return buffer;
}

// The k-th largest of x[0..n) (1-based k), by selection on the values reaching a sampled
// threshold; a full nth_element when the sample guessed too high.
double kthLargest(const double* x, int64_t n, int64_t k, double* scratch) {
  if (n >= kSampledMinimum && k * 16 <= n) {
    const double threshold = sampledThreshold(x, n, k, scratch);
    int64_t c = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (x[i] >= threshold) scratch[c++] = x[i];
    }
    if (c >= k) {
      std::nth_element(scratch, scratch + (k - 1), scratch + c, std::greater<double>());
      return scratch[k - 1];
    }
  }
  std::copy(x, x + n, scratch);
  std::nth_element(scratch, scratch + (k - 1), scratch + n, std::greater<double>());
  return scratch[k - 1];
}

}  // namespace

TailStats selectTail(const double* loss, int64_t n, int64_t k, double confidence, double* scratch,
                     int32_t* tail) {
  XM_ASSERT(k >= 1 && k <= n, "tail count out of range");
  TailStats t;
  // Candidates: the scenarios whose loss reaches a sampled threshold, in ascending order. When
  // there are at least k of them the whole tail is among them, and the rest is done on them
  // alone; otherwise (an unlucky sample, or a small n) every scenario is a candidate.
  std::vector<int32_t>& candidates = candidateBuffer();
  int64_t m = 0;
  if (n >= kSampledMinimum && k * 16 <= n) {
    const double threshold = sampledThreshold(loss, n, k, scratch);
    candidates.resize(n);
    for (int64_t s = 0; s < n; ++s) {
      candidates[m] = static_cast<int32_t>(s);
      m += loss[s] >= threshold;
    }
  }
  if (m < k) {
    candidates.resize(n);
    for (int64_t s = 0; s < n; ++s) candidates[s] = static_cast<int32_t>(s);
    m = n;
  }
  for (int64_t i = 0; i < m; ++i) scratch[i] = loss[candidates[i]];
  std::nth_element(scratch, scratch + (k - 1), scratch + m, std::greater<double>());
  t.var = scratch[k - 1];

  int64_t above = 0;
  for (int64_t i = 0; i < m; ++i) above += loss[candidates[i]] > t.var;
  int64_t ties = k - above;  // values equal to var to take, lowest scenario index first
  int64_t taken = 0;
  double sum = 0.0;
  for (int64_t i = 0; i < m; ++i) {
    const int32_t s = candidates[i];
    const double l = loss[s];
    if (l > t.var || (l == t.var && ties-- > 0)) {
      tail[taken++] = s;
      sum += l;
      if (l == t.var) t.varScenario = s;
    }
  }
  XM_ASSERT(taken == k, "tail selection lost scenarios");
  t.sum = sum;
  t.es = sum / static_cast<double>(k);
  double ss = 0.0;
  for (int64_t i = 0; i < k; ++i) {
    const double d = loss[tail[i]] - t.es;
    ss += d * d;
  }
  t.esStderr = esStandardError(ss, t.es, t.var, confidence, k);
  return t;
}

namespace {

// The sum of the k largest of x[0..n) and the k-th largest.
std::pair<double, double> tailTotal(const double* x, int64_t n, int64_t k, double* scratch) {
  const double kth = kthLargest(x, n, k, scratch);
  int64_t above = 0;
  double sum = 0.0;
  for (int64_t s = 0; s < n; ++s) {
    if (x[s] > kth) {
      ++above;
      sum += x[s];
    }
  }
  return {sum + static_cast<double>(k - above) * kth, kth};
}

}  // namespace

double tailMean(const double* x, int64_t n, int64_t k, double* scratch) {
  return tailTotal(x, n, k, scratch).first / static_cast<double>(k);
}

double replicatedTailMean(const double* x, const std::vector<Replication>& replications,
                          double* scratch) {
  // One replication of weight 1 (mc, antithetic) is tailMean's bits: a mean of one value is it.
  ReplicationMoments m;
  for (const Replication& r : replications) {
    const auto [total, kth] = tailTotal(x + r.begin, r.count, r.k, scratch);
    m.add(replicationEs(total, kth, r));
  }
  return m.mean;
}

}  // namespace xm
