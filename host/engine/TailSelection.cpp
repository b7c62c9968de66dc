#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "host/engine/Reduction.h"
#include "host/engine/RiskBackend.h"
#include "host/model/Errors.h"

#if defined(__AVX512F__) && defined(__AVX512VL__)
#include <immintrin.h>
#endif

namespace xm {
namespace {

// Radix selection over order-preserving keys: a double's bits, the sign bit flipped for
// positives and every bit for negatives, so that keys compare as the values do (-0 read as +0).
uint64_t orderKey(double x) {
  x += 0.0;  // -0 -> +0
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return (u >> 63) != 0 ? ~u : u | (uint64_t{1} << 63);
}

double fromOrderKey(uint64_t key) {
  const uint64_t u = (key >> 63) != 0 ? key & ~(uint64_t{1} << 63) : ~key;
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// The value of the k-th largest of keys[0..m) (1-based k), exactly, 8 bits of the keys at a time
// from the highest bit in which the remaining keys differ: each pass counts the keys by those bits
// (in four tables, so that equal bits in a row do not wait on one counter), keeps the bucket that
// holds the k-th largest, and stops when the keys left are equal. No branch depends on the
// values' order, so it runs 2-3 times as fast as nth_element on the few hundred losses of a tail
// stream. Overwrites keys; `spare` holds m.
double kthLargestKey(uint64_t* keys, int64_t m, int64_t k, uint64_t* spare) {
  while (m > 1) {
    uint64_t all = ~uint64_t{0}, any = 0;
    for (int64_t i = 0; i < m; ++i) {
      all &= keys[i];
      any |= keys[i];
    }
    if (all == any) break;  // the keys left are equal
    const int shift = std::max(0, 63 - __builtin_clzll(all ^ any) - 7);
    std::array<std::array<uint32_t, 256>, 4> counts{};
    int64_t i = 0;
    for (; i + 4 <= m; i += 4) {
      for (int j = 0; j < 4; ++j) ++counts[j][(keys[i + j] >> shift) & 0xff];
    }
    for (; i < m; ++i) ++counts[0][(keys[i] >> shift) & 0xff];
    int digit = 255;
    for (;; --digit) {
      const int64_t c = counts[0][digit] + counts[1][digit] + counts[2][digit] + counts[3][digit];
      if (k <= c) break;
      k -= c;
    }
    int64_t c = 0;
    for (i = 0; i < m; ++i) {
      spare[c] = keys[i];
      c += static_cast<int>((keys[i] >> shift) & 0xff) == digit;
    }
    std::swap(keys, spare);
    m = c;
  }
  return fromOrderKey(keys[0]);
}

double kthLargestOf(const double* x, int64_t m, int64_t k, uint64_t* keys, uint64_t* spare) {
  for (int64_t i = 0; i < m; ++i) keys[i] = orderKey(x[i]);
  return kthLargestKey(keys, m, k, spare);
}

// Below this many values a selection over all of them is as fast as sampling first (a Sobol
// replication's block is S / R: 1,250 scenarios at 10,000 and R = 8).
constexpr int64_t kSampledMinimum = 1024;

// The k-th largest of x[0..n) (1-based k) for a whole row: selected among the values reaching
// the r-th largest of a 1-in-16 strided sample, r about twice the k/16 expected plus 4 standard
// deviations, so that at least k reach it with overwhelming probability; among all of them when
// they do not. `keys` and `spare` hold n.
double kthLargest(const double* x, int64_t n, int64_t k, uint64_t* keys, uint64_t* spare) {
  if (n >= kSampledMinimum && k * 16 <= n) {
    const int64_t stride = 16;
    const int64_t m = n / stride;
    for (int64_t i = 0; i < m; ++i) keys[i] = orderKey(x[i * stride]);
    const double expect = static_cast<double>(k) / stride;
    const int64_t r =
        std::min<int64_t>(m, static_cast<int64_t>(2.0 * expect + 4.0 * std::sqrt(expect) + 8.0));
    const double threshold = kthLargestKey(keys, m, r, spare);
    int64_t c = 0;
    for (int64_t i = 0; i < n; ++i) {
      keys[c] = orderKey(x[i]);
      c += x[i] >= threshold;
    }
    if (c >= k) return kthLargestKey(keys, c, k, spare);
  }
  return kthLargestOf(x, n, k, keys, spare);
}

}  // namespace

void TailStream::start(int64_t k) {
  XM_ASSERT(k >= 1, "tail count out of range");
  k_ = k;
  size_ = 0;
  // Selecting among 4k kept losses to drop 3k of them keeps the work per loss bounded.
  limit_ = std::max<int64_t>(4 * k, 256);
  threshold_ = -std::numeric_limits<double>::infinity();
}

void TailStream::add(const double* loss, int32_t first, int64_t count) {
  // Room for every loss and a vector's spill past the last kept one.
  const size_t need = static_cast<size_t>(size_ + count + 8);
  if (loss_.size() < need) {
    loss_.resize(std::max(need, 2 * loss_.size()));
    scenario_.resize(loss_.size());
  }
  double* kept = loss_.data();
  int32_t* scenario = scenario_.data();
  int64_t m = size_;
  const double threshold = threshold_;
  int64_t i = 0;
#if defined(__AVX512F__) && defined(__AVX512VL__)
  const __m512d limit = _mm512_set1_pd(threshold);
  __m256i index =
      _mm256_add_epi32(_mm256_set1_epi32(first), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (; i + 8 <= count; i += 8) {
    const __m512d v = _mm512_loadu_pd(loss + i);
    const __mmask8 keep = _mm512_cmp_pd_mask(v, limit, _CMP_GT_OQ);
    _mm512_storeu_pd(kept + m, _mm512_maskz_compress_pd(keep, v));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(scenario + m),
                        _mm256_maskz_compress_epi32(keep, index));
    m += __builtin_popcount(keep);
    index = _mm256_add_epi32(index, _mm256_set1_epi32(8));
  }
#endif
  for (; i < count; ++i) {
    kept[m] = loss[i];
    scenario[m] = first + static_cast<int32_t>(i);
    m += loss[i] > threshold;
  }
  size_ = m;
  if (size_ > limit_) prune();
}

// Raises the threshold to the k-th largest kept loss and keeps exactly k: those above it and
// the first of those equal to it (ties go to the lowest scenarios, and a later loss equal to it
// can no longer enter the tail: the strict test of add() leaves it out).
void TailStream::prune() {
  if (keys_.size() < static_cast<size_t>(size_)) {
    keys_.resize(loss_.size());
    spare_.resize(loss_.size());
  }
  threshold_ = kthLargestOf(loss_.data(), size_, k_, keys_.data(), spare_.data());
  int64_t above = 0, equal = 0;
  for (int64_t i = 0; i < size_; ++i) {
    above += loss_[i] > threshold_;
    equal += loss_[i] == threshold_;
  }
  int64_t ties = k_ - above;  // of the equal ones, the first `ties` are kept
  int64_t m = 0;
  // Without branches: which are kept is unpredictable.
  if (ties == equal) {
    for (int64_t i = 0; i < size_; ++i) {
      loss_[m] = loss_[i];
      scenario_[m] = scenario_[i];
      m += loss_[i] >= threshold_;
    }
  } else {
    for (int64_t i = 0; i < size_; ++i) {
      const double l = loss_[i];
      const bool tie = l == threshold_;
      const bool keep = (l > threshold_) | (tie & (ties > 0));
      ties -= tie & keep;
      loss_[m] = l;
      scenario_[m] = scenario_[i];
      m += keep;
    }
  }
  size_ = m;
}

TailStats TailStream::finish(double confidence, int32_t* tail, double* tailLoss) {
  XM_ASSERT(size_ >= k_, "tail count out of range");
  prune();  // leaves exactly the tail, ascending scenarios
  TailStats t;
  t.var = threshold_;
  double sum = 0.0;
  for (int64_t i = 0; i < k_; ++i) {
    tail[i] = scenario_[i];
    tailLoss[i] = loss_[i];
    sum += loss_[i];
    if (loss_[i] == t.var) t.varScenario = scenario_[i];
  }
  t.sum = sum;
  t.es = sum / static_cast<double>(k_);
  double ss = 0.0;
  for (int64_t i = 0; i < k_; ++i) {
    const double d = tailLoss[i] - t.es;
    ss += d * d;
  }
  t.esStderr = esStandardError(ss, t.es, t.var, confidence, k_);
  return t;
}

namespace {

// The sum of the k largest of x[0..n) and the k-th largest.
std::pair<double, double> tailTotal(const double* x, int64_t n, int64_t k, uint64_t* keys,
                                    uint64_t* spare) {
  const double kth = kthLargest(x, n, k, keys, spare);
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

double replicatedTailMean(const double* x, const std::vector<Replication>& replications,
                          uint64_t* keys, uint64_t* spare) {
  ReplicationMoments m;
  for (const Replication& r : replications) {
    const auto [total, kth] = tailTotal(x + r.begin, r.count, r.k, keys, spare);
    m.add(replicationEs(total, kth, r));
  }
  return m.mean;
}

}  // namespace xm
