#include "api/mpi/DistributedBacktest.h"

#include <string>

#include "api/mpi/Wire.h"

namespace xm::mpi {
namespace {

constexpr int kTagDays = 3;

// Days [first, last) as bytes: per day its date, var, es, initial margin, loss, then each
// method's margins.
std::string encode(const std::vector<BacktestDay>& days, size_t first, size_t last) {
  ByteWriter out;
  for (size_t i = first; i < last; ++i) {
    const BacktestDay& d = days[i];
    out.put(d.day);
    for (const auto* v : {&d.var, &d.es, &d.initialMargin, &d.loss}) out.putAll(*v);
    out.put(static_cast<uint64_t>(d.methodMargin.size()));
    for (const auto& v : d.methodMargin) out.putAll(v);
  }
  return out.take();
}

void decode(const std::string& bytes, std::vector<BacktestDay>& days, size_t first, size_t last) {
  ByteReader in(bytes);
  for (size_t i = first; i < last; ++i) {
    BacktestDay& d = days[i];
    in.get(d.day);
    for (auto* v : {&d.var, &d.es, &d.initialMargin, &d.loss}) in.getAll(*v);
    uint64_t methods = 0;
    in.get(methods);
    d.methodMargin.resize(methods);
    for (auto& v : d.methodMargin) in.getAll(v);
  }
  XM_ASSERT(in.done(), "a backtest message longer than its days");
}

}  // namespace

std::pair<size_t, size_t> JobDayShards::mine(size_t days) const {
  const auto [first, last] = evenRange(static_cast<int64_t>(days), job_.rank(), job_.size());
  return {static_cast<size_t>(first), static_cast<size_t>(last)};
}

void JobDayShards::complete(std::vector<BacktestDay>& days, size_t first, size_t last,
                            const std::optional<ErrorReport>& failure) const {
  gatherOnRoot(
      job_, failure, kTagDays, [&] { return encode(days, first, last); },
      [&](int rank, const std::string& bytes) {
        const auto [from, to] = evenRange(static_cast<int64_t>(days.size()), rank, job_.size());
        decode(bytes, days, static_cast<size_t>(from), static_cast<size_t>(to));
      });
}

}  // namespace xm::mpi
