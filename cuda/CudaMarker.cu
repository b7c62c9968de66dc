// The clearing simulation's per-step work on the device (host/engine/Marking.h): the book uploaded
// once; per step, the states' prices, implied-vol multipliers and times up; every instrument
// revalued (a thread per instrument and state, markingUnitValue) and every account marked (a
// thread per account and state, markedEquity) — the host's functions in the same order, without
// fused multiply-adds (CMakeLists.txt), so they agree with the CPU's to the few ulp by which CUDA's
// exp and erfc differ from the host's, as the margin run's revaluation does — and the unit values
// and equities down.
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
    revalueKernel(const MarkingInstrument* __restrict__ instruments, int nInstruments, int assets,
                  int states, double rate, const double* __restrict__ prices,
                  const double* __restrict__ ivMult, const double* __restrict__ elapsed,
                  double* __restrict__ units) {
  const int k = blockIdx.x * blockDim.x + threadIdx.x;
  const int s = blockIdx.y;
  if (k >= nInstruments || s >= states) return;
  const MarkingInstrument ins = instruments[k];
  const int64_t a = static_cast<int64_t>(s) * assets + ins.underlying;
  units[static_cast<int64_t>(s) * nInstruments + k] =
      markingUnitValue(ins, rate, prices[a], ivMult[a], elapsed[s]);
}

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
  if (!h.empty())
    XM_CUDA_CHECK(cudaMemcpy(d.data(), h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
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
    upload(instruments_, book.instrument);
  }

  void mark(int states, const double* prices, const double* ivMult, const double* elapsed,
            double* units, double* equity) override {
    if (states <= 0) return;
    const size_t nUnits = static_cast<size_t>(states) * book_.instruments;
    const size_t nPrices = static_cast<size_t>(states) * book_.assets;
    const size_t nEquity = static_cast<size_t>(states) * book_.accounts;
    units_.reserve(nUnits);
    prices_.reserve(nPrices);
    ivMult_.reserve(nPrices);
    elapsed_.reserve(states);
    equity_.reserve(nEquity);
    XM_CUDA_CHECK(
        cudaMemcpy(prices_.data(), prices, nPrices * sizeof(double), cudaMemcpyHostToDevice));
    XM_CUDA_CHECK(
        cudaMemcpy(ivMult_.data(), ivMult, nPrices * sizeof(double), cudaMemcpyHostToDevice));
    XM_CUDA_CHECK(
        cudaMemcpy(elapsed_.data(), elapsed, states * sizeof(double), cudaMemcpyHostToDevice));
    if (nUnits) {
      const dim3 grid(static_cast<unsigned>((book_.instruments + kMarkThreads - 1) / kMarkThreads),
                      static_cast<unsigned>(states));
      revalueKernel<<<grid, kMarkThreads>>>(instruments_.data(), book_.instruments, book_.assets,
                                            states, book_.rate, prices_.data(), ivMult_.data(),
                                            elapsed_.data(), units_.data());
      XM_CUDA_CHECK_LAUNCH();
    }
    if (nEquity) {
      const MarkingView view{
          legBegin_.data(), legInstrument_.data(), legQty_.data(),    b_.data(),
          a_.data(),        collBegin_.data(),     collAsset_.data(), collAmount_.data()};
      const dim3 grid(static_cast<unsigned>((book_.accounts + kMarkThreads - 1) / kMarkThreads),
                      static_cast<unsigned>(states));
      markKernel<<<grid, kMarkThreads>>>(view, book_.accounts, book_.instruments, book_.assets,
                                         states, units_.data(), prices_.data(), equity_.data());
      XM_CUDA_CHECK_LAUNCH();
    }
    if (nUnits)
      XM_CUDA_CHECK(
          cudaMemcpy(units, units_.data(), nUnits * sizeof(double), cudaMemcpyDeviceToHost));
    if (nEquity)
      XM_CUDA_CHECK(
          cudaMemcpy(equity, equity_.data(), nEquity * sizeof(double), cudaMemcpyDeviceToHost));
  }

 private:
  const MarkingBook& book_;
  DeviceBuffer<int64_t> legBegin_, collBegin_;
  DeviceBuffer<int> legInstrument_, collAsset_;
  DeviceBuffer<double> legQty_, b_, a_, collAmount_, units_, prices_, ivMult_, elapsed_, equity_;
  DeviceBuffer<MarkingInstrument> instruments_;
};

}  // namespace
}  // namespace cuda

std::unique_ptr<AccountMarker> makeCudaMarker(const MarkingBook& book) {
  const CudaStatus s = cudaStatus();
  if (!s.usable()) throw BackendError(s.reason);
  return std::make_unique<cuda::CudaMarker>(book);
}

}  // namespace xm
