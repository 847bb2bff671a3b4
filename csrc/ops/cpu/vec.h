// Small loops over feature rows, written so that the compiler vectorises them.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

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
// the row) of the entry that won; ties keep the earlier entry. NaN wins and then
// stays, as in torch.amax.
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

// exp(x) for float without libm calls, so that loops over it vectorise: range
// reduction x = n ln2 + r (Cody-Waite), a degree-6 polynomial for exp(r) (the
// Cephes coefficients, about 1 ulp), and 2^n built in the exponent bits.
// Inputs below -87.3 give 0 (exp underflows there anyway); NaN stays NaN.
inline float exp_f32(float x) {
  const float xc = std::min(std::max(x, -87.3f), 88.7f);
  const float n = std::floor(xc * 1.44269504088896341f + 0.5f);
  float r = xc - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float scale = std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
  const float y = p * scale;
  return x < -87.3f ? 0.0f : (x != x ? x : y);
}

template <typename T>
inline void exp_inplace(T* __restrict__ v, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    for (int64_t i = 0; i < n; ++i) v[i] = exp_f32(v[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) v[i] = std::exp(v[i]);
  }
}

}  // namespace cpu
}  // namespace graphlearn
