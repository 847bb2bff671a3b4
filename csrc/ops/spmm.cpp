#include "spmm.h"

namespace graphlearn {

Reduce parse_reduce(const std::string& reduce) {
  if (reduce == "sum" || reduce == "add") return Reduce::Sum;
  if (reduce == "mean") return Reduce::Mean;
  if (reduce == "max") return Reduce::Max;
  if (reduce == "min") return Reduce::Min;
  TORCH_CHECK(false, "spmm: reduce must be one of 'sum', 'mean', 'max', 'min', got '", reduce, "'");
}

FeatureLayout check_spmm(const at::Tensor& rowptr, const at::Tensor& col,
                         const c10::optional<at::Tensor>& value, const at::Tensor& x,
                         const c10::optional<at::Tensor>& value_index) {
  check_csr_tensors(rowptr, col);
  check_same_device(rowptr, x, "rowptr", "x");
  check_float_tensor(x, "x");
  TORCH_CHECK(x.dim() == 2 || x.dim() == 3, "spmm: x must be [N, F] or [N, H, D], got shape ",
              x.sizes());
  FeatureLayout L{x.size(0), x.dim() == 3 ? x.size(1) : 1, x.dim() == 3 ? x.size(2) : x.size(1), 0};
  if (value.has_value() && value->defined()) {
    const at::Tensor& v = *value;
    check_same_device(rowptr, v, "rowptr", "value");
    TORCH_CHECK(v.scalar_type() == x.scalar_type(), "spmm: value and x must have the same dtype, got ",
                v.scalar_type(), " and ", x.scalar_type());
    const bool indexed = value_index.has_value() && value_index->defined();
    if (indexed) {
      const at::Tensor& vi = *value_index;
      TORCH_CHECK(vi.scalar_type() == at::kLong && vi.dim() == 1 && vi.numel() == col.numel(),
                  "spmm: value_index must be int64 of shape [", col.numel(), "], got ", vi.scalar_type(), " ",
                  vi.sizes());
      check_same_device(rowptr, vi, "rowptr", "value_index");
    }
    TORCH_CHECK((indexed || v.size(0) == col.numel()) && (v.dim() == 1 || v.dim() == 2),
                "spmm: value must be [nnz] or [nnz, H] with nnz = ", col.numel(), ", got shape ",
                v.sizes());
    if (v.dim() == 2 && v.size(1) != 1) {
      TORCH_CHECK(x.dim() == 3 && x.size(1) == v.size(1), "spmm: value of shape ", v.sizes(),
                  " has one weight per head and needs x of shape [N, ", v.size(1),
                  ", D], got x of shape ", x.sizes());
      L.value_heads = v.size(1);
    } else {
      L.value_heads = 1;
    }
  }
  return L;
}

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

void check_segment(const at::Tensor& rowptr, const at::Tensor& src, const char* name) {
  check_index_tensor(rowptr, "rowptr");
  TORCH_CHECK(rowptr.numel() >= 1, "rowptr must have num_rows + 1 >= 1 entries");
  check_same_device(rowptr, src, "rowptr", name);
  check_float_tensor(src, name);
  TORCH_CHECK(src.dim() == 1 || src.dim() == 2, name, " must be [nnz] or [nnz, H], got shape ",
              src.sizes());
}

}  // namespace graphlearn
