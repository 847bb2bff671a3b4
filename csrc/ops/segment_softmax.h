// Segment (edge) softmax: device-independent argument checks shared by the CPU
// and (future) CUDA kernels.
#pragma once

#include "common.h"

namespace graphlearn {

// src is [nnz] or [nnz, H].
void check_segment(const at::Tensor& rowptr, const at::Tensor& src, const char* name);

// segment_softmax(rowptr, src): check_segment, and no entries when there are no rows.
void check_segment_softmax(const at::Tensor& rowptr, const at::Tensor& src);

// segment_softmax_backward(rowptr, out, grad): grad matches out in shape and dtype.
void check_segment_softmax_backward(const at::Tensor& rowptr, const at::Tensor& out, const at::Tensor& grad);

}  // namespace graphlearn
