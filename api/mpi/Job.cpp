#include "api/mpi/Job.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifdef XM_HAVE_MPI
#include <mpi.h>
#endif

namespace xm::mpi {
namespace {

const Job* currentJob = nullptr;

#ifdef XM_HAVE_MPI
// Launched by an MPI launcher: Open MPI's mpirun, or a PMI/PMIx launcher such as srun.
bool launchedByMpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

// MPI counts are int: a buffer of n bytes goes in pieces of at most 1 GiB, f(offset, count).
template <typename F>
void forPieces(int64_t n, F f) {
  constexpr int64_t kPiece = int64_t{1} << 30;
  for (int64_t at = 0; at < n; at += kPiece) f(at, static_cast<int>(std::min(kPiece, n - at)));
}
#endif

}  // namespace

Job::Job(int* argc, char*** argv) {
  currentJob = this;
  (void)argc;
  (void)argv;
#ifdef XM_HAVE_MPI
  if (!launchedByMpi()) return;
  int provided = 0;
  // Only the main thread calls MPI; OpenMP threads compute between calls.
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  initialised_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &localRank_);
  MPI_Comm_free(&node);
#endif
}

Job::~Job() {
#ifdef XM_HAVE_MPI
  if (initialised_) MPI_Finalize();
#endif
  currentJob = nullptr;
}

const Job& Job::current() {
  XM_ASSERT(currentJob != nullptr, "no MPI job object");
  return *currentJob;
}

void Job::broadcast(std::string& bytes, int root) const {
  if (size_ == 1) return;
#ifdef XM_HAVE_MPI
  int64_t n = static_cast<int64_t>(bytes.size());
  MPI_Bcast(&n, 1, MPI_INT64_T, root, MPI_COMM_WORLD);
  bytes.resize(static_cast<size_t>(n));
  forPieces(n, [&](int64_t at, int count) {
    MPI_Bcast(bytes.data() + at, count, MPI_CHAR, root, MPI_COMM_WORLD);
  });
#else
  (void)bytes;
  (void)root;
#endif
}

std::string_view Job::broadcastView(std::string_view text, std::string& out) const {
  if (size_ == 1) return text;
#ifdef XM_HAVE_MPI
  int64_t n = static_cast<int64_t>(text.size());
  MPI_Bcast(&n, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  if (rank_ != 0) out.resize(static_cast<size_t>(n));
  char* data = rank_ == 0 ? const_cast<char*>(text.data()) : out.data();  // read-only at root
  forPieces(
      n, [&](int64_t at, int count) { MPI_Bcast(data + at, count, MPI_CHAR, 0, MPI_COMM_WORLD); });
  return rank_ == 0 ? text : std::string_view(out);
#else
  (void)out;
  return text;
#endif
}

void Job::send(int to, const std::string& bytes, int tag) const {
#ifdef XM_HAVE_MPI
  const int64_t n = static_cast<int64_t>(bytes.size());
  MPI_Send(&n, 1, MPI_INT64_T, to, tag, MPI_COMM_WORLD);
  forPieces(n, [&](int64_t at, int count) {
    MPI_Send(bytes.data() + at, count, MPI_CHAR, to, tag, MPI_COMM_WORLD);
  });
#else
  (void)to;
  (void)bytes;
  (void)tag;
  XM_ASSERT(false, "send in a job of one rank");
#endif
}

std::string Job::receive(int from, int tag) const {
  std::string bytes;
#ifdef XM_HAVE_MPI
  int64_t n = 0;
  MPI_Recv(&n, 1, MPI_INT64_T, from, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  bytes.resize(static_cast<size_t>(n));
  forPieces(n, [&](int64_t at, int count) {
    MPI_Recv(bytes.data() + at, count, MPI_CHAR, from, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  });
#else
  (void)from;
  (void)tag;
  XM_ASSERT(false, "receive in a job of one rank");
#endif
  return bytes;
}

int Job::minimum(int value) const {
  if (size_ == 1) return value;
#ifdef XM_HAVE_MPI
  int out = value;
  MPI_Allreduce(&value, &out, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return out;
#else
  return value;
#endif
}

void Job::barrier() const {
#ifdef XM_HAVE_MPI
  if (size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

void Job::abort(int status) const {
#ifdef XM_HAVE_MPI
  if (initialised_) MPI_Abort(MPI_COMM_WORLD, status);
#endif
  std::_Exit(status);
}

void selectGpuOfRank(const Job& job) {
  if (!job.distributed()) return;
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  std::vector<std::string> devices;
  if (visible) {
    std::string list(visible);
    for (size_t begin = 0; begin <= list.size();) {
      const size_t comma = std::min(list.find(',', begin), list.size());
      if (comma > begin) devices.push_back(list.substr(begin, comma - begin));
      begin = comma + 1;
    }
    if (devices.size() <= 1) return;  // one device (or none) already: the launcher's choice
  }
  const std::string mine = devices.empty()
                               ? std::to_string(job.localRank())
                               : devices[static_cast<size_t>(job.localRank()) % devices.size()];
  ::setenv("CUDA_VISIBLE_DEVICES", mine.c_str(), 1);
}

void agree(const Job& job, const std::optional<ErrorReport>& mine) {
  if (!job.distributed()) {
    if (mine) throw InputError(mine->path, mine->message, mine->kind);
    return;
  }
  const int failing = job.minimum(mine ? job.rank() : job.size());
  if (failing == job.size()) return;
  // The failing rank's report, to every rank: kind, then path and message.
  std::string bytes;
  if (job.rank() == failing) {
    const int32_t kind = static_cast<int32_t>(mine->kind);
    const uint64_t pathSize = mine->path.size();
    bytes.append(reinterpret_cast<const char*>(&kind), sizeof kind);
    bytes.append(reinterpret_cast<const char*>(&pathSize), sizeof pathSize);
    bytes += mine->path;
    bytes += mine->message;
  }
  job.broadcast(bytes, failing);
  int32_t kind = 0;
  uint64_t pathSize = 0;
  std::memcpy(&kind, bytes.data(), sizeof kind);
  std::memcpy(&pathSize, bytes.data() + sizeof kind, sizeof pathSize);
  const size_t head = sizeof kind + sizeof pathSize;
  const auto k = static_cast<ErrorKind>(kind);
  if (job.rank() != 0) throw QuietExit(errorKindInfo(k).exitStatus);
  std::string message = bytes.substr(head + pathSize);
  if (failing != 0) message += " (rank " + std::to_string(failing) + ")";
  throw InputError(bytes.substr(head, pathSize), message, k);
}

void gatherOnRoot(const Job& job, const std::optional<ErrorReport>& failure, int tag,
                  const std::function<std::string()>& mine,
                  const std::function<void(int, const std::string&)>& take) {
  agree(job, failure);
  if (job.rank() != 0) {
    job.send(0, mine(), tag);
    return;
  }
  for (int r = 1; r < job.size(); ++r) take(r, job.receive(r, tag));
}

}  // namespace xm::mpi
