#include "host/engine/Marking.h"

namespace xm {
namespace {

class CpuMarker final : public AccountMarker {
 public:
  explicit CpuMarker(const MarkingBook& book) : book_(book) {}
  bool onHost() const override { return true; }
  void mark(int states, const double* units, const double* prices, double* equity) override {
    const MarkingView v = viewOf(book_);
    const int64_t n = book_.accounts;
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
