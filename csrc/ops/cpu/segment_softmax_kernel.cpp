// Segment (edge) softmax on the CPU: softmax over the stored entries of each row.
#include <torch/library.h>

#include <limits>

#include "../segment_softmax.h"
#include "vec.h"

namespace graphlearn {
namespace cpu {
namespace {

// softmax over the entries of each row, separately per head.
at::Tensor segment_softmax_cpu(const at::Tensor& rowptr_in, const at::Tensor& src_in) {
  check_segment_softmax(rowptr_in, src_in);
  const at::Tensor rowptr = rowptr_in.contiguous(), src = src_in.contiguous();
  const int64_t num_rows = rowptr.numel() - 1, nnz = src.size(0);
  const int64_t H = src.dim() == 2 ? src.size(1) : 1;
  at::Tensor out = at::empty_like(src);
  if (num_rows == 0) return out;
  KernelError err;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "segment_softmax", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    check_rowptr_ends(rp, num_rows, nnz, "segment_softmax");
    AT_DISPATCH_FLOATING_TYPES(src.scalar_type(), "segment_softmax", [&] {
      const scalar_t* sp = src.data_ptr<scalar_t>();
      scalar_t* op = out.data_ptr<scalar_t>();
      // Per head: max, shift, exp (one vectorised pass over the row), sum, scale.
      // Accumulators are locals so that they stay in registers.
      parallel_rows(rp, num_rows, H * 4, 1, [&](int64_t rb, int64_t re) {
        for (int64_t i = rb; i < re; ++i) {
          const int64_t s = rp[i], e = rp[i + 1];
          if (s < 0 || e < s || e > nnz) { err.set(kBadRowptr, i); return; }
          if (s == e) continue;
          for (int64_t h = 0; h < H; ++h) {
            scalar_t mx = -std::numeric_limits<scalar_t>::infinity();
            for (int64_t k = s; k < e; ++k) mx = std::max(mx, sp[k * H + h]);
            if (std::isinf(mx) && mx < 0) mx = 0;  // all -inf: zeros, not NaN
            for (int64_t k = s; k < e; ++k) op[k * H + h] = sp[k * H + h] - mx;
          }
          exp_inplace(op + s * H, (e - s) * H);
          for (int64_t h = 0; h < H; ++h) {
            scalar_t sum = 0;
            for (int64_t k = s; k < e; ++k) sum += op[k * H + h];
            const scalar_t inv = sum > 0 ? scalar_t(1) / sum : scalar_t(0);
            for (int64_t k = s; k < e; ++k) op[k * H + h] *= inv;
          }
        }
      });
    });
  });
  raise_csr_error(err, "segment_softmax", 0);
  return out;
}

// grad_src = out * (grad - sum_row(grad * out)), per head.
at::Tensor segment_softmax_backward_cpu(const at::Tensor& rowptr_in, const at::Tensor& out_in,
                                        const at::Tensor& grad_in) {
  check_segment_softmax_backward(rowptr_in, out_in, grad_in);
  const at::Tensor rowptr = rowptr_in.contiguous(), y = out_in.contiguous(), grad = grad_in.contiguous();
  const int64_t num_rows = rowptr.numel() - 1, nnz = y.size(0);
  const int64_t H = y.dim() == 2 ? y.size(1) : 1;
  at::Tensor gsrc = at::empty_like(y);
  if (num_rows == 0) return gsrc;
  KernelError err;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "segment_softmax_backward", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    check_rowptr_ends(rp, num_rows, nnz, "segment_softmax_backward");
    AT_DISPATCH_FLOATING_TYPES(y.scalar_type(), "segment_softmax_backward", [&] {
      const scalar_t* yp = y.data_ptr<scalar_t>();
      const scalar_t* gp = grad.data_ptr<scalar_t>();
      scalar_t* op = gsrc.data_ptr<scalar_t>();
      parallel_rows(rp, num_rows, H * 3, 1, [&](int64_t rb, int64_t re) {
        for (int64_t i = rb; i < re; ++i) {
          const int64_t s = rp[i], e = rp[i + 1];
          if (s < 0 || e < s || e > nnz) { err.set(kBadRowptr, i); return; }
          for (int64_t h = 0; h < H; ++h) {
            scalar_t dot = 0;
            for (int64_t k = s; k < e; ++k) dot += gp[k * H + h] * yp[k * H + h];
            for (int64_t k = s; k < e; ++k) op[k * H + h] = yp[k * H + h] * (gp[k * H + h] - dot);
          }
        }
      });
    });
  });
  raise_csr_error(err, "segment_softmax_backward", 0);
  return gsrc;
}

}  // namespace

TORCH_LIBRARY_IMPL(graphlearn, CPU, m) {
  m.impl("segment_softmax", &segment_softmax_cpu);
  m.impl("segment_softmax_backward", &segment_softmax_backward_cpu);
}

}  // namespace cpu
}  // namespace graphlearn
