// Bounded breadth-first search from a set of roots on the CPU.
#include <torch/library.h>

#include "../khop_distances.h"

namespace graphlearn {
namespace cpu {
namespace {

// Visits nodes within k hops of `root` level by level; calls visit(node, dist)
// once per reached node (the root first, with distance 0). `seen(node)` tells
// whether a node was reached already, `mark(node)` records it.
template <typename index_t, typename Seen, typename Mark, typename Visit>
void bfs(const index_t* rp, const index_t* cp, int64_t num_rows, int64_t nnz, int64_t root, int64_t k,
         std::vector<int64_t>& frontier, std::vector<int64_t>& next, KernelError& err, Seen&& seen,
         Mark&& mark, Visit&& visit) {
  frontier.assign(1, root);
  mark(root);
  visit(root, 0);
  for (int64_t level = 1; level <= k && !frontier.empty(); ++level) {
    next.clear();
    for (const int64_t v : frontier) {
      const int64_t s = rp[v], e = rp[v + 1];
      if (s < 0 || e < s || e > nnz) { err.set(kBadRowptr, v); return; }
      for (int64_t q = s; q < e; ++q) {
        const int64_t u = cp[q];
        if (u < 0 || u >= num_rows) { err.set(kColOutOfRange, q, u); return; }
        if (seen(u)) continue;
        mark(u);
        visit(u, level);
        next.push_back(u);
      }
    }
    frontier.swap(next);
  }
}

void check_roots(const int64_t* roots, int64_t R, int64_t num_rows, const char* op) {
  for (int64_t r = 0; r < R; ++r)
    TORCH_CHECK(roots[r] >= 0 && roots[r] < num_rows, op, ": roots[", r, "] = ", roots[r],
                " is not a node id in [0, ", num_rows, ")");
}

// [R, N] distances; nodes farther than k hops (or unreachable) get k + 1.
at::Tensor khop_dense_cpu(const at::Tensor& rowptr_in, const at::Tensor& col_in, const at::Tensor& roots_in,
                          int64_t k) {
  check_khop(rowptr_in, col_in, roots_in, k, "khop_distances");
  const at::Tensor rowptr = rowptr_in.contiguous(), col = col_in.contiguous(), roots = roots_in.contiguous();
  const int64_t num_rows = rowptr.numel() - 1, nnz = col.numel(), R = roots.numel();
  const int64_t* rt = roots.data_ptr<int64_t>();
  check_roots(rt, R, num_rows, "khop_distances");
  at::Tensor out = at::full({R, num_rows}, k + 1, roots.options());
  int64_t* op = out.data_ptr<int64_t>();
  KernelError err;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "khop_distances", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    const index_t* cp = col.data_ptr<index_t>();
    check_rowptr_ends(rp, num_rows, nnz, "khop_distances");
    using Scratch = std::pair<std::vector<int64_t>, std::vector<int64_t>>;
    parallel_dynamic_state(R, 1, [] { return Scratch(); }, [&](Scratch& sc, int64_t b, int64_t e) {
      auto& [frontier, next] = sc;
      for (int64_t r = b; r < e; ++r) {
        int64_t* d = op + r * num_rows;
        bfs(rp, cp, num_rows, nnz, rt[r], k, frontier, next, err,
            [&](int64_t u) { return d[u] <= k; }, [&](int64_t) {},
            [&](int64_t u, int64_t dist) { d[u] = dist; });
      }
    });
  });
  raise_csr_error(err, "khop_distances", num_rows);
  return out;
}

// Sparse form: for root r, the nodes within k hops in increasing id order, at
// node[ptr[r]:ptr[r+1]], with their distances in dist.
std::tuple<at::Tensor, at::Tensor, at::Tensor> khop_sparse_cpu(const at::Tensor& rowptr_in,
                                                               const at::Tensor& col_in,
                                                               const at::Tensor& roots_in, int64_t k) {
  check_khop(rowptr_in, col_in, roots_in, k, "khop_distances_sparse");
  const at::Tensor rowptr = rowptr_in.contiguous(), col = col_in.contiguous(), roots = roots_in.contiguous();
  const int64_t num_rows = rowptr.numel() - 1, nnz = col.numel(), R = roots.numel();
  const int64_t* rt = roots.data_ptr<int64_t>();
  check_roots(rt, R, num_rows, "khop_distances_sparse");
  at::Tensor ptr = at::empty({R + 1}, roots.options());
  at::Tensor node, dist;
  KernelError err;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "khop_distances_sparse", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    const index_t* cp = col.data_ptr<index_t>();
    check_rowptr_ends(rp, num_rows, nnz, "khop_distances_sparse");
    std::vector<std::vector<std::pair<int64_t, int64_t>>> found(R);
    struct Scratch {
      std::vector<int64_t> frontier, next, stamp;  // stamp: root that last reached a node
    };
    parallel_dynamic_state(R, 1, [&] { return Scratch{{}, {}, std::vector<int64_t>(num_rows, -1)}; },
                           [&](Scratch& sc, int64_t b, int64_t e) {
      auto& frontier = sc.frontier;
      auto& next = sc.next;
      auto& stamp = sc.stamp;
      for (int64_t r = b; r < e; ++r) {
        auto& f = found[r];
        bfs(rp, cp, num_rows, nnz, rt[r], k, frontier, next, err,
            [&](int64_t u) { return stamp[u] == r; }, [&](int64_t u) { stamp[u] = r; },
            [&](int64_t u, int64_t dd) { f.emplace_back(u, dd); });
        std::sort(f.begin(), f.end());
      }
    });
    int64_t* pp = ptr.data_ptr<int64_t>();
    pp[0] = 0;
    for (int64_t r = 0; r < R; ++r) pp[r + 1] = pp[r] + (int64_t)found[r].size();
    node = at::empty({pp[R]}, col.options());
    dist = at::empty({pp[R]}, roots.options());
    index_t* np = node.data_ptr<index_t>();
    int64_t* dp = dist.data_ptr<int64_t>();
    at::parallel_for(0, R, 16, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        int64_t pos = pp[r];
        for (const auto& [u, dd] : found[r]) {
          np[pos] = (index_t)u;
          dp[pos++] = dd;
        }
      }
    });
  });
  raise_csr_error(err, "khop_distances_sparse", num_rows);
  return {ptr, node, dist};
}

}  // namespace

TORCH_LIBRARY_IMPL(graphlearn, CPU, m) {
  m.impl("khop_distances", &khop_dense_cpu);
  m.impl("khop_distances_sparse", &khop_sparse_cpu);
}

}  // namespace cpu
}  // namespace graphlearn
