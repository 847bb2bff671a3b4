#include "common_neighbors.h"

namespace graphlearn {

void check_pairs(const at::Tensor& rowptr, const at::Tensor& col, const at::Tensor& src,
                 const at::Tensor& dst, int64_t mode, const char* op) {
  check_csr_tensors(rowptr, col);
  TORCH_CHECK(src.scalar_type() == at::kLong && dst.scalar_type() == at::kLong && src.dim() == 1 &&
                  dst.dim() == 1,
              op, ": src and dst must be 1-D int64 tensors, got ", src.scalar_type(), " ", src.sizes(),
              " and ", dst.scalar_type(), " ", dst.sizes());
  TORCH_CHECK(src.numel() == dst.numel(), op, ": src and dst must have the same length, got ",
              src.numel(), " and ", dst.numel());
  TORCH_CHECK(mode >= 0 && mode <= 2, op, ": mode must be 0 (intersection), 1 (src minus dst) or 2 (dst minus src), got ", mode);
}

void check_common_neighbors_sum(const at::Tensor& rowptr, const at::Tensor& col, const at::Tensor& src,
                                const at::Tensor& dst, const at::Tensor& x, int64_t mode) {
  check_pairs(rowptr, col, src, dst, mode, "common_neighbors_sum");
  check_float_tensor(x, "x");
  TORCH_CHECK(x.dim() == 2, "common_neighbors_sum: x must be [N, F], got shape ", x.sizes());
  check_same_device(rowptr, x, "rowptr", "x");
}

void raise_pair_error(const KernelError& err, const char* op, int64_t num_rows, int64_t P) {
  if (err.code.load() == kIndexOutOfRange) {
    const int64_t w = err.where.load();
    TORCH_CHECK(false, op, ": ", (w < P ? "src[" : "dst["), (w < P ? w : w - P), "] = ", err.value.load(),
                " is not a node id in [0, ", num_rows, ")");
  }
  raise_csr_error(err, op, num_rows, "x", 0);
}

}  // namespace graphlearn
