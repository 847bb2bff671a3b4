// Common neighbours of node pairs: device-independent argument checks and error
// messages shared by the CPU and (future) CUDA kernels.
#pragma once

#include "common.h"

namespace graphlearn {

// src, dst: [P] int64 node ids; mode 0 (intersection), 1 (src minus dst) or 2
// (dst minus src). `op` names the operator in messages.
void check_pairs(const at::Tensor& rowptr, const at::Tensor& col, const at::Tensor& src,
                 const at::Tensor& dst, int64_t mode, const char* op);

// common_neighbors_sum: check_pairs, and x is float [N, F] on rowptr's device.
void check_common_neighbors_sum(const at::Tensor& rowptr, const at::Tensor& col, const at::Tensor& src,
                                const at::Tensor& dst, const at::Tensor& x, int64_t mode);

// Raises for an error recorded while walking pairs: a pair id out of range is
// reported as src[p] (where < P) or dst[p] (where = P + p); others as CSR errors.
void raise_pair_error(const KernelError& err, const char* op, int64_t num_rows, int64_t P);

}  // namespace graphlearn
