#pragma once
// Exceptions and OpenMP: an exception that leaves an OpenMP region terminates the process — for
// the HTTP service, every client's request with it. Work inside a region runs through capture();
// the first exception is rethrown on the calling thread once the region has ended.

#include <exception>
#include <mutex>

namespace xm {

class ParallelErrors {
 public:
  template <typename F>
  void capture(F&& work) noexcept {
    try {
      work();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!first_) first_ = std::current_exception();
    }
  }
  void rethrow() const {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr first_;
};

}  // namespace xm
