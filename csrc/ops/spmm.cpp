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

FeatureLayout check_spmm_arg_backward(const at::Tensor& rowptr, const at::Tensor& col,
                                      const c10::optional<at::Tensor>& value, const at::Tensor& x,
                                      const at::Tensor& arg, const at::Tensor& grad) {
  const FeatureLayout L = check_spmm(rowptr, col, value, x);
  std::vector<int64_t> out_shape = x.sizes().vec();
  out_shape[0] = rowptr.numel() - 1;
  TORCH_CHECK(arg.scalar_type() == at::kInt && arg.sizes().vec() == out_shape,
              "spmm_arg_backward: arg must be int32 of shape ", at::IntArrayRef(out_shape), ", got ",
              arg.scalar_type(), " ", arg.sizes());
  TORCH_CHECK(grad.sizes().vec() == out_shape && grad.scalar_type() == x.scalar_type(),
              "spmm_arg_backward: grad_out must have shape ", at::IntArrayRef(out_shape), " and dtype ",
              x.scalar_type());
  return L;
}

}  // namespace graphlearn
