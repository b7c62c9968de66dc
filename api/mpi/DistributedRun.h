#pragma once
// `mpirun -n N xmargin run REQUEST`: the accounts divided among the job's ranks, the response
// identical to one process's, byte for byte, but for run.elapsed_ms and run.stages_ms (README,
// "Scale-out").
//
//   every rank   the same request (rank 0 read it and broadcast its text; each parsed it), the
//                same scenarios and P&L cube (replicated: each rank's backend prepares them),
//                its own contiguous range of accounts, balanced by legs
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

// The first account of each rank's range, and accounts.size() last (ranks + 1 entries): contiguous
// ranges whose legs (positions and collateral, at least 1 an account) are as even as can be.
std::vector<int64_t> rangesByLegs(const std::vector<Account>& accounts, int ranks);

// Writes the whole response on rank 0 through `commit` (the CLI's writeOutput: --out atomically,
// or standard output); the other ranks only compute and send. Throws as agree() does when a rank
// failed before the gather; a failure during the gather aborts the job after printing it.
void runMarginDistributed(
    const Job& job, const MarginRequest& request, const EngineOptions& options, int indent,
    const std::function<void(const std::function<void(std::ostream&)>&)>& commit);

}  // namespace xm::mpi
