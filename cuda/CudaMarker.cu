// The clearing simulation's per-step marking on the device (host/engine/Marking.h): the book
// uploaded once; per call, the states' unit values and prices up, every account's equity in every
// state down. One thread per (account, state), computing markedEquity — the host's function —
// so the figures are the CPU marker's bit for bit (the same operations in the same order; no
// fused multiply-add, see CMakeLists.txt).
#include <algorithm>
#include <vector>

#include "cuda/CudaBackend.h"
#include "cuda/CudaCheck.cuh"
#include "cuda/CudaResources.cuh"
#include "host/engine/Marking.h"

namespace xm {
namespace cuda {
namespace {

constexpr int kMarkThreads = 256;

__global__ void __launch_bounds__(kMarkThreads)
    markKernel(MarkingView book, int64_t accounts, int instruments, int assets, int states,
               const double* __restrict__ units, const double* __restrict__ prices,
               double* __restrict__ equity) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int s = blockIdx.y;
  if (i >= accounts || s >= states) return;
  equity[s * accounts + i] = markedEquity(book, i, units + static_cast<int64_t>(s) * instruments,
                                          prices + static_cast<int64_t>(s) * assets);
}

template <typename T>
void upload(DeviceBuffer<T>& d, const std::vector<T>& h) {
  d.reserve(h.size());
  if (!h.empty()) XM_CUDA_CHECK(cudaMemcpy(d.data(), h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
}

class CudaMarker final : public AccountMarker {
 public:
  explicit CudaMarker(const MarkingBook& book) : book_(book) {
    upload(legBegin_, book.legBegin);
    upload(legInstrument_, book.legInstrument);
    upload(legQty_, book.legQty);
    upload(b_, book.bPerQty);
    upload(a_, book.aPerQty);
    upload(collBegin_, book.collBegin);
    upload(collAsset_, book.collAsset);
    upload(collAmount_, book.collAmount);
  }

  void mark(int states, const double* units, const double* prices, double* equity) override {
    if (states <= 0 || book_.accounts == 0) return;
    const size_t nUnits = static_cast<size_t>(states) * book_.instruments;
    const size_t nPrices = static_cast<size_t>(states) * book_.assets;
    const size_t nEquity = static_cast<size_t>(states) * book_.accounts;
    units_.reserve(nUnits);
    prices_.reserve(nPrices);
    equity_.reserve(nEquity);
    if (nUnits) XM_CUDA_CHECK(cudaMemcpy(units_.data(), units, nUnits * sizeof(double), cudaMemcpyHostToDevice));
    XM_CUDA_CHECK(cudaMemcpy(prices_.data(), prices, nPrices * sizeof(double), cudaMemcpyHostToDevice));
    const MarkingView view{legBegin_.data(), legInstrument_.data(), legQty_.data(), b_.data(),
                           a_.data(),        collBegin_.data(),     collAsset_.data(), collAmount_.data()};
    const dim3 grid(static_cast<unsigned>((book_.accounts + kMarkThreads - 1) / kMarkThreads),
                    static_cast<unsigned>(states));
    markKernel<<<grid, kMarkThreads>>>(view, book_.accounts, book_.instruments, book_.assets, states,
                                       units_.data(), prices_.data(), equity_.data());
    XM_CUDA_CHECK_LAUNCH();
    XM_CUDA_CHECK(cudaMemcpy(equity, equity_.data(), nEquity * sizeof(double), cudaMemcpyDeviceToHost));
  }

 private:
  const MarkingBook& book_;
  DeviceBuffer<int64_t> legBegin_, collBegin_;
  DeviceBuffer<int> legInstrument_, collAsset_;
  DeviceBuffer<double> legQty_, b_, a_, collAmount_, units_, prices_, equity_;
};

}  // namespace
}  // namespace cuda

std::unique_ptr<AccountMarker> makeCudaMarker(const MarkingBook& book) {
  const CudaStatus s = cudaStatus();
  if (!s.usable()) throw BackendError(s.reason);
  return std::make_unique<cuda::CudaMarker>(book);
}

}  // namespace xm
