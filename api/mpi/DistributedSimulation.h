#pragma once
// `mpirun -n N xmargin simulate`: the margin at t0 on every rank (every path touches the whole
// book), the Monte Carlo paths divided among ranks in contiguous equal ranges; rank 0 gathers
// every path's tally, adds them in path order, runs the named paths and writes the result,
// identical to one process's.

#include "api/mpi/Job.h"
#include "host/clearing/Clearing.h"

namespace xm::mpi {

class JobPathShards final : public PathShards {
 public:
  explicit JobPathShards(const Job& job) : job_(job) {}
  std::pair<int64_t, int64_t> mine(int64_t paths) const override;
  // Agrees on failure, then every rank's tallies go to rank 0.
  void complete(std::vector<PathTally>& tallies, int64_t first, int64_t last,
                const std::optional<ErrorReport>& failure) const override;
  bool reports() const override { return job_.rank() == 0; }

 private:
  const Job& job_;
};

}  // namespace xm::mpi
