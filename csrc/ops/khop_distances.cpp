#include "khop_distances.h"

namespace graphlearn {

void check_khop(const at::Tensor& rowptr, const at::Tensor& col, const at::Tensor& roots, int64_t k,
                const char* op) {
  check_csr_tensors(rowptr, col);
  TORCH_CHECK(roots.scalar_type() == at::kLong && roots.dim() == 1, op,
              ": roots must be a 1-D int64 tensor, got ", roots.scalar_type(), " ", roots.sizes());
  TORCH_CHECK(k >= 0, op, ": k must be >= 0, got ", k);
  TORCH_CHECK(k < (int64_t)1 << 40, op, ": k is too large: ", k);
}

}  // namespace graphlearn
