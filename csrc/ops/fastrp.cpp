#include "fastrp.h"

#include <cmath>

namespace graphlearn {

void check_fastrp_random(const at::Tensor& keys, int64_t dim, double s,
                         const c10::optional<at::Tensor>& row_scale) {
  TORCH_CHECK(keys.scalar_type() == at::kLong && keys.dim() == 1,
              "fastrp_random: keys must be a 1-D int64 tensor, got ", keys.scalar_type(), " of shape ",
              keys.sizes());
  TORCH_CHECK(dim >= 1, "fastrp_random: dim must be >= 1, got ", dim);
  TORCH_CHECK(std::isfinite(s) && s >= 1.0, "fastrp_random: s (1 / density) must be a finite number >= 1, got ", s);
  if (row_scale.has_value() && row_scale->defined()) {
    const at::Tensor& r = *row_scale;
    TORCH_CHECK(r.scalar_type() == at::kFloat && r.dim() == 1 && r.numel() == keys.numel(),
                "fastrp_random: row_scale must be float32 of shape [", keys.numel(), "], got ",
                r.scalar_type(), " of shape ", r.sizes());
    check_same_device(keys, r, "keys", "row_scale");
  }
}

void check_fastrp_step(const at::Tensor& rowptr, const at::Tensor& col,
                       const c10::optional<at::Tensor>& value, const at::Tensor& x,
                       const c10::optional<at::Tensor>& acc_in, double weight,
                       const c10::optional<at::Tensor>& acc_scale) {
  check_csr_tensors(rowptr, col);
  check_same_device(rowptr, x, "rowptr", "x");
  TORCH_CHECK(x.scalar_type() == at::kFloat && x.dim() == 2,
              "fastrp_step: x must be a 2-D float32 tensor, got ", x.scalar_type(), " of shape ", x.sizes());
  const int64_t rows = rowptr.numel() - 1;
  const bool has_acc = acc_in.has_value() && acc_in->defined();
  const bool has_scale = acc_scale.has_value() && acc_scale->defined();
  TORCH_CHECK(has_acc || (weight == 0.0 && !has_scale),
              "fastrp_step: acc is required when weight != 0 or acc_scale is given");
  if (has_acc) {
    const at::Tensor& acc = *acc_in;
    check_same_device(rowptr, acc, "rowptr", "acc");
    TORCH_CHECK(acc.scalar_type() == at::kFloat && acc.dim() == 2 && acc.size(0) == rows &&
                    acc.size(1) == x.size(1) && acc.is_contiguous(),
                "fastrp_step: acc must be a contiguous float32 tensor of shape [", rows, ", ", x.size(1),
                "], got ", acc.scalar_type(), " of shape ", acc.sizes());
  }
  if (has_scale) {
    const at::Tensor& c = *acc_scale;
    check_same_device(rowptr, c, "rowptr", "acc_scale");
    TORCH_CHECK(c.scalar_type() == at::kFloat && c.dim() == 1 && c.numel() == rows,
                "fastrp_step: acc_scale must be float32 of shape [", rows, "], got ", c.scalar_type(),
                " of shape ", c.sizes());
    TORCH_CHECK(x.size(0) >= rows, "fastrp_step: acc_scale scales the first ", rows, " rows of x, but x has ",
                x.size(0));
  }
  if (value.has_value() && value->defined()) {
    const at::Tensor& v = *value;
    check_same_device(rowptr, v, "rowptr", "value");
    TORCH_CHECK(v.scalar_type() == at::kFloat && v.dim() == 1 && v.numel() == col.numel(),
                "fastrp_step: value must be float32 of shape [", col.numel(), "], got ", v.scalar_type(),
                " of shape ", v.sizes());
  }
}

}  // namespace graphlearn
