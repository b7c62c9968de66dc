#pragma once
// `mpirun -n N xmargin run REQUEST`: the accounts divided among the job's ranks, the response
// identical to one process's, byte for byte, but for run.elapsed_ms and run.stages_ms (README,
// "Scale-out").
//
//   every rank   the request's text (rank 0 read it and broadcast it), parsed twice: once for
//                every account's legs (and the duplicate-id check), which fix the contiguous
//                ranges balanced by legs, then keeping only its own range; the same scenarios
//                and P&L cube (replicated: each rank's backend prepares them)
//   each rank    margins its range batch by batch into a shard on local disk: the accounts' JSON
//                with the separators they have in the whole response, and their totals entries
//   agreement    one collective: a rank that failed (bad input, out of memory, a device error)
//                fails the job with its error envelope, printed by rank 0; nothing is written
//   gather       rank 0 writes the opening, then each rank's shard in rank order as it streams
//                in (4 MiB messages), adds every account's totals entry in request order and
//                writes run and totals: no rank ever holds more than its own shard's entries

#include <functional>
#include <ostream>
#include <vector>

#include "api/mpi/Job.h"
#include "host/margin/MarginEngine.h"
#include "host/model/MarginRequest.h"

namespace xm::mpi {

// The first account of each rank's range, and legs.size() last (ranks + 1 entries): contiguous
// ranges whose legs (positions and collateral, at least 1 an account) are as even as can be.
std::vector<int64_t> rangesByLegs(const std::vector<int32_t>& legs, int ranks);

// The request's text on every rank (rank 0 reads `path`), parsed into this rank's share:
// `request` holds its accounts only, the first of them at index `first` of the whole request.
// Failures are agreed (agree()): every rank throws, rank 0 the error to report.
struct Share {
  MarginRequest request;
  int64_t first = 0;
};
Share readShare(const Job& job, const std::string& path, const Limits& limits);

// Writes the whole response on rank 0 through `commit` (the CLI's writeOutput: --out atomically,
// or standard output); the other ranks only compute and send. Throws as agree() does when a rank
// failed before the gather; a failure during the gather aborts the job after printing it.
void runMarginDistributed(
    const Job& job, const Share& share, const EngineOptions& options, int indent,
    const std::function<void(const std::function<void(std::ostream&)>&)>& commit);

}  // namespace xm::mpi
