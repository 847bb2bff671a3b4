// SDDMM: device-independent argument checks shared by the CPU and (future) CUDA
// kernels.
#pragma once

#include "common.h"

namespace graphlearn {

// out[e, h] = <a[row(e), h], b[col(e), h]>; a is [num_rows, (H,) D], b is [M, (H,) D].
FeatureLayout check_sddmm(const at::Tensor& rowptr, const at::Tensor& col, const at::Tensor& a,
                          const at::Tensor& b);

}  // namespace graphlearn
