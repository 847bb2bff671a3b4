#include "segment_softmax.h"

namespace graphlearn {

void check_segment(const at::Tensor& rowptr, const at::Tensor& src, const char* name) {
  check_index_tensor(rowptr, "rowptr");
  TORCH_CHECK(rowptr.numel() >= 1, "rowptr must have num_rows + 1 >= 1 entries");
  check_same_device(rowptr, src, "rowptr", name);
  check_float_tensor(src, name);
  TORCH_CHECK(src.dim() == 1 || src.dim() == 2, name, " must be [nnz] or [nnz, H], got shape ",
              src.sizes());
}

void check_segment_softmax(const at::Tensor& rowptr, const at::Tensor& src) {
  check_segment(rowptr, src, "src");
  if (rowptr.numel() - 1 == 0)
    TORCH_CHECK(src.size(0) == 0, "segment_softmax: rowptr has no rows but src has ", src.size(0), " entries");
}

void check_segment_softmax_backward(const at::Tensor& rowptr, const at::Tensor& out, const at::Tensor& grad) {
  check_segment(rowptr, out, "out");
  TORCH_CHECK(grad.sizes() == out.sizes() && grad.scalar_type() == out.scalar_type(),
              "segment_softmax_backward: grad must match out in shape and dtype, got ", grad.sizes(),
              " and ", out.sizes());
}

}  // namespace graphlearn
