#include "api/mpi/DistributedSimulation.h"

#include <cstring>
#include <string>

namespace xm::mpi {
namespace {

constexpr int kTagPaths = 4;

template <typename T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
template <typename T>
void putAll(std::string& out, const std::vector<T>& v) {
  put(out, static_cast<uint64_t>(v.size()));
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  template <typename T>
  void get(T& value) {
    take(&value, sizeof value);
  }
  template <typename T>
  void getAll(std::vector<T>& v) {
    uint64_t n = 0;
    get(n);
    v.resize(n);
    take(v.data(), n * sizeof(T));
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  void take(void* data, size_t n) {
    XM_ASSERT(at_ + n <= bytes_.size(), "a torn simulation message");
    std::memcpy(data, bytes_.data() + at_, n);
    at_ += n;
  }
  const std::string& bytes_;
  size_t at_ = 0;
};

std::string encode(const std::vector<PathTally>& tallies, int64_t first, int64_t last) {
  std::string out;
  for (int64_t p = first; p < last; ++p) {
    const PathTally& t = tallies[p];
    for (double x :
         {t.fundEnd, t.fundMin, t.deficits, t.fundDraw, t.adl, t.socialized, t.uncovered, t.cover2})
      put(out, x);
    put(out, t.breakerFirings);
    putAll(out, t.liquidations);
    putAll(out, t.deficit);
    putAll(out, t.socializedCharge);
    putAll(out, t.deleveraged);
  }
  return out;
}

void decode(const std::string& bytes, std::vector<PathTally>& tallies, int64_t first,
            int64_t last) {
  Reader in(bytes);
  for (int64_t p = first; p < last; ++p) {
    PathTally& t = tallies[p];
    for (double* x : {&t.fundEnd, &t.fundMin, &t.deficits, &t.fundDraw, &t.adl, &t.socialized,
                      &t.uncovered, &t.cover2})
      in.get(*x);
    in.get(t.breakerFirings);
    in.getAll(t.liquidations);
    in.getAll(t.deficit);
    in.getAll(t.socializedCharge);
    in.getAll(t.deleveraged);
  }
  XM_ASSERT(in.done(), "a simulation message longer than its paths");
}

std::pair<int64_t, int64_t> rangeOf(int64_t paths, int rank, int ranks) {
  return {paths * rank / ranks, paths * (rank + 1) / ranks};
}

}  // namespace

std::pair<int64_t, int64_t> JobPathShards::mine(int64_t paths) const {
  return rangeOf(paths, job_.rank(), job_.size());
}

void JobPathShards::complete(std::vector<PathTally>& tallies, int64_t first, int64_t last,
                             const std::optional<ErrorReport>& failure) const {
  agree(job_, failure);
  if (job_.rank() != 0) {
    job_.send(0, encode(tallies, first, last), kTagPaths);
    return;
  }
  const auto total = static_cast<int64_t>(tallies.size());
  for (int r = 1; r < job_.size(); ++r) {
    const auto [from, to] = rangeOf(total, r, job_.size());
    decode(job_.receive(r, kTagPaths), tallies, from, to);
  }
}

}  // namespace xm::mpi
