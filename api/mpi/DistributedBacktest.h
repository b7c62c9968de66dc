#pragma once
// `mpirun -n N xmargin backtest`: the test days divided among ranks in contiguous equal ranges
// (every day is one request's work), each rank margining its days with its own backend; rank 0
// gathers every day's figures and writes the report, identical to one process's.

#include "api/mpi/Job.h"
#include "host/backtest/Backtest.h"

namespace xm::mpi {

class JobDayShards final : public DayShards {
 public:
  explicit JobDayShards(const Job& job) : job_(job) {}
  std::pair<size_t, size_t> mine(size_t days) const override;
  // Agrees on failure, then every rank's days go to rank 0.
  void complete(std::vector<BacktestDay>& days, size_t first, size_t last,
                const std::optional<ErrorReport>& failure) const override;
  bool reports() const override { return job_.rank() == 0; }

 private:
  const Job& job_;
};

}  // namespace xm::mpi
