// Common neighbours of node pairs on the CPU: sorted-list intersection (and set
// differences) with galloping search when one list is much longer.
#include <torch/library.h>

#include "../common_neighbors.h"
#include "vec.h"

namespace graphlearn {
namespace cpu {
namespace {

// First position >= pos in sorted b[0..nb) whose value is >= x.
template <typename index_t>
inline int64_t advance_to(const index_t* b, int64_t pos, int64_t nb, index_t x, bool gallop) {
  if (!gallop) {
    while (pos < nb && b[pos] < x) ++pos;
    return pos;
  }
  if (pos >= nb || b[pos] >= x) return pos;
  int64_t lo = pos, step = 1, hi = pos + 1;  // invariant: b[lo] < x
  while (hi < nb && b[hi] < x) {
    lo = hi;
    step <<= 1;
    hi = lo + step;
  }
  hi = std::min(hi, nb);
  return std::lower_bound(b + lo + 1, b + hi, x) - b;
}

// mode 0: distinct values of a that are in b; mode 1: distinct values of a that
// are not in b. Calls emit(value) in increasing order. Both lists sorted.
template <typename index_t, typename Emit>
inline void merge_sets(const index_t* a, int64_t na, const index_t* b, int64_t nb, int64_t mode,
                       Emit&& emit) {
  if (mode == 0 && na > nb) {
    std::swap(a, b);
    std::swap(na, nb);
  }
  const bool gallop = nb > 16 * na;
  int64_t pb = 0;
  for (int64_t pa = 0; pa < na; ++pa) {
    const index_t x = a[pa];
    if (pa > 0 && a[pa - 1] == x) continue;  // duplicate edge
    pb = advance_to(b, pb, nb, x, gallop);
    const bool found = pb < nb && b[pb] == x;
    if (found == (mode == 0)) emit(x);
    if (mode == 0 && pb >= nb) break;
  }
}

struct PairView {
  const int64_t* src;
  const int64_t* dst;
  int64_t num_pairs;
};

// Runs fn(p, a, na, b, nb, scratch) for every pair, with the two neighbour lists
// already ordered for `mode` and a per-worker scratch vector; validates pair ids
// and the rowptr entries of the rows used.
template <typename index_t, typename F>
void for_each_pair(const index_t* rp, const index_t* cp, int64_t num_rows, int64_t nnz,
                   const int64_t* src, const int64_t* dst, int64_t P, int64_t mode, KernelError& err,
                   F&& fn) {
  parallel_dynamic_state(P, 256, [] { return std::vector<index_t>(); },
                         [&](std::vector<index_t>& scratch, int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; ++p) {
      int64_t i = src[p], j = dst[p];
      if (i < 0 || i >= num_rows) { err.set(kIndexOutOfRange, p, i); return; }
      if (j < 0 || j >= num_rows) { err.set(kIndexOutOfRange, P + p, j); return; }
      if (mode == 2) std::swap(i, j);
      const int64_t si = rp[i], ei = rp[i + 1], sj = rp[j], ej = rp[j + 1];
      if (si < 0 || ei < si || ei > nnz) { err.set(kBadRowptr, i); return; }
      if (sj < 0 || ej < sj || ej > nnz) { err.set(kBadRowptr, j); return; }
      fn(p, cp + si, ei - si, cp + sj, ej - sj, scratch);
    }
  });
}

at::Tensor cn_count_cpu(const at::Tensor& rowptr_in, const at::Tensor& col_in, const at::Tensor& src_in,
                        const at::Tensor& dst_in, int64_t mode) {
  check_pairs(rowptr_in, col_in, src_in, dst_in, mode, "common_neighbors");
  const at::Tensor rowptr = rowptr_in.contiguous(), col = col_in.contiguous();
  const at::Tensor src = src_in.contiguous(), dst = dst_in.contiguous();
  const int64_t P = src.numel(), num_rows = rowptr.numel() - 1, nnz = col.numel();
  at::Tensor out = at::empty({P}, src.options());
  int64_t* op = out.data_ptr<int64_t>();
  KernelError err;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "common_neighbors", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    check_rowptr_ends(rp, num_rows, nnz, "common_neighbors");
    for_each_pair(rp, col.data_ptr<index_t>(), num_rows, nnz, src.data_ptr<int64_t>(),
                  dst.data_ptr<int64_t>(), P, mode, err,
                  [&](int64_t p, const index_t* a, int64_t na, const index_t* b, int64_t nb, auto&) {
                    int64_t n = 0;
                    merge_sets(a, na, b, nb, mode, [&](index_t) { ++n; });
                    op[p] = n;
                  });
  });
  raise_pair_error(err, "common_neighbors", num_rows, P);
  return out;
}

std::tuple<at::Tensor, at::Tensor> cn_sets_cpu(const at::Tensor& rowptr_in, const at::Tensor& col_in,
                                               const at::Tensor& src_in, const at::Tensor& dst_in,
                                               int64_t mode) {
  at::Tensor counts = cn_count_cpu(rowptr_in, col_in, src_in, dst_in, mode);
  const at::Tensor rowptr = rowptr_in.contiguous(), col = col_in.contiguous();
  const at::Tensor src = src_in.contiguous(), dst = dst_in.contiguous();
  const int64_t P = src.numel(), num_rows = rowptr.numel() - 1, nnz = col.numel();
  at::Tensor ptr = at::empty({P + 1}, src.options());
  int64_t* pp = ptr.data_ptr<int64_t>();
  exclusive_scan(counts.data_ptr<int64_t>(), P, pp);
  at::Tensor nodes = at::empty({pp[P]}, col.options());
  KernelError err;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "common_neighbor_sets", [&] {
    index_t* np = nodes.data_ptr<index_t>();
    for_each_pair(rowptr.data_ptr<index_t>(), col.data_ptr<index_t>(), num_rows, nnz,
                  src.data_ptr<int64_t>(), dst.data_ptr<int64_t>(), P, mode, err,
                  [&](int64_t p, const index_t* a, int64_t na, const index_t* b, int64_t nb, auto&) {
                    int64_t pos = pp[p];
                    merge_sets(a, na, b, nb, mode, [&](index_t u) { np[pos++] = u; });
                  });
  });
  raise_pair_error(err, "common_neighbor_sets", num_rows, P);
  return {ptr, nodes};
}

// out[p] = sum of x[u] over the common neighbours u of pair p (or a set difference).
at::Tensor cn_sum_cpu(const at::Tensor& rowptr_in, const at::Tensor& col_in, const at::Tensor& src_in,
                      const at::Tensor& dst_in, const at::Tensor& x_in, int64_t mode) {
  check_common_neighbors_sum(rowptr_in, col_in, src_in, dst_in, x_in, mode);
  const at::Tensor rowptr = rowptr_in.contiguous(), col = col_in.contiguous(), x = x_in.contiguous();
  const at::Tensor src = src_in.contiguous(), dst = dst_in.contiguous();
  const int64_t P = src.numel(), num_rows = rowptr.numel() - 1, nnz = col.numel();
  const int64_t N = x.size(0), F = x.size(1);
  at::Tensor out = at::zeros({P, F}, x.options());
  KernelError err;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "common_neighbors_sum", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    check_rowptr_ends(rp, num_rows, nnz, "common_neighbors_sum");
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "common_neighbors_sum", [&] {
      const scalar_t* xp = x.data_ptr<scalar_t>();
      scalar_t* op = out.data_ptr<scalar_t>();
      // the set of a pair is collected first, then summed four rows at a time
      for_each_pair(rp, col.data_ptr<index_t>(), num_rows, nnz, src.data_ptr<int64_t>(),
                    dst.data_ptr<int64_t>(), P, mode, err,
                    [&](int64_t p, const index_t* a, int64_t na, const index_t* b, int64_t nb,
                        std::vector<index_t>& buf) {
                      buf.clear();
                      merge_sets(a, na, b, nb, mode, [&](index_t u) { buf.push_back(u); });
                      for (const index_t u : buf)
                        if (u < 0 || u >= N) {
                          err.set(kColOutOfRange, p, u);
                          return;
                        }
                      scalar_t* o = op + p * F;
                      const int64_t n = (int64_t)buf.size();
                      int64_t q = 0;
                      for (; q + 4 <= n; q += 4)
                        axpy4(o, xp + (int64_t)buf[q] * F, xp + (int64_t)buf[q + 1] * F, xp + (int64_t)buf[q + 2] * F,
                              xp + (int64_t)buf[q + 3] * F, scalar_t(1), scalar_t(1), scalar_t(1), scalar_t(1), F);
                      for (; q < n; ++q) axpy(o, xp + (int64_t)buf[q] * F, scalar_t(1), F);
                    });
    });
  });
  if (err.code.load() == kColOutOfRange)
    TORCH_CHECK(false, "common_neighbors_sum: neighbour ", err.value.load(), " of pair ", err.where.load(),
                " has no row in x (x has ", N, " rows)");
  raise_pair_error(err, "common_neighbors_sum", num_rows, P);
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(graphlearn, CPU, m) {
  m.impl("common_neighbors", &cn_count_cpu);
  m.impl("common_neighbor_sets", &cn_sets_cpu);
  m.impl("common_neighbors_sum", &cn_sum_cpu);
}

}  // namespace cpu
}  // namespace graphlearn
