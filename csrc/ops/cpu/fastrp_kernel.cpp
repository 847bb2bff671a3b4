// FastRP on the CPU: the very sparse random matrix R generated row by row from
// (seed, node key), and one fused propagation step
//   out = A x (or D^-1 A x),  acc += w * out / ||out||_row.
#include <torch/library.h>

#include <cmath>
#include <vector>

#include "../fastrp.h"
#include "hugepage.h"
#include "vec.h"

namespace graphlearn {
namespace cpu {
namespace {

// R[i, j] = +-sqrt(s / dim) with probability 1/(2s) each, else 0; times row_scale[i].
at::Tensor fastrp_random_cpu(const at::Tensor& keys_in, int64_t dim, double s, int64_t seed,
                             const c10::optional<at::Tensor>& row_scale_in) {
  check_fastrp_random(keys_in, dim, s, row_scale_in);
  const at::Tensor keys = keys_in.contiguous();
  at::Tensor row_scale;
  if (row_scale_in.has_value() && row_scale_in->defined()) row_scale = row_scale_in->contiguous();
  const int64_t n = keys.numel();
  at::Tensor out = at::empty({n, dim}, keys.options().dtype(at::kFloat));
  advise_huge_pages(out.data_ptr(), out.nbytes());  // gathered at random by the propagation
  const int64_t* kp = keys.data_ptr<int64_t>();
  const float* sp = row_scale.defined() ? row_scale.data_ptr<float>() : nullptr;
  float* op = out.data_ptr<float>();
  const double p = 1.0 / s, half = 0.5 / s;
  const float mag = (float)std::sqrt(s / (double)dim);
  at::parallel_for(0, n, std::max<int64_t>(1, (1 << 16) / dim), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const uint64_t base = fastrp_row_base(seed, kp[i]);
      const float m = sp ? mag * sp[i] : mag;
      float* o = op + i * dim;
      for (int64_t j = 0; j < dim; ++j) {
        const double u = fastrp_uniform(base, j);
        o[j] = u < half ? m : (u < p ? -m : 0.0f);
      }
    }
  });
  return out;
}

template <typename index_t, bool kMean>
void step_rows(const index_t* rowptr, const index_t* col, const float* value, const float* x, float* out,
               float* acc, const float* acc_scale, int64_t F, int64_t N, int64_t nnz, float w, bool normalize,
               int64_t rb, int64_t re, KernelError& err) {
  auto weight = [&](int64_t k) -> float { return value ? value[k] : 1.0f; };
  std::vector<float> scratch(out ? 0 : F);  // the row of out when out is not stored
  for (int64_t i = rb; i < re; ++i) {
    const int64_t s = rowptr[i], e = rowptr[i + 1];
    float* o = out ? out + i * F : scratch.data();
    if (s < 0 || e < s || e > nnz) { err.set(kBadRowptr, i); return; }
    for (int64_t k = s; k < e; ++k) {
      const int64_t j = col[k];
      if (j < 0 || j >= N) { err.set(kColOutOfRange, k, j); return; }
    }
    if (acc_scale) {  // acc[i] = acc_scale[i] * x[i] (acc may be uninitialised)
      float* a = acc + i * F;
      const float c = acc_scale[i];
      if (c == 0.0f)
        std::fill(a, a + F, 0.0f);
      else
        scale_to(a, x + i * F, c, F);
    }
    if (s == e) {
      if (out) std::fill(o, o + F, 0.0f);
      continue;  // an empty row adds nothing to acc
    }
    scale_to(o, x + (int64_t)col[s] * F, weight(s), F);
    int64_t k = s + 1;
    for (; k + 4 <= e; k += 4)
      axpy4(o, x + (int64_t)col[k] * F, x + (int64_t)col[k + 1] * F, x + (int64_t)col[k + 2] * F,
            x + (int64_t)col[k + 3] * F, weight(k), weight(k + 1), weight(k + 2), weight(k + 3), F);
    for (; k < e; ++k) axpy(o, x + (int64_t)col[k] * F, weight(k), F);
    if constexpr (kMean) {
      float total = 0.0f;
      if (value) {
        for (int64_t q = s; q < e; ++q) total += value[q];
      } else {
        total = (float)(e - s);
      }
      if (total != 0.0f) {
        const float inv = 1.0f / total;
        for (int64_t f = 0; f < F; ++f) o[f] *= inv;
      }
    }
    if (w != 0.0f) {
      float c = w;
      if (normalize) {
        const float nrm = std::sqrt(dot(o, o, F));
        c = nrm > 0.0f ? w / nrm : 0.0f;
      }
      if (c != 0.0f) axpy(acc + i * F, o, c, F);
    }
  }
}

at::Tensor fastrp_step_cpu(const at::Tensor& rowptr_in, const at::Tensor& col_in,
                           const c10::optional<at::Tensor>& value_in, const at::Tensor& x_in,
                           const c10::optional<at::Tensor>& acc_in, double weight, bool mean, bool normalize,
                           const c10::optional<at::Tensor>& acc_scale_in, bool keep_out) {
  check_fastrp_step(rowptr_in, col_in, value_in, x_in, acc_in, weight, acc_scale_in);
  const at::Tensor rowptr = rowptr_in.contiguous(), col = col_in.contiguous(), x = x_in.contiguous();
  at::Tensor value, acc_scale;
  if (value_in.has_value() && value_in->defined()) value = value_in->contiguous();
  if (acc_scale_in.has_value() && acc_scale_in->defined()) acc_scale = acc_scale_in->contiguous();
  const bool has_acc = acc_in.has_value() && acc_in->defined();
  const int64_t rows = rowptr.numel() - 1, nnz = col.numel(), F = x.size(1), N = x.size(0);
  at::Tensor out = at::empty({keep_out ? rows : 0, F}, x.options());
  if (rows == 0) return out;
  advise_huge_pages(out.data_ptr(), out.nbytes());  // the next step's x
  if (acc_scale.defined()) advise_huge_pages(acc_in->data_ptr(), acc_in->nbytes());  // first written here
  KernelError err;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "fastrp_step", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    const index_t* cp = col.data_ptr<index_t>();
    check_rowptr_ends(rp, rows, nnz, "fastrp_step");
    const float* v = value.defined() ? value.data_ptr<float>() : nullptr;
    const float* cs = acc_scale.defined() ? acc_scale.data_ptr<float>() : nullptr;
    const float* xp = x.data_ptr<float>();
    float* op = keep_out ? out.data_ptr<float>() : nullptr;
    float* ap = has_acc ? acc_in->data_ptr<float>() : nullptr;
    const float w = ap ? (float)weight : 0.0f;
    parallel_rows(rp, rows, F, 2 * F, [&](int64_t rb, int64_t re) {
      if (mean)
        step_rows<index_t, true>(rp, cp, v, xp, op, ap, cs, F, N, nnz, w, normalize, rb, re, err);
      else
        step_rows<index_t, false>(rp, cp, v, xp, op, ap, cs, F, N, nnz, w, normalize, rb, re, err);
    });
  });
  raise_csr_error(err, "fastrp_step", N);
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(graphlearn, CPU, m) {
  m.impl("fastrp_random", &fastrp_random_cpu);
  m.impl("fastrp_step", &fastrp_step_cpu);
}

}  // namespace cpu
}  // namespace graphlearn
