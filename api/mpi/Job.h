#pragma once
// The MPI job this process belongs to (`mpirun -n N xmargin ...`, or srun under Slurm), or a job
// of one when xmargin was not launched by MPI or built without it (XM_MPI, README "Scale-out").
// Only what the distributed commands need: bytes broadcast from rank 0, bytes sent rank to rank
// (any size: chunked below MPI's int counts), agreement on failure, and abort.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "host/model/Errors.h"

namespace xm::mpi {

class Job {
 public:
  // Initialises MPI when the environment says an MPI launcher started this process; otherwise,
  // and without MPI in the build, a job of one rank. One per process (runCli's).
  Job(int* argc, char*** argv);
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int localRank() const { return localRank_; }  // the rank among this node's ranks
  bool distributed() const { return size_ > 1; }

  // Root's `bytes` on every rank.
  void broadcast(std::string& bytes, int root = 0) const;
  // `text` (significant on rank 0 only, e.g. a mapped file: not copied there) into `out` on the
  // other ranks; returns the text on every rank (rank 0's own view, or out).
  std::string_view broadcastView(std::string_view text, std::string& out) const;
  // Point to point, in order per (from, to, tag).
  void send(int to, const std::string& bytes, int tag) const;
  std::string receive(int from, int tag) const;
  // The smallest of every rank's value.
  int minimum(int value) const;
  void barrier() const;
  // Ends every rank of the job now (a failure past the point where ranks can still agree).
  [[noreturn]] void abort(int status) const;

  // The process's job (set by the constructor).
  static const Job& current();

 private:
  int rank_ = 0, size_ = 1, localRank_ = 0;
  bool initialised_ = false;
};

// Thrown on ranks other than 0 when the job fails: rank 0 reports the error, the others exit
// with the same status and print nothing.
class QuietExit : public std::runtime_error {
 public:
  explicit QuietExit(int status) : std::runtime_error("quiet exit"), status(status) {}
  int status;
};

// One GPU per rank: rank i of a node sees only the i-th device CUDA_VISIBLE_DEVICES lists (round
// robin when ranks outnumber them), or device i when it is unset (a rank past the node's devices
// then has none: "auto" runs it on the CPU). A launcher that already gave each rank one device
// (Slurm's --gpus-per-task=1) is left as it is. Call before the first CUDA call.
void selectGpuOfRank(const Job& job);

// Every rank calls it at the same step with its own failure, if any (reportCurrentException()).
// No rank failed: returns. Else the lowest failing rank's error is thrown on rank 0 (InputError
// with its kind, message and path) and QuietExit with its exit status on every other rank.
void agree(const Job& job, const std::optional<ErrorReport>& mine);

// Rank `rank`'s contiguous share [first, last) of n equal items (days, paths).
inline std::pair<int64_t, int64_t> evenRange(int64_t n, int rank, int ranks) {
  return {n * rank / ranks, n * (rank + 1) / ranks};
}

// Every rank's part on rank 0: agree() on `failure`, then each other rank sends mine() (tag) and
// rank 0 calls take(rank, bytes) for ranks 1, 2, ... in order.
void gatherOnRoot(const Job& job, const std::optional<ErrorReport>& failure, int tag,
                  const std::function<std::string()>& mine,
                  const std::function<void(int, const std::string&)>& take);

}  // namespace xm::mpi
