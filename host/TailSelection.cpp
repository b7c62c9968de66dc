#include <algorithm>
#include <cmath>
#include <functional>

#include "host/Errors.h"
#include "host/RiskBackend.h"

namespace xm {
namespace {

// The k-th largest of x[0..n) (1-based k), by selection: a strided sample gives a threshold
// below which, with overwhelming probability, fewer than n - k values lie; only the values above
// it are selected exactly. Falls back to a full nth_element when the guess was too high.
double kthLargest(const double* x, int64_t n, int64_t k, double* scratch) {
  if (n >= 4096 && k * 16 <= n) {
    const int64_t stride = 16;
    const int64_t m = n / stride;
    for (int64_t i = 0; i < m; ++i) scratch[i] = x[i * stride];
    // Sample rank with a wide margin: expected k/stride above, take ~2x plus 4 sigma.
    const double expect = static_cast<double>(k) / stride;
    int64_t r = static_cast<int64_t>(2.0 * expect + 4.0 * std::sqrt(expect) + 8.0);
    r = std::min(r, m);
    std::nth_element(scratch, scratch + (r - 1), scratch + m, std::greater<double>());
    const double threshold = scratch[r - 1];
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
  t.var = kthLargest(loss, n, k, scratch);
  int64_t above = 0;
  for (int64_t s = 0; s < n; ++s) above += loss[s] > t.var;
  int64_t ties = k - above;  // values equal to var to take, lowest scenario index first
  int64_t m = 0;
  double sum = 0.0;
  for (int64_t s = 0; s < n; ++s) {
    const double l = loss[s];
    if (l > t.var || (l == t.var && ties-- > 0)) {
      tail[m++] = static_cast<int32_t>(s);
      sum += l;
    }
  }
  XM_ASSERT(m == k, "tail selection lost scenarios");
  t.es = sum / static_cast<double>(k);
  double ss = 0.0;
  for (int64_t i = 0; i < k; ++i) {
    const double d = loss[tail[i]] - t.es;
    ss += d * d;
  }
  const double tailVariance = ss / static_cast<double>(k);
  const double gap = t.es - t.var;
  t.esStderr = std::sqrt((tailVariance + confidence * gap * gap) / static_cast<double>(k));
  return t;
}

double tailMean(const double* x, int64_t n, int64_t k, double* scratch) {
  const double kth = kthLargest(x, n, k, scratch);
  int64_t above = 0;
  double sum = 0.0;
  for (int64_t s = 0; s < n; ++s) {
    if (x[s] > kth) {
      ++above;
      sum += x[s];
    }
  }
  return (sum + static_cast<double>(k - above) * kth) / static_cast<double>(k);
}

}  // namespace xm
