#include "api/mpi/DistributedBacktest.h"

#include <cstring>
#include <string>

namespace xm::mpi {
namespace {

constexpr int kTagDays = 3;

void put(std::string& out, const void* data, size_t bytes) {
  out.append(static_cast<const char*>(data), bytes);
}
void putVector(std::string& out, const std::vector<double>& v) {
  const uint64_t n = v.size();
  put(out, &n, sizeof n);
  put(out, v.data(), n * sizeof(double));
}

class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  void get(void* data, size_t n) {
    XM_ASSERT(at_ + n <= bytes_.size(), "a torn backtest message");
    std::memcpy(data, bytes_.data() + at_, n);
    at_ += n;
  }
  std::vector<double> vector() {
    uint64_t n = 0;
    get(&n, sizeof n);
    std::vector<double> v(n);
    get(v.data(), n * sizeof(double));
    return v;
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  const std::string& bytes_;
  size_t at_ = 0;
};

// Days [first, last) as bytes: per day its date, var, es, initial margin, loss, then the count
// of method margins and each.
std::string encode(const std::vector<BacktestDay>& days, size_t first, size_t last) {
  std::string out;
  for (size_t i = first; i < last; ++i) {
    const BacktestDay& d = days[i];
    put(out, &d.day, sizeof d.day);
    for (const auto* v : {&d.var, &d.es, &d.initialMargin, &d.loss}) putVector(out, *v);
    const uint64_t methods = d.methodMargin.size();
    put(out, &methods, sizeof methods);
    for (const auto& v : d.methodMargin) putVector(out, v);
  }
  return out;
}

void decode(const std::string& bytes, std::vector<BacktestDay>& days, size_t first, size_t last) {
  Reader in(bytes);
  for (size_t i = first; i < last; ++i) {
    BacktestDay& d = days[i];
    in.get(&d.day, sizeof d.day);
    d.var = in.vector();
    d.es = in.vector();
    d.initialMargin = in.vector();
    d.loss = in.vector();
    uint64_t methods = 0;
    in.get(&methods, sizeof methods);
    d.methodMargin.resize(methods);
    for (auto& v : d.methodMargin) v = in.vector();
  }
  XM_ASSERT(in.done(), "a backtest message longer than its days");
}

std::pair<size_t, size_t> rangeOf(size_t days, int rank, int ranks) {
  return {days * rank / ranks, days * (rank + 1) / ranks};
}

}  // namespace

std::pair<size_t, size_t> JobDayShards::mine(size_t days) const {
  return rangeOf(days, job_.rank(), job_.size());
}

void JobDayShards::complete(std::vector<BacktestDay>& days, size_t first, size_t last,
                            const std::optional<ErrorReport>& failure) const {
  agree(job_, failure);
  if (job_.rank() != 0) {
    job_.send(0, encode(days, first, last), kTagDays);
    return;
  }
  for (int r = 1; r < job_.size(); ++r) {
    const auto [from, to] = rangeOf(days.size(), r, job_.size());
    decode(job_.receive(r, kTagDays), days, from, to);
  }
}

}  // namespace xm::mpi
