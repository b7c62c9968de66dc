#pragma once
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
// counter-based generator. The output is a pure function of (counter, key), so any thread of any
// backend draws any element of the scenario set without state or skipping ahead.
//
// Determinism: integer-only, bitwise identical on every host and device.

#include <cstdint>

#include "scenarios/HostDevice.h"

namespace xm {

struct Philox4x32 {
  uint32_t v[4];
};

XM_HD uint32_t mulHi32(uint32_t a, uint32_t b) {
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
}

// One Philox4x32-10 block: 4 words of output for a 128-bit counter and a 64-bit key.
XM_HD Philox4x32 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                               uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint32_t hi0 = mulHi32(kM0, c0), lo0 = kM0 * c0;
    const uint32_t hi1 = mulHi32(kM1, c2), lo1 = kM1 * c2;
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  return {{c0, c1, c2, c3}};
}

// A uniform double in the open interval (0, 1) from 53 random bits: (m + 1/2) / 2^53.
XM_HD double uniformOpen53(uint32_t hiWord, uint32_t loWord) {
  const uint64_t m = (static_cast<uint64_t>(hiWord >> 5) << 26) | (loWord >> 6);
  return (static_cast<double>(m) + 0.5) * (1.0 / 9007199254740992.0);
}

}  // namespace xm
