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

// The shard's totals entries, in order, beside the writer's text.
class ShardSink final : public ResultSink {
 public:
  ShardSink(StreamingResponseWriter& writer, std::vector<TotalsEntry>& entries)
      : writer_(writer), entries_(entries) {}
  void accounts(int64_t first, const std::vector<AccountResult>& results) override {
    writer_.accounts(first, results);
    for (const AccountResult& r : results) entries_.push_back(totalsEntry(r));
  }

 private:
  StreamingResponseWriter& writer_;
  std::vector<TotalsEntry>& entries_;
};

// A rank's shard text on local disk, removed with it.
class ShardFile {
 public:
  explicit ShardFile(int rank)
      : path_(std::filesystem::temp_directory_path() /
              ("xmargin-shard-" + std::to_string(::getpid()) + "-" + std::to_string(rank))) {}
  ~ShardFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Calls take(chunk) for the file's bytes, kMessage at a time.
void readChunks(const std::filesystem::path& path, const std::function<void(std::string&)>& take) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("", "cannot read the shard " + path.string(), ErrorKind::IoError);
  std::string chunk(kMessage, '\0');
  for (;;) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    std::string piece(chunk.data(), static_cast<size_t>(got));
    take(piece);
  }
  if (in.bad()) throw InputError("", "cannot read the shard " + path.string(), ErrorKind::IoError);
}

std::string bytesOf(const std::vector<TotalsEntry>& entries) {
  return std::string(reinterpret_cast<const char*>(entries.data()),
                     entries.size() * sizeof(TotalsEntry));
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

}  // namespace

std::vector<int64_t> rangesByLegs(const std::vector<int32_t>& legs, int ranks) {
  const int64_t n = static_cast<int64_t>(legs.size());
  std::vector<int64_t> cumulative(n + 1, 0);
  for (int64_t i = 0; i < n; ++i) cumulative[i + 1] = cumulative[i] + std::max<int64_t>(1, legs[i]);
  std::vector<int64_t> first(ranks + 1, n);
  first[0] = 0;
  int64_t at = 0;
  for (int r = 1; r < ranks; ++r) {
    // The first account whose legs begin at or past r/ranks of them all.
    const int64_t target = cumulative[n] * r / ranks;
    while (at < n && cumulative[at] < target) ++at;
    first[r] = at;
  }
  return first;
}

Share readShare(const Job& job, const std::string& path, const Limits& limits) {
  // Rank 0 parses from its mapping of the file (not copied); the others from the broadcast.
  std::unique_ptr<InputText> input;
  std::optional<ErrorReport> failure;
  try {
    if (job.rank() == 0) input = std::make_unique<InputText>(path, "request");
  } catch (...) {
    failure = reportCurrentException();
  }
  agree(job, failure);
  std::string received;
  const std::string_view text = job.broadcastView(input ? input->text() : "", received);
  Share share;
  try {
    std::vector<int32_t> legs;
    RequestOptions count;
    count.keepLast = 0;  // no account kept: their legs and ids only
    count.legCounts = &legs;
    parseRequestText(text, limits, count);
    const std::vector<int64_t> ranges = rangesByLegs(legs, job.size());
    RequestOptions mine;
    mine.keepFirst = share.first = ranges[job.rank()];
    mine.keepLast = ranges[job.rank() + 1];
    share.request = parseRequestText(text, limits, mine).request;
  } catch (...) {
    failure = reportCurrentException();
  }
  std::string().swap(received);
  input.reset();
  agree(job, failure);
  return share;
}

void runMarginDistributed(
    const Job& job, const Share& share, const EngineOptions& options, int indent,
    const std::function<void(const std::function<void(std::ostream&)>&)>& commit) {
  const auto start = std::chrono::steady_clock::now();
  const MarginRequest& request = share.request;
  ShardFile shard(job.rank());
  std::vector<TotalsEntry> entries;
  RunSummary summary;
  std::optional<ErrorReport> failure;
  try {
    // Its own accounts decide which rows it revalues: a row's values depend on its instrument
    // and the scenarios alone, so every account's figures are the whole request's.
    const PreparedMarket prepared(request, RowSet::Held, options);
    std::ofstream out(shard.path(), std::ios::binary | std::ios::trunc);
    if (!out)
      throw InputError("", "cannot write the shard " + shard.path().string(), ErrorKind::IoError);
    StreamingResponseWriter writer(request, out, indent,
                                   StreamingResponseWriter::Shard{share.first > 0});
    ShardSink sink(writer, entries);
    summary = prepared.run(request.accounts, options, sink);
    out.close();
    if (!out)
      throw InputError("", "cannot write the shard " + shard.path().string(), ErrorKind::IoError);
  } catch (...) {
    failure = reportCurrentException();
  }
  agree(job, failure);
  const double computed = msSince(start);

  if (job.rank() != 0) {
    try {
      readChunks(shard.path(), [&](std::string& piece) { job.send(0, piece, kTagText); });
      job.send(0, std::string(), kTagText);  // the end of the shard
      job.send(0, bytesOf(entries), kTagTotals);
    } catch (...) {
      abortWithReport(job);
    }
    reportPhases(job, request.accounts.size(), computed, msSince(start));
    return;
  }
  try {
    commit([&](std::ostream& out) {
      MarginTotals totals;
      out << StreamingResponseWriter::opening();
      readChunks(shard.path(), [&](std::string& piece) { out << piece; });
      addEntries(bytesOf(entries), totals);
      for (int r = 1; r < job.size(); ++r) {
        for (std::string piece = job.receive(r, kTagText); !piece.empty();
             piece = job.receive(r, kTagText))
          out << piece;
        addEntries(job.receive(r, kTagTotals), totals);
      }
      summary.totals = totals;
      summary.run.elapsedMs = msSince(start);
      writeResponseClosing(out, summary, indent);
    });
  } catch (...) {
    abortWithReport(job);
  }
  reportPhases(job, request.accounts.size(), computed, msSince(start));
}

}  // namespace xm::mpi
