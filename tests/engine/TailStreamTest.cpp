// The streaming tail selection (host/engine/RiskBackend.h, TailStream) against a full sort:
// the same k-th largest, the same tail scenarios (ties at it taken lowest scenario first), the
// same sum in ascending scenario order and the same error, bit for bit, however the losses are
// cut into pieces and whatever their order: random, ascending (a prune after every piece),
// descending, many ties, every loss equal, negative and signed zeros.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "host/engine/Reduction.h"
#include "host/engine/RiskBackend.h"

namespace xm {
namespace {

constexpr double kConfidence = 0.99;

// Every scenario sorted by loss, descending, ties by ascending scenario: the first k are the
// tail; their sum and spread in ascending scenario order.
TailStats sortedTail(const std::vector<double>& loss, int64_t k, std::vector<int32_t>& tail) {
  std::vector<int32_t> order(loss.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return loss[a] > loss[b]; });
  tail.assign(order.begin(), order.begin() + k);
  std::sort(tail.begin(), tail.end());
  TailStats t;
  t.var = loss[order[k - 1]];
  for (int32_t s : tail) {
    t.sum += loss[s];
    if (loss[s] == t.var) t.varScenario = s;
  }
  t.es = t.sum / static_cast<double>(k);
  double ss = 0.0;
  for (int32_t s : tail) ss += (loss[s] - t.es) * (loss[s] - t.es);
  t.esStderr = esStandardError(ss, t.es, t.var, kConfidence, k);
  return t;
}

void expectStreamMatchesSort(const std::vector<double>& loss, int64_t k, int64_t piece,
                             TailStream& stream, const std::string& what) {
  SCOPED_TRACE(what + ", k " + std::to_string(k) + ", pieces of " + std::to_string(piece));
  std::vector<int32_t> expectedTail;
  const TailStats expected = sortedTail(loss, k, expectedTail);
  const int64_t n = static_cast<int64_t>(loss.size());
  stream.start(k);
  for (int64_t s = 0; s < n; s += piece)
    stream.add(loss.data() + s, static_cast<int32_t>(s), std::min(piece, n - s));
  std::vector<int32_t> tail(k);
  std::vector<double> tailLoss(k);
  const TailStats t = stream.finish(kConfidence, tail.data(), tailLoss.data());
  EXPECT_EQ(t.var, expected.var);
  EXPECT_EQ(t.sum, expected.sum);
  EXPECT_EQ(t.es, expected.es);
  EXPECT_EQ(t.esStderr, expected.esStderr);
  EXPECT_EQ(t.varScenario, expected.varScenario);
  EXPECT_EQ(tail, expectedTail);
  for (int64_t i = 0; i < k; ++i) EXPECT_EQ(tailLoss[i], loss[tail[i]]);
}

std::vector<std::vector<double>> lossVectors(int64_t n) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 1000.0);
  std::vector<double> random(n), coarse(n), constant(n, 42.5), ascending(n), descending(n),
      signs(n), heavy(n);
  for (int64_t s = 0; s < n; ++s) {
    random[s] = normal(rng);
    coarse[s] = std::round(normal(rng) / 400.0);  // a handful of values, many ties at the VaR
    ascending[s] = static_cast<double>(s) * 0.5 - 1e3;
    descending[s] = -ascending[s];
    // Zeros of both signs and tiny negatives: an account hedged to the bit in most scenarios.
    signs[s] = s % 3 == 0 ? 0.0 : (s % 3 == 1 ? -0.0 : -1e-300 * static_cast<double>(s % 7));
    heavy[s] = std::pow(std::abs(normal(rng)) / 1000.0 + 1e-3, -1.5);  // a few huge losses
  }
  return {random, coarse, constant, ascending, descending, signs, heavy};
}

TEST(TailStream, MatchesAFullSortWhateverThePiecesAndOrder) {
  const char* names[] = {"random",     "coarse", "constant", "ascending",
                         "descending", "signs",  "heavy"};
  TailStream stream;  // reused across vectors, as the engine's threads do
  for (int64_t n : {1, 9, 1000, 10000}) {
    const std::vector<std::vector<double>> vectors = lossVectors(n);
    for (size_t v = 0; v < vectors.size(); ++v) {
      for (int64_t k : {int64_t{1}, (n + 99) / 100, std::max<int64_t>(1, n / 7), n}) {
        for (int64_t piece : {int64_t{1}, int64_t{7}, int64_t{512}, n}) {
          expectStreamMatchesSort(vectors[v], k, piece, stream,
                                  std::string(names[v]) + ", n " + std::to_string(n));
        }
      }
    }
  }
}

// However many losses equal the running threshold (an account hedged to the bit loses exactly 0
// in every scenario), the stream keeps at most max(4k, 256) and a piece.
TEST(TailStream, KeepsABoundedNumberOfLosses) {
  std::vector<double> flat(100000, 0.0);
  std::vector<double> rising(100000);  // every piece raises the threshold
  for (size_t s = 0; s < rising.size(); ++s) rising[s] = static_cast<double>(s);
  for (std::vector<double>* loss : {&flat, &rising}) {
    TailStream stream;
    stream.start(100);
    int64_t most = 0;
    for (int32_t s = 0; s < 100000; s += 512) {
      stream.add(loss->data() + s, s, std::min<int64_t>(512, 100000 - s));
      most = std::max(most, stream.kept());
    }
    EXPECT_LE(most, 400 + 512);
    std::vector<int32_t> tail(100);
    std::vector<double> tailLoss(100);
    const TailStats t = stream.finish(kConfidence, tail.data(), tailLoss.data());
    EXPECT_EQ(tail.front(), loss == &flat ? 0 : 99900);
    EXPECT_EQ(t.varScenario, loss == &flat ? 99 : 99900);
  }
}

// A zero VaR is +0 whatever the signs of the zeros at it: the figure does not depend on which
// zero a selection happened to land on.
TEST(TailStream, AZeroVarIsPositiveZero) {
  std::vector<double> loss(2000, -0.0);
  loss[0] = 0.0;
  loss[5] = 3.0;
  TailStream stream;
  stream.start(20);
  stream.add(loss.data(), 0, static_cast<int64_t>(loss.size()));
  std::vector<int32_t> tail(20);
  std::vector<double> tailLoss(20);
  const TailStats t = stream.finish(kConfidence, tail.data(), tailLoss.data());
  EXPECT_EQ(t.var, 0.0);
  EXPECT_FALSE(std::signbit(t.var));
  EXPECT_EQ(t.sum, 3.0);
  EXPECT_EQ(tail.front(), 0);  // the zeros are taken lowest scenario first
  EXPECT_EQ(tail[1], 1);
  EXPECT_EQ(tail[2], 2);
  EXPECT_EQ(tail[3], 3);
  EXPECT_EQ(tail[4], 4);
  EXPECT_EQ(tail[5], 5);
  EXPECT_EQ(t.varScenario, 19);
}

}  // namespace
}  // namespace xm
