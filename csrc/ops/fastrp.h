// FastRP (very sparse random projection embeddings): device-independent checks
// and the per-node streams of the counter-based generator (random.h).
#pragma once

#include <cstdint>

#include "common.h"
#include "random.h"

namespace graphlearn {

// The random stream of one node depends on (seed, key) only: entry j of the row
// is drawn from mix64(row_base(seed, key) + (j + 1) * kGolden).
inline uint64_t fastrp_row_base(int64_t seed, int64_t key) {
  return mix64((uint64_t)key * kGolden ^ mix64((uint64_t)seed + 0x632be59bd9b4e019ULL));
}

// u in [0, 1) with 53 random bits, exactly representable as a double.
inline double fastrp_uniform(uint64_t row_base, int64_t j) {
  return (double)(mix64(row_base + (uint64_t)(j + 1) * kGolden) >> 11) * 0x1.0p-53;
}

void check_fastrp_random(const at::Tensor& keys, int64_t dim, double s,
                         const c10::optional<at::Tensor>& row_scale);

void check_fastrp_step(const at::Tensor& rowptr, const at::Tensor& col,
                       const c10::optional<at::Tensor>& value, const at::Tensor& x,
                       const c10::optional<at::Tensor>& acc, double weight,
                       const c10::optional<at::Tensor>& acc_scale);

}  // namespace graphlearn
