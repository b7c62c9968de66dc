#include "api/mpi/DistributedRun.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/json/Json.h"
#include "api/json/ResponseWriter.h"

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

// A failure past the agreement: other ranks wait in a send or a receive, so the job is ended.
[[noreturn]] void abortWithReport(const Job& job) {
  const ErrorReport r = reportCurrentException();
  std::cerr << toText(errorToJson(r)) << "\n" << std::flush;
  job.abort(errorKindInfo(r.kind).exitStatus);
}

}  // namespace

std::vector<int64_t> rangesByLegs(const std::vector<Account>& accounts, int ranks) {
  const int64_t n = static_cast<int64_t>(accounts.size());
  std::vector<int64_t> cumulative(n + 1, 0);
  for (int64_t i = 0; i < n; ++i) {
    const Account& a = accounts[i];
    const auto legs = static_cast<int64_t>(a.positions.size() + a.collateral.size());
    cumulative[i + 1] = cumulative[i] + std::max<int64_t>(1, legs);
  }
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

void runMarginDistributed(
    const Job& job, const MarginRequest& request, const EngineOptions& options, int indent,
    const std::function<void(const std::function<void(std::ostream&)>&)>& commit) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<int64_t> ranges = rangesByLegs(request.accounts, job.size());
  const int64_t first = ranges[job.rank()], last = ranges[job.rank() + 1];
  ShardFile shard(job.rank());
  std::vector<TotalsEntry> entries;
  RunSummary summary;
  std::optional<ErrorReport> failure;
  try {
    const PreparedMarket prepared(request, RowSet::Held, options);
    const std::vector<Account> mine(request.accounts.begin() + first,
                                    request.accounts.begin() + last);
    std::ofstream out(shard.path(), std::ios::binary | std::ios::trunc);
    if (!out)
      throw InputError("", "cannot write the shard " + shard.path().string(), ErrorKind::IoError);
    StreamingResponseWriter writer(request, out, indent, StreamingResponseWriter::Shard{first});
    ShardSink sink(writer, entries);
    summary = prepared.run(mine, options, sink);
    summary.run.compileMs = prepared.preparation().compileMs;
    summary.run.prepareMs = prepared.preparation().prepareMs;
    out.close();
    if (!out)
      throw InputError("", "cannot write the shard " + shard.path().string(), ErrorKind::IoError);
  } catch (...) {
    failure = reportCurrentException();
  }
  agree(job, failure);

  if (job.rank() != 0) {
    try {
      readChunks(shard.path(), [&](std::string& piece) { job.send(0, piece, kTagText); });
      job.send(0, std::string(), kTagText);  // the end of the shard
      job.send(0, bytesOf(entries), kTagTotals);
    } catch (...) {
      abortWithReport(job);
    }
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
      summary.run.elapsedMs =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      writeResponseClosing(out, summary, indent);
    });
  } catch (...) {
    abortWithReport(job);
  }
}

}  // namespace xm::mpi
