#include "csr.h"

#include <cstdint>

namespace graphlearn {

void check_coo_to_csr(const at::Tensor& row, const at::Tensor& col, int64_t num_rows, int64_t num_cols) {
  check_index_tensor(row, "row");
  check_index_tensor(col, "col");
  TORCH_CHECK(row.scalar_type() == col.scalar_type(),
              "coo_to_csr: row and col must have the same dtype, got ", row.scalar_type(),
              " and ", col.scalar_type());
  TORCH_CHECK(row.numel() == col.numel(), "coo_to_csr: row and col must have the same length, got ",
              row.numel(), " and ", col.numel());
  TORCH_CHECK(num_rows >= 0 && num_cols >= 0, "coo_to_csr: num_rows and num_cols must be >= 0, got ",
              num_rows, " and ", num_cols);
  const int64_t E = row.numel();
  if (row.scalar_type() == at::kInt) {
    TORCH_CHECK(E < INT32_MAX && num_rows < INT32_MAX && num_cols < INT32_MAX,
                "coo_to_csr: int32 indices cannot address ", E, " entries; use int64");
  }
}

void check_csr_transpose(const at::Tensor& rowptr, const at::Tensor& col, int64_t num_cols) {
  check_csr_tensors(rowptr, col);
  TORCH_CHECK(num_cols >= 0, "csr_transpose: num_cols must be >= 0, got ", num_cols);
}

void check_csr_validate(const at::Tensor& rowptr, const at::Tensor& col) { check_csr_tensors(rowptr, col); }

}  // namespace graphlearn
