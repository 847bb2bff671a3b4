// Small loops over feature rows, written so that the compiler vectorises them.
#pragma once

#include <cmath>
#include <cstdint>

namespace graphlearn {
namespace cpu {

template <typename T>
inline void scale_to(T* __restrict__ o, const T* __restrict__ x, T w, int64_t n) {
  for (int64_t f = 0; f < n; ++f) o[f] = w * x[f];
}

template <typename T>
inline void axpy(T* __restrict__ o, const T* __restrict__ x, T w, int64_t n) {
  for (int64_t f = 0; f < n; ++f) o[f] += w * x[f];
}

// o += w0*x0 + w1*x1 + w2*x2 + w3*x3: one pass over o for four neighbours.
template <typename T>
inline void axpy4(T* __restrict__ o, const T* __restrict__ x0, const T* __restrict__ x1,
                  const T* __restrict__ x2, const T* __restrict__ x3, T w0, T w1, T w2, T w3,
                  int64_t n) {
  for (int64_t f = 0; f < n; ++f) o[f] += (w0 * x0[f] + w1 * x1[f]) + (w2 * x2[f] + w3 * x3[f]);
}

template <typename T>
inline T dot(const T* __restrict__ a, const T* __restrict__ b, int64_t n) {
  T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t f = 0;
  for (; f + 8 <= n; f += 8)
    for (int u = 0; u < 8; ++u) acc[u] += a[f + u] * b[f + u];
  T s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; f < n; ++f) s += a[f] * b[f];
  return s;
}

// Running max (IsMax) or min of w*x into o, remembering in a the position (within
// the row) of the entry that won. NaN wins and then stays, as in torch.amax.
// Branch-free with 32-bit positions so that the loop vectorises.
template <typename T, bool IsMax>
inline void select_update(T* __restrict__ o, int32_t* __restrict__ a, const T* __restrict__ x, T w,
                          int64_t n, int32_t pos) {
  for (int64_t f = 0; f < n; ++f) {
    const T v = w * x[f];
    const bool better = (IsMax ? (v > o[f]) : (v < o[f])) | (v != v);
    o[f] = better ? v : o[f];
    a[f] = better ? pos : a[f];
  }
}

}  // namespace cpu
}  // namespace graphlearn
