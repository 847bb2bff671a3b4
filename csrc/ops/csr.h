// CSR construction (COO -> CSR, transpose, validation): device-independent argument
// checks shared by the CPU and (future) CUDA kernels.
#pragma once

#include "common.h"

namespace graphlearn {

// row and col: [E] int32/int64 of the same dtype and length; a non-negative shape
// that int32 indices can address when they are int32.
void check_coo_to_csr(const at::Tensor& row, const at::Tensor& col, int64_t num_rows, int64_t num_cols);

void check_csr_transpose(const at::Tensor& rowptr, const at::Tensor& col, int64_t num_cols);

void check_csr_validate(const at::Tensor& rowptr, const at::Tensor& col);

}  // namespace graphlearn
