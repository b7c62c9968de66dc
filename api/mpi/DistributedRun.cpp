#include "api/mpi/DistributedRun.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "api/json/Json.h"
#include "api/json/RequestParser.h"
#include "api/json/ResponseWriter.h"
#include "host/base/Files.h"

namespace xm::mpi {
namespace {

constexpr int kTagText = 1, kTagTotals = 2;
constexpr size_t kMessage = size_t{4} << 20;
// Whole totals entries per message (about 4 MiB).
constexpr size_t kTotalsMessage = kMessage / sizeof(TotalsEntry) * sizeof(TotalsEntry);

// A batch's accounts as the shard's JSON (the response writer's, with the separators they have
// in the whole response) and their totals entries, appended to the shard's two files.
class ShardSink final : public ResultSink {
 public:
  ShardSink(const MarginRequest& catalog, std::ostream& text, std::ostream& totals, int indent,
            bool follows)
      : writer_(catalog, text, indent, StreamingResponseWriter::Shard{follows}), totals_(totals) {}
  void batch(const std::vector<Account>& accounts) { writer_.batch(accounts); }
  void drain() { writer_.drain(); }
  void accounts(int64_t first, const std::vector<AccountResult>& results) override {
    writer_.accounts(first, results);
    for (const AccountResult& r : results) {
      const TotalsEntry e = totalsEntry(r);
      totals_.write(reinterpret_cast<const char*>(&e), sizeof e);
    }
  }

 private:
  StreamingResponseWriter writer_;
  std::ostream& totals_;
};

// A rank's shard text on local disk, removed with it.
class ShardFile {
 public:
  ShardFile(int rank, const char* what)
      : path_(std::filesystem::temp_directory_path() /
              ("xmargin-" + std::string(what) + "-" + std::to_string(::getpid()) + "-" +
               std::to_string(rank))) {}
  ~ShardFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Calls take(chunk) for the file's bytes, `piece` at a time.
void readChunks(const std::filesystem::path& path, const std::function<void(std::string&)>& take,
                size_t piece = kMessage) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("", "cannot read the shard " + path.string(), ErrorKind::IoError);
  std::string chunk(piece, '\0');
  for (;;) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    std::string piece(chunk.data(), static_cast<size_t>(got));
    take(piece);
  }
  if (in.bad()) throw InputError("", "cannot read the shard " + path.string(), ErrorKind::IoError);
}

void addEntries(const std::string& bytes, MarginTotals& totals) {
  XM_ASSERT(bytes.size() % sizeof(TotalsEntry) == 0, "a torn totals message");
  TotalsEntry e;
  for (size_t at = 0; at < bytes.size(); at += sizeof e) {
    std::memcpy(&e, bytes.data() + at, sizeof e);
    totals.add(e);
  }
}

double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// With XM_MPI_TIMING set, each rank's phases on standard error (bench/RESULTS.md, "Scale-out"):
// the response itself stays the one process's.
void reportPhases(const Job& job, size_t accounts, double computedMs, double totalMs) {
  if (!std::getenv("XM_MPI_TIMING")) return;
  std::cerr << "xmargin rank " << job.rank() << "/" << job.size() << ": " << accounts
            << " accounts, compute " << computedMs << " ms, gather " << totalMs - computedMs
            << " ms\n";
}

// A failure past the agreement: other ranks wait in a send or a receive, so the job is ended.
[[noreturn]] void abortWithReport(const Job& job) {
  const ErrorReport r = reportCurrentException();
  std::cerr << toText(errorToJson(r)) << "\n" << std::flush;
  job.abort(errorKindInfo(r.kind).exitStatus);
}

// Rank 0's file, in 64 MiB broadcasts, appended to `text` on the other ranks.
void broadcastFile(const Job& job, const std::string& path, std::string& text) {
  std::unique_ptr<std::ifstream> in;
  std::optional<ErrorReport> failure;
  int64_t size = 0;
  try {
    if (path == "-")
      throw InputError("", "under mpirun the request must be a file, not standard input",
                       ErrorKind::Usage);
    if (job.rank() == 0) {
      const InputText check(path, "request");  // the CLI's checks and messages for the path
      size = static_cast<int64_t>(check.text().size());
      in = std::make_unique<std::ifstream>(path, std::ios::binary);
      if (!*in) throw InputError("", "cannot open " + path, ErrorKind::IoError);
    }
  } catch (...) {
    failure = reportCurrentException();
  }
  agree(job, failure);
  std::string piece = std::to_string(size);
  job.broadcast(piece);
  size = std::stoll(piece);
  if (job.rank() != 0) text.reserve(static_cast<size_t>(size));
  constexpr int64_t kPiece = int64_t{64} << 20;
  for (int64_t at = 0; at < size; at += kPiece) {
    const auto n = static_cast<size_t>(std::min(kPiece, size - at));
    if (job.rank() == 0) {
      piece.resize(n);
      in->read(piece.data(), static_cast<std::streamsize>(n));
      if (static_cast<size_t>(in->gcount()) != n) piece.assign(n, ' ');  // the parse will say
    }
    job.broadcast(piece);
    if (job.rank() != 0) text += piece;
  }
}

}  // namespace

std::vector<int64_t> rangesByLegs(const std::vector<int32_t>& legs, int ranks) {
  const int64_t n = static_cast<int64_t>(legs.size());
  std::vector<int64_t> cumulative(n + 1, 0);
  for (int64_t i = 0; i < n; ++i) cumulative[i + 1] = cumulative[i] + std::max<int64_t>(1, legs[i]);
  std::vector<int64_t> first(ranks + 1, n);
  first[0] = 0;
  int64_t at = 0;
  for (int r = 1; r < ranks; ++r) {
    // The boundary nearest r/ranks of all the legs (the earlier one on a tie), never before the
    // previous rank's.
    const int64_t target = cumulative[n] * r / ranks;
    const int64_t floor = at;
    while (at < n && cumulative[at] < target) ++at;
    if (at > floor && target - cumulative[at - 1] <= cumulative[at] - target) --at;
    first[r] = at;
  }
  return first;
}

void runMarginDistributed(
    const Job& job, const std::string& path, const Limits& limits, const EngineOptions& options,
    int indent, const std::function<void(MarginRequest&)>& complete,
    const std::function<void(const std::function<void(std::ostream&)>&)>& commit) {
  const auto start = std::chrono::steady_clock::now();
  std::string text;  // ranks other than 0: the request's text
  broadcastFile(job, path, text);
  auto parse = [&](const RequestOptions& how) {
    return job.rank() == 0 ? parseRequestFile(path, limits, how)
                           : parseRequestText(text, limits, how);
  };

  ShardFile shard(job.rank(), "shard"), totalsFile(job.rank(), "totals");
  RunSummary summary;
  std::optional<ErrorReport> failure;
  int64_t mine = 0;
  try {
    // The plan: the definition, every account's legs (and the duplicate-id check).
    std::vector<int32_t> legs;
    RequestOptions plan;
    plan.keepLast = 0;
    plan.legCounts = &legs;
    MarginRequest definition = parse(plan).request;
    complete(definition);
    const std::vector<int64_t> ranges = rangesByLegs(legs, job.size());
    std::vector<int32_t>().swap(legs);

    const PreparedMarket prepared(definition, RowSet::All, options);
    std::ofstream out(shard.path(), std::ios::binary | std::ios::trunc);
    std::ofstream totals(totalsFile.path(), std::ios::binary | std::ios::trunc);
    if (!out || !totals)
      throw InputError("", "cannot write the shard " + shard.path().string(), ErrorKind::IoError);
    ShardSink sink(definition, out, totals, indent, ranges[job.rank()] > 0);
    const int64_t batchSize = options.batchAccounts > 0 ? options.batchAccounts : 8192;
    std::vector<Account> batch;
    summary.run = prepared.preparation();
    auto flush = [&] {
      if (batch.empty()) return;
      sink.batch(batch);
      const RunSummary part = prepared.run(batch, options, sink);
      summary.run.riskMs += part.run.riskMs;
      summary.run.marginMs += part.run.marginMs;
      mine += static_cast<int64_t>(batch.size());
      batch.clear();
    };
    RequestOptions stream;
    stream.keepFirst = ranges[job.rank()];
    stream.keepLast = ranges[job.rank() + 1];
    stream.accountSink = [&](Account&& account) {
      batch.push_back(std::move(account));
      if (static_cast<int64_t>(batch.size()) >= batchSize) flush();
    };
    parse(stream);
    flush();
    sink.drain();
    out.close();
    totals.close();
    if (!out || !totals)
      throw InputError("", "cannot write the shard " + shard.path().string(), ErrorKind::IoError);
  } catch (...) {
    failure = reportCurrentException();
  }
  std::string().swap(text);
  agree(job, failure);
  const double computed = msSince(start);

  if (job.rank() != 0) {
    try {
      readChunks(shard.path(), [&](std::string& piece) { job.send(0, piece, kTagText); });
      job.send(0, std::string(), kTagText);  // the end of the shard
      readChunks(
          totalsFile.path(), [&](std::string& piece) { job.send(0, piece, kTagTotals); },
          kTotalsMessage);
      job.send(0, std::string(), kTagTotals);
    } catch (...) {
      abortWithReport(job);
    }
    reportPhases(job, static_cast<size_t>(mine), computed, msSince(start));
    return;
  }
  try {
    commit([&](std::ostream& out) {
      MarginTotals totals;
      out << StreamingResponseWriter::opening();
      readChunks(shard.path(), [&](std::string& piece) { out << piece; });
      readChunks(
          totalsFile.path(), [&](std::string& piece) { addEntries(piece, totals); },
          kTotalsMessage);
      for (int r = 1; r < job.size(); ++r) {
        for (std::string piece = job.receive(r, kTagText); !piece.empty();
             piece = job.receive(r, kTagText))
          out << piece;
        for (std::string piece = job.receive(r, kTagTotals); !piece.empty();
             piece = job.receive(r, kTagTotals))
          addEntries(piece, totals);
      }
      summary.totals = totals;
      summary.run.elapsedMs = msSince(start);
      writeResponseClosing(out, summary, indent);
    });
  } catch (...) {
    abortWithReport(job);
  }
  reportPhases(job, static_cast<size_t>(mine), computed, msSince(start));
}

}  // namespace xm::mpi
