// Shared helpers for graphlearn's kernels: input checks, error collection inside
// parallel regions, and work partitioning over CSR rows.
#pragma once

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace graphlearn {

// ---------------------------------------------------------------------------
// Input checks (device independent). Messages name the argument.
// ---------------------------------------------------------------------------

inline void check_index_tensor(const at::Tensor& t, const char* name) {
  TORCH_CHECK(t.scalar_type() == at::kLong || t.scalar_type() == at::kInt,
              name, " must be an int32 or int64 tensor, got ", t.scalar_type());
  TORCH_CHECK(t.dim() == 1, name, " must be 1-D, got shape ", t.sizes());
}

inline void check_csr_tensors(const at::Tensor& rowptr, const at::Tensor& col,
                              const char* rowptr_name = "rowptr",
                              const char* col_name = "col") {
  check_index_tensor(rowptr, rowptr_name);
  check_index_tensor(col, col_name);
  TORCH_CHECK(rowptr.scalar_type() == col.scalar_type(), rowptr_name, " and ", col_name,
              " must have the same dtype, got ", rowptr.scalar_type(), " and ",
              col.scalar_type());
  TORCH_CHECK(rowptr.numel() >= 1, rowptr_name,
              " must have num_rows + 1 >= 1 entries, got an empty tensor");
  TORCH_CHECK(rowptr.device() == col.device(), rowptr_name, " and ", col_name,
              " must be on the same device");
}

inline void check_same_device(const at::Tensor& a, const at::Tensor& b, const char* a_name,
                              const char* b_name) {
  TORCH_CHECK(a.device() == b.device(), a_name, " (", a.device(), ") and ", b_name, " (",
              b.device(), ") must be on the same device");
}

inline void check_float_tensor(const at::Tensor& t, const char* name) {
  TORCH_CHECK(t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble, name,
              " must be float32 or float64, got ", t.scalar_type());
}

// Layout of features as [rows, heads, dim] and of edge weights as [nnz, heads]
// (value_heads is 0 without weights, 1 for one weight per edge broadcast over all
// features, or `heads` for one weight per edge and head). Shared by SpMM and SDDMM.
struct FeatureLayout {
  int64_t rows;
  int64_t heads;
  int64_t dim;
  int64_t value_heads;
};

// ---------------------------------------------------------------------------
// Errors found inside a parallel region. Kernels record the first problem they
// see and keep going (no throwing from worker threads); the caller raises after
// the region with a message naming the argument and position.
// ---------------------------------------------------------------------------

enum ErrorCode : int {
  kOk = 0,
  kBadRowptr = 1,    // rowptr[i] > rowptr[i+1], negative, or beyond col.numel()
  kColOutOfRange = 2,
  kIndexOutOfRange = 3,
  kArgOutOfRange = 4,
  kRowTooLong = 5,
};

struct KernelError {
  std::atomic<int> code{kOk};
  std::atomic<int64_t> where{-1};
  std::atomic<int64_t> value{0};

  void set(int c, int64_t w, int64_t v = 0) {
    int expected = kOk;
    if (code.compare_exchange_strong(expected, c)) {
      where.store(w);
      value.store(v);
    }
  }
  bool ok() const { return code.load(std::memory_order_relaxed) == kOk; }
};

// Raises with a readable message for errors recorded while walking a CSR.
inline void raise_csr_error(const KernelError& err, const char* op, int64_t num_cols,
                            const char* index_name = "index", int64_t index_bound = 0) {
  switch (err.code.load()) {
    case kOk:
      return;
    case kBadRowptr:
      TORCH_CHECK(false, op, ": rowptr is not a valid CSR row pointer at row ", err.where.load(),
                  " (it must start at 0, be non-decreasing and end at col.numel())");
    case kColOutOfRange:
      TORCH_CHECK(false, op, ": col[", err.where.load(), "] = ", err.value.load(),
                  " is out of range for ", num_cols, " columns");
    case kIndexOutOfRange:
      TORCH_CHECK(false, op, ": ", index_name, "[", err.where.load(), "] = ", err.value.load(),
                  " is out of range [0, ", index_bound, ")");
    default:
      TORCH_CHECK(false, op, ": internal error code ", err.code.load());
  }
}

// Checks the two ends of rowptr; per-row monotonicity is checked inside kernels.
template <typename index_t>
inline void check_rowptr_ends(const index_t* rowptr, int64_t num_rows, int64_t nnz,
                              const char* op) {
  TORCH_CHECK(rowptr[0] == 0, op, ": rowptr[0] must be 0, got ", (int64_t)rowptr[0]);
  TORCH_CHECK((int64_t)rowptr[num_rows] == nnz, op, ": rowptr[-1] = ",
              (int64_t)rowptr[num_rows], " must equal the number of stored entries ", nnz);
}

// ---------------------------------------------------------------------------
// Work partitioning
// ---------------------------------------------------------------------------

// Calls fn(row_begin, row_end) on disjoint row ranges covering [0, num_rows), in
// parallel, with ranges of roughly equal cost where the cost of a row is
// `row_cost + edge_cost * degree`. Each row is handled by exactly one call, so a
// kernel that writes only its own rows is deterministic for any thread count.
// An invalid rowptr still yields valid, disjoint ranges (kernels then report it).
template <typename index_t, typename F>
void parallel_rows(const index_t* rowptr, int64_t num_rows, int64_t edge_cost,
                   int64_t row_cost, F&& fn) {
  if (num_rows <= 0) return;
  const int64_t nnz = std::max<int64_t>(0, (int64_t)rowptr[num_rows]);
  const int64_t total = nnz * edge_cost + num_rows * row_cost;
  const int64_t threads = at::get_num_threads();
  constexpr int64_t kSerialWork = 1 << 15;
  if (threads <= 1 || total < kSerialWork || at::in_parallel_region()) {
    fn((int64_t)0, num_rows);
    return;
  }
  const int64_t chunks = std::min<int64_t>(threads, num_rows);
  std::vector<int64_t> bounds(chunks + 1, 0);
  bounds[chunks] = num_rows;
  for (int64_t c = 1; c < chunks; ++c) {
    const int64_t target = total / chunks * c;
    // first row r whose prefix cost reaches target
    int64_t lo = bounds[c - 1], hi = num_rows;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      const int64_t cost = (int64_t)rowptr[mid] * edge_cost + mid * row_cost;
      if (cost < target)
        lo = mid + 1;
      else
        hi = mid;
    }
    bounds[c] = lo;
  }
  at::parallel_for(0, chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c)
      if (bounds[c] < bounds[c + 1]) fn(bounds[c], bounds[c + 1]);
  });
}

// Dynamic scheduling for items of very uneven cost: each worker creates its
// scratch state with init() once, then takes blocks of `block` items from a
// shared counter and calls fn(state, begin, end). fn must only write outputs of
// its own items, which keeps results independent of the schedule.
template <typename Init, typename F>
void parallel_dynamic_state(int64_t n, int64_t block, Init&& init, F&& fn) {
  if (n <= 0) return;
  const int64_t threads = at::get_num_threads();
  if (threads <= 1 || n <= block || at::in_parallel_region()) {
    auto state = init();
    fn(state, (int64_t)0, n);
    return;
  }
  std::atomic<int64_t> next{0};
  at::parallel_for(0, threads, 1, [&](int64_t, int64_t) {
    auto state = init();
    while (true) {
      const int64_t b = next.fetch_add(block);
      if (b >= n) break;
      fn(state, b, std::min(n, b + block));
    }
  });
}

// Exclusive prefix sum of counts[0..n) into out[0..n] (out[n] = total).
inline void exclusive_scan(const int64_t* counts, int64_t n, int64_t* out) {
  int64_t run = 0;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = run;
    run += counts[i];
  }
  out[n] = run;
}

}  // namespace graphlearn

namespace graphlearn {

// Full validation of a CSR structure: rowptr starts at 0, is non-decreasing and
// ends at nnz; every column lies in [0, num_cols). Raises naming the problem.
// Returns true when columns are sorted (non-decreasing) within every row.
template <typename index_t>
bool validate_csr(const index_t* rowptr, const index_t* col, int64_t num_rows, int64_t nnz,
                  int64_t num_cols, const char* op) {
  check_rowptr_ends(rowptr, num_rows, nnz, op);
  KernelError err;
  std::atomic<bool> sorted{true};
  parallel_rows(rowptr, num_rows, 1, 1, [&](int64_t rb, int64_t re) {
    bool local_sorted = true;
    for (int64_t i = rb; i < re; ++i) {
      const int64_t s = rowptr[i], e = rowptr[i + 1];
      if (s < 0 || e < s || e > nnz) {
        err.set(kBadRowptr, i);
        return;
      }
      for (int64_t k = s; k < e; ++k) {
        const int64_t c = col[k];
        if (c < 0 || c >= num_cols) {
          err.set(kColOutOfRange, k, c);
          return;
        }
        if (k > s && c < (int64_t)col[k - 1]) local_sorted = false;
      }
    }
    if (!local_sorted) sorted.store(false);
  });
  raise_csr_error(err, op, num_cols);
  return sorted.load();
}

}  // namespace graphlearn
