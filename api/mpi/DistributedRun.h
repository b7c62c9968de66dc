#pragma once
// `mpirun -n N xmargin run REQUEST`: the accounts divided among the job's ranks, the response
// identical to one process's, byte for byte, but for run.elapsed_ms and run.stages_ms (README,
// "Scale-out"). Memory per rank holds the market, the cube and one batch of accounts, never the
// request's accounts or anyone's results:
//
//   text         rank 0 streams the request file to every other rank (64 MiB broadcasts); it
//                never holds the whole text itself (it parses the file in 1 MiB pieces)
//   plan         every rank parses the text once for the definition (market, instruments,
//                config), each account's legs and the duplicate-id check; the contiguous ranges
//                balanced by legs follow
//   prepare      each rank prepares every instrument's rows (RowSet::All: a row's values depend
//                on its instrument and the scenarios alone, so every figure is the whole
//                request's) on its own backend: the scenarios and the cube are replicated
//   stream       each rank parses the text again, margins its own accounts in batches as they
//                come, and writes them to a shard on local disk — JSON with the separators they
//                have in the whole response, and their totals entries
//   agreement    one collective: a rank that failed (bad input, out of memory, a device error)
//                fails the job with its error envelope, printed by rank 0; nothing is written
//   gather       rank 0 writes the opening, then each rank's shard in rank order as it streams
//                in (4 MiB messages), adds every account's totals entry in request order (the
//                same additions as one process: the same bits) and writes run and totals

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "api/mpi/Job.h"
#include "host/margin/MarginEngine.h"
#include "host/model/MarginConfig.h"
#include "host/model/MarginRequest.h"

namespace xm::mpi {

// The first account of each rank's range, and legs.size() last (ranks + 1 entries): contiguous
// ranges, each boundary the one nearest its share of all the legs (positions and collateral, at
// least 1 an account).
std::vector<int64_t> rangesByLegs(const std::vector<int32_t>& legs, int ranks);

// Runs the request at `path` (read by rank 0) on every rank; `complete` finishes the parsed
// definition on each (market files, overrides). Rank 0 writes the whole response through
// `commit` (the CLI's writeOutput: --out atomically, or standard output). Failures before the
// gather are agreed (agree()); one during the gather aborts the job after printing it.
void runMarginDistributed(
    const Job& job, const std::string& path, const Limits& limits, const EngineOptions& options,
    int indent, const std::function<void(MarginRequest&)>& complete,
    const std::function<void(const std::function<void(std::ostream&)>&)>& commit);

}  // namespace xm::mpi
