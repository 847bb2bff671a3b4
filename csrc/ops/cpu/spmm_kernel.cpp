// SpMM on the CPU: out[i] = reduce_{k in row i} value[k] * x[col[k]] for
// reduce in sum / mean / max / min, and the max/min backward (argmax routing).
#include <torch/library.h>

#include "../spmm.h"
#include "vec.h"

namespace graphlearn {
namespace cpu {
namespace {

template <typename scalar_t, typename index_t, Reduce R>
void spmm_rows(const index_t* rowptr, const index_t* col, const scalar_t* value, const int64_t* vindex,
               const scalar_t* x, scalar_t* out, int32_t* arg, const FeatureLayout& L, int64_t nnz, int64_t rb,
               int64_t re, KernelError& err) {
  const int64_t H = L.heads, D = L.dim, F = H * D, N = L.rows;
  const bool per_head = L.value_heads > 1;
  constexpr bool kSelect = (R == Reduce::Max || R == Reduce::Min);
  constexpr bool kIsMax = (R == Reduce::Max);
  auto weight = [&](int64_t k, int64_t h) -> scalar_t {
    if (!value) return scalar_t(1);
    const int64_t idx = vindex ? vindex[k] : k;
    return per_head ? value[idx * H + h] : value[idx];
  };
  for (int64_t i = rb; i < re; ++i) {
    const int64_t s = rowptr[i], e = rowptr[i + 1];
    scalar_t* o = out + i * F;
    int32_t* a = kSelect ? arg + i * F : nullptr;
    if (s < 0 || e < s || e > nnz) {
      err.set(kBadRowptr, i);
      return;
    }
    bool bad = false;
    for (int64_t k = s; k < e; ++k) {
      const int64_t j = col[k];
      if (j < 0 || j >= N) {
        err.set(kColOutOfRange, k, j);
        bad = true;
        break;
      }
    }
    if (bad) return;
    if (s == e) {
      std::fill(o, o + F, scalar_t(0));
      if (kSelect) std::fill(a, a + F, int32_t(-1));
      continue;
    }
    if constexpr (kSelect) {
      // winners are kept as 32-bit positions inside the row (the loop vectorises)
      if (e - s >= INT32_MAX) { err.set(kRowTooLong, i); return; }
      std::fill(a, a + F, int32_t(0));
      for (int64_t h = 0; h < H; ++h) scale_to(o + h * D, x + (int64_t)col[s] * F + h * D, weight(s, h), D);
      for (int64_t k = s + 1; k < e; ++k) {
        const scalar_t* xj = x + (int64_t)col[k] * F;
        for (int64_t h = 0; h < H; ++h)
          select_update<scalar_t, kIsMax>(o + h * D, a + h * D, xj + h * D, weight(k, h), D, (int32_t)(k - s));
      }
      continue;
    }
    if (!per_head) {
      scale_to(o, x + (int64_t)col[s] * F, weight(s, 0), F);
      int64_t k = s + 1;
      for (; k + 4 <= e; k += 4)
        axpy4(o, x + (int64_t)col[k] * F, x + (int64_t)col[k + 1] * F, x + (int64_t)col[k + 2] * F,
              x + (int64_t)col[k + 3] * F, weight(k, 0), weight(k + 1, 0), weight(k + 2, 0),
              weight(k + 3, 0), F);
      for (; k < e; ++k) axpy(o, x + (int64_t)col[k] * F, weight(k, 0), F);
    } else {
      for (int64_t h = 0; h < H; ++h) scale_to(o + h * D, x + (int64_t)col[s] * F + h * D, weight(s, h), D);
      int64_t k = s + 1;
      for (; k + 4 <= e; k += 4) {
        const scalar_t *x0 = x + (int64_t)col[k] * F, *x1 = x + (int64_t)col[k + 1] * F;
        const scalar_t *x2 = x + (int64_t)col[k + 2] * F, *x3 = x + (int64_t)col[k + 3] * F;
        for (int64_t h = 0; h < H; ++h)
          axpy4(o + h * D, x0 + h * D, x1 + h * D, x2 + h * D, x3 + h * D, weight(k, h), weight(k + 1, h),
                weight(k + 2, h), weight(k + 3, h), D);
      }
      for (; k < e; ++k) {
        const scalar_t* xj = x + (int64_t)col[k] * F;
        for (int64_t h = 0; h < H; ++h) axpy(o + h * D, xj + h * D, weight(k, h), D);
      }
    }
    if constexpr (R == Reduce::Mean) {
      const scalar_t inv = scalar_t(1) / scalar_t(e - s);
      for (int64_t f = 0; f < F; ++f) o[f] *= inv;
    }
  }
}

std::tuple<at::Tensor, at::Tensor> spmm_cpu(const at::Tensor& rowptr_in, const at::Tensor& col_in,
                                            const c10::optional<at::Tensor>& value_in,
                                            const at::Tensor& x_in, c10::string_view reduce_name,
                                            const c10::optional<at::Tensor>&,
                                            const c10::optional<at::Tensor>&,
                                            const c10::optional<at::Tensor>&,
                                            const c10::optional<at::Tensor>& value_index_in) {
  const FeatureLayout L = check_spmm(rowptr_in, col_in, value_in, x_in, value_index_in);
  const Reduce R = parse_reduce(std::string(reduce_name));
  const at::Tensor rowptr = rowptr_in.contiguous(), col = col_in.contiguous(), x = x_in.contiguous();
  at::Tensor value, value_index;
  if (L.value_heads > 0) value = value_in->contiguous();
  const int64_t num_rows = rowptr.numel() - 1, nnz = col.numel(), F = L.heads * L.dim;
  if (value.defined() && value_index_in.has_value() && value_index_in->defined()) {
    value_index = value_index_in->contiguous();
    const int64_t* vi = value_index.data_ptr<int64_t>();
    const int64_t bound = value.size(0);
    KernelError bad;
    at::parallel_for(0, nnz, 1 << 15, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k)
        if (vi[k] < 0 || vi[k] >= bound) { bad.set(kIndexOutOfRange, k, vi[k]); return; }
    });
    raise_csr_error(bad, "spmm", 0, "value_index", bound);
  }
  std::vector<int64_t> out_shape = x.sizes().vec();
  out_shape[0] = num_rows;
  at::Tensor out = at::empty(out_shape, x.options());
  const bool select = (R == Reduce::Max || R == Reduce::Min);
  at::Tensor arg = select ? at::empty(out_shape, x.options().dtype(at::kInt))
                          : at::empty({0}, x.options().dtype(at::kInt));
  if (num_rows == 0) return {out, arg};
  KernelError err;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "spmm", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    check_rowptr_ends(rp, num_rows, nnz, "spmm");
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spmm", [&] {
      const scalar_t* v = value.defined() ? value.data_ptr<scalar_t>() : nullptr;
      const int64_t* vi = value_index.defined() ? value_index.data_ptr<int64_t>() : nullptr;
      const scalar_t* xp = x.data_ptr<scalar_t>();
      scalar_t* op = out.data_ptr<scalar_t>();
      int32_t* ap = select ? arg.data_ptr<int32_t>() : nullptr;
      const index_t* cp = col.data_ptr<index_t>();
      parallel_rows(rp, num_rows, std::max<int64_t>(F, 1), 4, [&](int64_t rb, int64_t re) {
        switch (R) {
          case Reduce::Sum: spmm_rows<scalar_t, index_t, Reduce::Sum>(rp, cp, v, vi, xp, op, ap, L, nnz, rb, re, err); break;
          case Reduce::Mean: spmm_rows<scalar_t, index_t, Reduce::Mean>(rp, cp, v, vi, xp, op, ap, L, nnz, rb, re, err); break;
          case Reduce::Max: spmm_rows<scalar_t, index_t, Reduce::Max>(rp, cp, v, vi, xp, op, ap, L, nnz, rb, re, err); break;
          case Reduce::Min: spmm_rows<scalar_t, index_t, Reduce::Min>(rp, cp, v, vi, xp, op, ap, L, nnz, rb, re, err); break;
        }
      });
    });
  });
  if (err.code.load() == kRowTooLong)
    TORCH_CHECK(false, "spmm: row ", err.where.load(), " has 2^31 or more entries, too many for max/min");
  raise_csr_error(err, "spmm", L.rows);
  return {out, arg};
}

// Backward of max/min SpMM. Output entry (i, f) came from the entry at position
// arg[i, f] of row i (or none, -1): its gradient flows to x[col, f] and to that
// entry's weight. For x, threads own disjoint feature ranges and walk the rows in
// order, so writes never collide and the summation order is the same for any
// thread count; the work is O(rows x features), not O(entries x features).
std::tuple<at::Tensor, at::Tensor> spmm_arg_backward_cpu(
    const at::Tensor& rowptr_in, const at::Tensor& col_in, const c10::optional<at::Tensor>& value_in,
    const at::Tensor& x_in, const at::Tensor& arg_in, const at::Tensor& grad_in, bool need_x,
    bool need_value) {
  const FeatureLayout L = check_spmm_arg_backward(rowptr_in, col_in, value_in, x_in, arg_in, grad_in);
  const at::Tensor rowptr = rowptr_in.contiguous(), col = col_in.contiguous(), x = x_in.contiguous();
  const at::Tensor arg = arg_in.contiguous(), grad = grad_in.contiguous();
  const int64_t num_rows = rowptr.numel() - 1, nnz = col.numel(), H = L.heads, D = L.dim, F = H * D;
  at::Tensor value;
  if (L.value_heads > 0) value = value_in->contiguous();
  const bool per_head = L.value_heads > 1;
  at::Tensor grad_x = need_x ? at::zeros_like(x) : at::empty({0}, x.options());
  at::Tensor grad_value = (need_value && value.defined()) ? at::zeros_like(value) : at::empty({0}, x.options());
  if (num_rows == 0 || F == 0) return {grad_x, grad_value};
  KernelError err;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "spmm_arg_backward", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    const index_t* cp = col.data_ptr<index_t>();
    check_rowptr_ends(rp, num_rows, nnz, "spmm_arg_backward");
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "spmm_arg_backward", [&] {
      const scalar_t* v = value.defined() ? value.data_ptr<scalar_t>() : nullptr;
      const scalar_t* g = grad.data_ptr<scalar_t>();
      const scalar_t* xp = x.data_ptr<scalar_t>();
      const int32_t* ap = arg.data_ptr<int32_t>();
      // the entry behind (i, f), or -1 when there is none; records malformed input
      auto entry = [&](int64_t i, int64_t f) -> int64_t {
        const int64_t pos = ap[i * F + f];
        if (pos < 0) return -1;
        const int64_t s = rp[i], e = rp[i + 1];
        if (s < 0 || e < s || e > nnz) { err.set(kBadRowptr, i); return -2; }
        if (s + pos >= e) { err.set(kArgOutOfRange, i, pos); return -2; }
        const int64_t j = cp[s + pos];
        if (j < 0 || j >= L.rows) { err.set(kColOutOfRange, s + pos, j); return -2; }
        return s + pos;
      };
      if (need_x) {
        scalar_t* gx = grad_x.data_ptr<scalar_t>();
        at::parallel_for(0, F, 1, [&](int64_t fb, int64_t fe) {
          for (int64_t i = 0; i < num_rows; ++i) {
            for (int64_t f = fb; f < fe; ++f) {
              const int64_t k = entry(i, f);
              if (k == -1) continue;
              if (k < 0) return;
              const scalar_t w = v ? (per_head ? v[k * H + f / D] : v[k]) : scalar_t(1);
              gx[(int64_t)cp[k] * F + f] += w * g[i * F + f];
            }
          }
        });
      }
      if (need_value && v) {
        scalar_t* gv = grad_value.data_ptr<scalar_t>();
        parallel_rows(rp, num_rows, 0, F, [&](int64_t rb, int64_t re) {
          for (int64_t i = rb; i < re; ++i) {
            for (int64_t f = 0; f < F; ++f) {
              const int64_t k = entry(i, f);
              if (k == -1) continue;
              if (k < 0) return;
              gv[per_head ? k * H + f / D : k] += g[i * F + f] * xp[(int64_t)cp[k] * F + f];
            }
          }
        });
      }
    });
  });
  if (err.code.load() == kArgOutOfRange)
    TORCH_CHECK(false, "spmm_arg_backward: arg entry ", err.value.load(), " of row ", err.where.load(),
                " does not point at an entry of that row");
  raise_csr_error(err, "spmm_arg_backward", L.rows);
  return {grad_x, grad_value};
}

}  // namespace

TORCH_LIBRARY_IMPL(graphlearn, CPU, m) {
  m.impl("spmm", &spmm_cpu);
  m.impl("spmm_arg_backward", &spmm_arg_backward_cpu);
}

}  // namespace cpu
}  // namespace graphlearn
