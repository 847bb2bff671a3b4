// Dropout on the CPU: out = x * keep / (1 - p), keep drawn per entry from (seed, position).
// The same call on the gradient is the backward pass, so nothing but the seed is saved.
#include <torch/library.h>

#include <algorithm>

#include "../dropout.h"

namespace graphlearn {
namespace cpu {
namespace {

// Entries [b, e) with b even. Branch-free blocks: the draws first (two entries per
// 64-bit hash), then the masked scaling, so that both loops vectorise.
template <typename scalar_t>
void dropout_range(const scalar_t* x, scalar_t* out, int64_t b, int64_t e, uint64_t base, uint64_t thr,
                   scalar_t scale) {
  constexpr int64_t kBlock = 512;  // entries per block (even)
  uint32_t bits[kBlock];
  for (int64_t s = b; s < e; s += kBlock) {
    const int64_t len = std::min(kBlock, e - s);
    const uint64_t first = (uint64_t)(s / 2) + 1;
    for (int64_t t = 0; t < (len + 1) / 2; ++t) {
      const uint64_t r = mix64(base + (first + (uint64_t)t) * kGolden);
      bits[2 * t] = (uint32_t)r;
      bits[2 * t + 1] = (uint32_t)(r >> 32);
    }
    const scalar_t* xs = x + s;
    scalar_t* os = out + s;
    for (int64_t t = 0; t < len; ++t)
      os[t] = (uint64_t)bits[t] >= thr ? xs[t] * scale : scalar_t(0);
  }
}

at::Tensor dropout_cpu(const at::Tensor& x_in, double p, int64_t seed) {
  check_dropout(x_in, p, seed);
  const at::Tensor x = x_in.contiguous();
  at::Tensor out = at::empty_like(x, at::MemoryFormat::Contiguous);
  const int64_t n = x.numel();
  if (n == 0) return out;
  const uint64_t base = dropout_base(seed), thr = dropout_threshold(p);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, x.scalar_type(), "dropout", [&] {
    const scalar_t* xp = x.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    const scalar_t scale = static_cast<scalar_t>(1.0 / (1.0 - p));
    // chunks of an even number of entries, so that no draw is split between threads
    constexpr int64_t kGrain = 1 << 15;
    at::parallel_for(0, (n + 1) / 2, kGrain / 2, [&](int64_t pb, int64_t pe) {
      dropout_range<scalar_t>(xp, op, 2 * pb, std::min(2 * pe, n), base, thr, scale);
    });
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(graphlearn, CPU, m) {
  m.impl("dropout", &dropout_cpu);
}

}  // namespace cpu
}  // namespace graphlearn
