// k-hop distances (bounded breadth-first search): device-independent argument
// checks shared by the CPU and (future) CUDA kernels.
#pragma once

#include "common.h"

namespace graphlearn {

// roots: [R] int64; 0 <= k < 2^40. `op` names the operator in messages. (Whether
// each root is a node id is checked by the kernels, which read the roots.)
void check_khop(const at::Tensor& rowptr, const at::Tensor& col, const at::Tensor& roots, int64_t k,
                const char* op);

}  // namespace graphlearn
