// SDDMM on the CPU: one inner product per stored entry (and head).
#include <torch/library.h>

#include "../sddmm.h"
#include "vec.h"

namespace graphlearn {
namespace cpu {
namespace {

at::Tensor sddmm_cpu(const at::Tensor& rowptr_in, const at::Tensor& col_in, const at::Tensor& a_in,
                     const at::Tensor& b_in, const c10::optional<at::Tensor>&,
                     const c10::optional<at::Tensor>&, const c10::optional<at::Tensor>&) {
  const FeatureLayout L = check_sddmm(rowptr_in, col_in, a_in, b_in);
  const at::Tensor rowptr = rowptr_in.contiguous(), col = col_in.contiguous();
  const at::Tensor a = a_in.contiguous(), b = b_in.contiguous();
  const int64_t num_rows = rowptr.numel() - 1, nnz = col.numel(), H = L.heads, D = L.dim, F = H * D;
  at::Tensor out = a.dim() == 3 ? at::empty({nnz, H}, a.options()) : at::empty({nnz}, a.options());
  if (num_rows == 0 || nnz == 0) return out;
  KernelError err;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "sddmm", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    const index_t* cp = col.data_ptr<index_t>();
    check_rowptr_ends(rp, num_rows, nnz, "sddmm");
    AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "sddmm", [&] {
      const scalar_t* ap = a.data_ptr<scalar_t>();
      const scalar_t* bp = b.data_ptr<scalar_t>();
      scalar_t* op = out.data_ptr<scalar_t>();
      parallel_rows(rp, num_rows, std::max<int64_t>(F, 1), 1, [&](int64_t rb, int64_t re) {
        for (int64_t i = rb; i < re; ++i) {
          const int64_t s = rp[i], e = rp[i + 1];
          if (s < 0 || e < s || e > nnz) { err.set(kBadRowptr, i); return; }
          const scalar_t* ai = ap + i * F;
          for (int64_t k = s; k < e; ++k) {
            const int64_t j = cp[k];
            if (j < 0 || j >= L.rows) { err.set(kColOutOfRange, k, j); return; }
            const scalar_t* bj = bp + j * F;
            for (int64_t h = 0; h < H; ++h) op[k * H + h] = dot(ai + h * D, bj + h * D, D);
          }
        }
      });
    });
  });
  raise_csr_error(err, "sddmm", L.rows);
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(graphlearn, CPU, m) {
  m.impl("sddmm", &sddmm_cpu);
}

}  // namespace cpu
}  // namespace graphlearn
