// SpMM: device-independent argument checks shared by the CPU and (future) CUDA
// kernels.
#pragma once

#include <string>

#include "common.h"

namespace graphlearn {

enum class Reduce { Sum, Mean, Max, Min };

Reduce parse_reduce(const std::string& reduce);

// out[i] = reduce_j value_ij * x[j]; x is [N, F] or [N, H, D]; value is [nnz] or
// [nnz, H] (then x must be [N, H, D]). With value_index ([nnz] int64), entry k
// uses value[value_index[k]] and value may have any number of rows.
FeatureLayout check_spmm(const at::Tensor& rowptr, const at::Tensor& col,
                         const c10::optional<at::Tensor>& value, const at::Tensor& x,
                         const c10::optional<at::Tensor>& value_index = c10::nullopt);

// The max/min backward: check_spmm, then arg (int32) and grad_out (x's dtype) of
// the output's shape [num_rows, ...x.shape[1:]].
FeatureLayout check_spmm_arg_backward(const at::Tensor& rowptr, const at::Tensor& col,
                                      const c10::optional<at::Tensor>& value, const at::Tensor& x,
                                      const at::Tensor& arg, const at::Tensor& grad_out);

}  // namespace graphlearn
