#pragma once
// Plain data to bytes and back, for the messages between ranks (all ranks of a job run the same
// binary on the same architecture: values travel as their bytes).

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "host/model/Errors.h"

namespace xm::mpi {

class ByteWriter {
 public:
  template <typename T>
  void put(const T& value) {
    out_.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  // The count, then the elements.
  template <typename T>
  void putAll(const std::vector<T>& v) {
    put(static_cast<uint64_t>(v.size()));
    out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(const std::string& bytes) : bytes_(bytes) {}
  template <typename T>
  void get(T& value) {
    read(&value, sizeof value);
  }
  template <typename T>
  void getAll(std::vector<T>& v) {
    uint64_t n = 0;
    get(n);
    XM_ASSERT(n <= (bytes_.size() - at_) / sizeof(T), "a torn message between ranks");
    v.resize(n);
    read(v.data(), n * sizeof(T));
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  void read(void* data, size_t n) {
    XM_ASSERT(at_ + n <= bytes_.size(), "a torn message between ranks");
    std::memcpy(data, bytes_.data() + at_, n);
    at_ += n;
  }
  const std::string& bytes_;
  size_t at_ = 0;
};

}  // namespace xm::mpi
