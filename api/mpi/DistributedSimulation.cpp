#include "api/mpi/DistributedSimulation.h"

#include <string>

#include "api/mpi/Wire.h"

namespace xm::mpi {
namespace {

constexpr int kTagPaths = 4;

std::string encode(const std::vector<PathTally>& tallies, int64_t first, int64_t last) {
  ByteWriter out;
  for (int64_t p = first; p < last; ++p) {
    const PathTally& t = tallies[p];
    for (double x :
         {t.fundEnd, t.fundMin, t.deficits, t.fundDraw, t.adl, t.socialized, t.uncovered, t.cover2})
      out.put(x);
    out.put(t.breakerFirings);
    out.putAll(t.liquidations);
    out.putAll(t.deficit);
    out.putAll(t.socializedCharge);
    out.putAll(t.deleveraged);
  }
  return out.take();
}

void decode(const std::string& bytes, std::vector<PathTally>& tallies, int64_t first,
            int64_t last) {
  ByteReader in(bytes);
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

}  // namespace

std::pair<int64_t, int64_t> JobPathShards::mine(int64_t paths) const {
  return evenRange(paths, job_.rank(), job_.size());
}

void JobPathShards::complete(std::vector<PathTally>& tallies, int64_t first, int64_t last,
                             const std::optional<ErrorReport>& failure) const {
  gatherOnRoot(
      job_, failure, kTagPaths, [&] { return encode(tallies, first, last); },
      [&](int rank, const std::string& bytes) {
        const auto [from, to] = evenRange(static_cast<int64_t>(tallies.size()), rank, job_.size());
        decode(bytes, tallies, from, to);
      });
}

}  // namespace xm::mpi
