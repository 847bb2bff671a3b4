// SpMM, SDDMM and segment softmax: device-independent argument checks shared by
// the CPU and (future) CUDA kernels.
#pragma once

#include <string>

#include "common.h"

namespace graphlearn {

enum class Reduce { Sum, Mean, Max, Min };

Reduce parse_reduce(const std::string& reduce);

// Layout of features as [rows, heads, dim] and of edge weights as [nnz, heads]
// (value_heads is 0 without weights, 1 for one weight per edge broadcast over all
// features, or `heads` for one weight per edge and head).
struct FeatureLayout {
  int64_t rows;
  int64_t heads;
  int64_t dim;
  int64_t value_heads;
};

// out[i] = reduce_j value_ij * x[j]; x is [N, F] or [N, H, D]; value is [nnz] or
// [nnz, H] (then x must be [N, H, D]). With value_index ([nnz] int64), entry k
// uses value[value_index[k]] and value may have any number of rows.
FeatureLayout check_spmm(const at::Tensor& rowptr, const at::Tensor& col,
                         const c10::optional<at::Tensor>& value, const at::Tensor& x,
                         const c10::optional<at::Tensor>& value_index = c10::nullopt);

// out[e, h] = <a[row(e), h], b[col(e), h]>; a is [num_rows, (H,) D], b is [M, (H,) D].
FeatureLayout check_sddmm(const at::Tensor& rowptr, const at::Tensor& col, const at::Tensor& a,
                          const at::Tensor& b);

// src is [nnz] or [nnz, H].
void check_segment(const at::Tensor& rowptr, const at::Tensor& src, const char* name);

}  // namespace graphlearn
