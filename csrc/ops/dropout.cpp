#include "dropout.h"

namespace graphlearn {

void check_dropout(const at::Tensor& x, double p, int64_t seed) {
  TORCH_CHECK(at::isFloatingType(x.scalar_type()), "dropout: x must be a floating-point tensor, got ",
              x.scalar_type());
  TORCH_CHECK(std::isfinite(p) && p >= 0.0 && p < 1.0, "dropout: p must be in [0, 1), got ", p);
  TORCH_CHECK(seed >= 0, "dropout: seed must be >= 0, got ", seed);
}

}  // namespace graphlearn
