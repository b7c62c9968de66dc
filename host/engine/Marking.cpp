#include "host/engine/Marking.h"

namespace xm {
namespace {

class CpuMarker final : public AccountMarker {
 public:
  explicit CpuMarker(const MarkingBook& book) : book_(book) {}
  bool onHost() const override { return true; }
  void mark(int states, const double* prices, const double* ivMult, const double* elapsed,
            double* units, double* equity) override {
    const MarkingView v = viewOf(book_);
    const int64_t n = book_.accounts, nI = book_.instruments, nA = book_.assets;
#pragma omp parallel for schedule(static) collapse(2)
    for (int s = 0; s < states; ++s) {
      for (int64_t k = 0; k < nI; ++k) {
        const MarkingInstrument& ins = book_.instrument[k];
        units[s * nI + k] = markingUnitValue(ins, book_.rate, prices[s * nA + ins.underlying],
                                             ivMult[s * nA + ins.underlying], elapsed[s]);
      }
    }
#pragma omp parallel for schedule(static) collapse(2)
    for (int s = 0; s < states; ++s) {
      for (int64_t i = 0; i < n; ++i) {
        equity[s * n + i] = markedEquity(v, i, units + static_cast<int64_t>(s) * book_.instruments,
                                         prices + static_cast<int64_t>(s) * book_.assets);
      }
    }
  }

 private:
  const MarkingBook& book_;
};

}  // namespace

std::unique_ptr<AccountMarker> makeCpuMarker(const MarkingBook& book) {
  return std::make_unique<CpuMarker>(book);
}

}  // namespace xm
