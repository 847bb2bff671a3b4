// Dropout from the counter-based generator (random.h): device-independent checks
// and the mask rule shared by every kernel.
#pragma once

#include <cmath>
#include <cstdint>

#include "common.h"
#include "random.h"

namespace graphlearn {

// Entry k (in row-major order) of a dropout with seed `seed` reads 32 bits of
// mix64(dropout_base(seed) + (k / 2 + 1) * kGolden): the low half for even k, the
// high half for odd k. It is kept when those bits are >= dropout_threshold(p).
inline uint64_t dropout_base(int64_t seed) { return mix64((uint64_t)seed ^ 0xd1b54a32d192ed03ULL); }

// round(p * 2^32): an entry is dropped with probability threshold / 2^32 (|error| <= 2^-33).
inline uint64_t dropout_threshold(double p) { return (uint64_t)std::llround(p * 4294967296.0); }

void check_dropout(const at::Tensor& x, double p, int64_t seed);

}  // namespace graphlearn
