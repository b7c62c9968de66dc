#include "scenarios/Sobol.h"

#include <stdexcept>

#include "scenarios/Philox.h"

namespace xm {
namespace {

struct JoeKuoRow {
  int degree;      // s
  uint32_t inner;  // a: coefficients a_1 .. a_{s-1} of the primitive polynomial, a_1 highest
  uint32_t m[13];  // initial direction integers m_1 .. m_s
};

constexpr JoeKuoRow kJoeKuo[kSobolDimensions] = {
#include "scenarios/SobolDirections.inc"
};

constexpr uint32_t kSobolStream = 3;  // Philox stream of the scrambling bits (ShockDraws.h: 0-2)

uint64_t randomWord(uint64_t seed, uint32_t what, uint32_t replication, uint32_t dim) {
  const Philox4x32 r =
      philox4x32_10(what, replication, dim, kSobolStream, static_cast<uint32_t>(seed),
                    static_cast<uint32_t>(seed >> 32));
  return (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
}

int parity(uint64_t x) { return __builtin_parityll(x); }

}  // namespace

void sobolDirections(int dim, uint32_t v[kSobolDigits]) {
  if (dim < 0 || dim >= kSobolDimensions) throw std::out_of_range("Sobol dimension");
  if (dim == 0) {  // van der Corput
    for (int b = 0; b < kSobolDigits; ++b) v[b] = 1u << (kSobolDigits - 1 - b);
    return;
  }
  const JoeKuoRow& row = kJoeKuo[dim];
  const int s = row.degree;
  // Bratley & Fox (1988) / Joe & Kuo: v_i = m_i / 2^i, then the polynomial's recurrence
  // v_i = a_1 v_{i-1} ^ ... ^ a_{s-1} v_{i-s+1} ^ v_{i-s} ^ (v_{i-s} >> s).
  for (int i = 0; i < s && i < kSobolDigits; ++i) v[i] = row.m[i] << (kSobolDigits - 1 - i);
  for (int i = s; i < kSobolDigits; ++i) {
    uint32_t x = v[i - s] ^ (v[i - s] >> s);
    for (int k = 1; k < s; ++k) {
      if ((row.inner >> (s - 1 - k)) & 1u) x ^= v[i - k];
    }
    v[i] = x;
  }
}

uint32_t sobolPoint(int dim, uint32_t index) {
  uint32_t v[kSobolDigits];
  sobolDirections(dim, v);
  uint32_t x = 0;
  for (int b = 0; index != 0; ++b, index >>= 1) {
    if (index & 1u) x ^= v[b];
  }
  return x;
}

std::vector<uint64_t> scrambledSobolTable(uint64_t seed, int replications, int dims) {
  if (dims > kSobolDimensions) throw std::out_of_range("Sobol dimensions");
  std::vector<uint64_t> words(static_cast<size_t>(replications) * dims * kSobolWords);
  for (int r = 0; r < replications; ++r) {
    for (int j = 0; j < dims; ++j) {
      uint32_t v[kSobolDigits];
      sobolDirections(j, v);
      // Row d (digit d + 1, bit 63 - d) of the lower-triangular matrix: random over the digits
      // above it, 1 on the diagonal.
      uint64_t rows[64];
      for (int d = 0; d < 64; ++d) {
        const uint64_t above = d == 0 ? 0 : ~(~uint64_t{0} >> d);
        rows[d] = (randomWord(seed, static_cast<uint32_t>(d), static_cast<uint32_t>(r),
                              static_cast<uint32_t>(j)) &
                   above) |
                  (uint64_t{1} << (63 - d));
      }
      uint64_t* out = words.data() + (static_cast<size_t>(r) * dims + j) * kSobolWords;
      for (int b = 0; b < kSobolDigits; ++b) {
        const uint64_t x = static_cast<uint64_t>(v[b]) << 32;
        uint64_t y = 0;
        for (int d = 0; d < 64; ++d) y |= static_cast<uint64_t>(parity(rows[d] & x)) << (63 - d);
        out[b] = y;
      }
      out[kSobolDigits] = randomWord(seed, 64, static_cast<uint32_t>(r), static_cast<uint32_t>(j));
    }
  }
  return words;
}

}  // namespace xm
