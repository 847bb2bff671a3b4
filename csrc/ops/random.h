// The counter-based generator shared by the kernels that draw random numbers
// (FastRP's projection, dropout): every draw is a hash of (seed, position), so a
// result does not depend on the thread count, the order of work or the process.
#pragma once

#include <cstdint>

namespace graphlearn {

// splitmix64's finaliser: a bijective 64-bit mixer with full avalanche.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

}  // namespace graphlearn
