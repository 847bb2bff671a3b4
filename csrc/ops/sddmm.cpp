#include "sddmm.h"

namespace graphlearn {

FeatureLayout check_sddmm(const at::Tensor& rowptr, const at::Tensor& col, const at::Tensor& a,
                          const at::Tensor& b) {
  check_csr_tensors(rowptr, col);
  check_same_device(rowptr, a, "rowptr", "a");
  check_same_device(rowptr, b, "rowptr", "b");
  check_float_tensor(a, "a");
  TORCH_CHECK(a.scalar_type() == b.scalar_type(), "sddmm: a and b must have the same dtype, got ",
              a.scalar_type(), " and ", b.scalar_type());
  TORCH_CHECK((a.dim() == 2 || a.dim() == 3) && a.dim() == b.dim(),
              "sddmm: a and b must both be [N, D] or both [N, H, D], got ", a.sizes(), " and ",
              b.sizes());
  TORCH_CHECK(a.size(0) == rowptr.numel() - 1, "sddmm: a must have one row per CSR row (",
              rowptr.numel() - 1, "), got ", a.size(0));
  for (int64_t d = 1; d < a.dim(); ++d)
    TORCH_CHECK(a.size(d) == b.size(d), "sddmm: a and b must agree in all but the first dimension, got ",
                a.sizes(), " and ", b.sizes());
  return {b.size(0), a.dim() == 3 ? a.size(1) : 1, a.size(-1), 0};
}

}  // namespace graphlearn
