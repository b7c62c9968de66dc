#pragma once
// Scrambled Sobol points for randomised quasi-Monte Carlo sampling (docs/sampling.md).
//
//   Sequence     Sobol (1967) in natural index order, Joe & Kuo's direction numbers
//                (new-joe-kuo-6.21201, scenarios/SobolDirections.inc) for the first
//                kSobolDimensions dimensions, 32 digits.
//   Scrambling   Matousek's (1998) random linear scrambling with a digital shift, independent
//                per (seed, replication, dimension): digit d of the output is digit d of the
//                input plus a random combination of digits 1 .. d-1, plus a random shift bit,
//                over 64 digits (the 32 beyond the sequence's are random, as under Owen's nested
//                scrambling). Linear, so it applies once to the direction numbers: a point is
//                then the XOR of the scrambled direction numbers of its index's set bits and
//                the shift. Each scrambled point set is uniform on [0,1)^d and keeps the
//                sequence's net structure; its variance is that of Owen's nested scrambling
//                (Owen 2003, "Variance with alternative scramblings of digital nets").
//
// Determinism: integer-only but for the final 53-bit uniform; the table is a pure function of
// (seed, replication, dimension), bitwise identical on the host and on the device.

#include <cstdint>
#include <vector>

#include "scenarios/HostDevice.h"

namespace xm {

constexpr int kSobolDimensions = 1024;  // rows of SobolDirections.inc
constexpr int kSobolDigits = 32;        // digits of the unscrambled sequence
// 64-bit words per (replication, dimension) of a scrambled table: 32 direction numbers, a shift.
constexpr int kSobolWords = kSobolDigits + 1;

// The unscrambled direction numbers of dimension `dim` (0-based, < kSobolDimensions): v[b] is
// the 32-digit point of index 2^b.
void sobolDirections(int dim, uint32_t v[kSobolDigits]);

// Point `index` of the unscrambled sequence in dimension `dim`, as 32 digits (x / 2^32).
uint32_t sobolPoint(int dim, uint32_t index);

// The scrambled table of `replications` × `dims`: words[(r * dims + j) * kSobolWords + ...].
std::vector<uint64_t> scrambledSobolTable(uint64_t seed, int replications, int dims);

// Point `index` of one scrambled (replication, dimension), `words` its kSobolWords words: a
// uniform in (0, 1) from the top 53 digits, (m + 1/2) / 2^53.
XM_HD double scrambledSobolUniform(const uint64_t* words, uint32_t index) {
  uint64_t x = words[kSobolDigits];
  for (int b = 0; index != 0; ++b, index >>= 1) {
    if (index & 1u) x ^= words[b];
  }
  return (static_cast<double>(x >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

}  // namespace xm
