// CSR construction on the CPU: COO -> CSR (parallel stable counting sort,
// optional duplicate merging and self-loop removal), transpose and validation.
#include <torch/library.h>

#include "../csr.h"
#include "bucket.h"

namespace graphlearn {
namespace cpu {
namespace {

// Splits [0, n) into `chunks` contiguous equal pieces.
inline int64_t chunk_begin(int64_t n, int64_t chunks, int64_t c) { return n / chunks * c + std::min(c, n % chunks); }

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> coo_to_csr_cpu(
    const at::Tensor& row_in, const at::Tensor& col_in, int64_t num_rows, int64_t num_cols,
    bool dedupe, bool remove_self_loops) {
  check_coo_to_csr(row_in, col_in, num_rows, num_cols);
  const at::Tensor row = row_in.contiguous(), col = col_in.contiguous();
  const int64_t E = row.numel();
  const auto opts = row.options();
  at::Tensor rowptr_out, col_out, perm, slot;

  AT_DISPATCH_INDEX_TYPES(row.scalar_type(), "coo_to_csr", [&] {
    const index_t* r = row.data_ptr<index_t>();
    const index_t* c = col.data_ptr<index_t>();
    // 1. bounds
    KernelError err;
    at::parallel_for(0, E, 1 << 15, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) {
        if (r[k] < 0 || r[k] >= num_rows) { err.set(1, k, r[k]); return; }
        if (c[k] < 0 || c[k] >= num_cols) { err.set(2, k, c[k]); return; }
      }
    });
    if (err.code.load() == 1)
      TORCH_CHECK(false, "coo_to_csr: row index ", err.value.load(), " at position ", err.where.load(),
                  " is out of range [0, ", num_rows, ")");
    if (err.code.load() == 2)
      TORCH_CHECK(false, "coo_to_csr: column index ", err.value.load(), " at position ", err.where.load(),
                  " is out of range [0, ", num_cols, ")");

    // 2. stable bucket sort by row
    const int64_t chunks = bucket_chunks(E, num_rows);
    auto visit = [&](int64_t ch, auto&& emit) {
      const int64_t b = chunk_begin(E, chunks, ch), e = chunk_begin(E, chunks, ch + 1);
      for (int64_t k = b; k < e; ++k) {
        if (remove_self_loops && r[k] == c[k]) continue;
        emit((int64_t)r[k], (int64_t)k, c[k]);
      }
    };
    int64_t kept = E;
    if (remove_self_loops) {
      std::atomic<int64_t> loops{0};
      at::parallel_for(0, E, 1 << 15, [&](int64_t b, int64_t e) {
        int64_t n = 0;
        for (int64_t k = b; k < e; ++k) n += (r[k] == c[k]);
        loops += n;
      });
      kept = E - loops.load();
    }
    at::Tensor ptr64 = at::empty({num_rows + 1}, opts.dtype(at::kLong));
    perm = at::empty({kept}, opts.dtype(at::kLong));
    at::Tensor col_sorted = at::empty({kept}, opts);
    int64_t* ptr = ptr64.data_ptr<int64_t>();
    int64_t* p = perm.data_ptr<int64_t>();
    index_t* cs = col_sorted.data_ptr<index_t>();
    // Long rows (mean length > 8): two stable counting sorts, by column and then by
    // row (O(E + rows + cols), no comparisons); short rows: by row, then a comparison
    // sort inside each row. Both give columns ascending within rows, ties in input order.
    const bool two_pass = kept > 8 * num_rows && num_cols <= 4 * kept + (1 << 16);
    if (two_pass) {
      at::Tensor by_col = at::empty({kept}, opts.dtype(at::kLong));
      int64_t* pc = by_col.data_ptr<int64_t>();
      std::vector<int64_t> col_ptr((size_t)num_cols + 1);
      const int64_t col_chunks = bucket_chunks(E, num_cols);
      auto visit_col = [&](int64_t ch, auto&& emit) {
        const int64_t b = chunk_begin(E, col_chunks, ch), e = chunk_begin(E, col_chunks, ch + 1);
        for (int64_t k = b; k < e; ++k) {
          if (remove_self_loops && r[k] == c[k]) continue;
          emit((int64_t)c[k], (int64_t)k, (index_t)0);
        }
      };
      stable_bucket_sort<int64_t, index_t>(col_chunks, num_cols, visit_col, col_ptr.data(), pc, nullptr);
      const int64_t row_chunks = bucket_chunks(kept, num_rows);
      auto visit_row = [&](int64_t ch, auto&& emit) {
        const int64_t b = chunk_begin(kept, row_chunks, ch), e = chunk_begin(kept, row_chunks, ch + 1);
        for (int64_t t = b; t < e; ++t) {
          const int64_t k = pc[t];
          emit((int64_t)r[k], k, c[k]);
        }
      };
      stable_bucket_sort<int64_t, index_t>(row_chunks, num_rows, visit_row, ptr, p, cs);
    } else {
      stable_bucket_sort<int64_t, index_t>(chunks, num_rows, visit, ptr, p, cs);
    }

    // 3. sort columns inside each row (stable: ties keep input order); a no-op check
    // after the two-pass sort
    if (!two_pass) parallel_rows(ptr, num_rows, 2, 1, [&](int64_t rb, int64_t re) {
      std::vector<std::pair<index_t, int64_t>> buf;
      for (int64_t i = rb; i < re; ++i) {
        const int64_t s = ptr[i], e = ptr[i + 1];
        bool sorted = true;
        for (int64_t k = s + 1; k < e && sorted; ++k) sorted = cs[k - 1] <= cs[k];
        if (sorted) continue;
        buf.resize(e - s);
        for (int64_t k = s; k < e; ++k) buf[k - s] = {cs[k], p[k]};
        std::sort(buf.begin(), buf.end());
        for (int64_t k = s; k < e; ++k) { cs[k] = buf[k - s].first; p[k] = buf[k - s].second; }
      }
    });

    // 4. merge duplicates
    if (!dedupe) {
      rowptr_out = row.scalar_type() == at::kLong ? ptr64 : ptr64.to(row.scalar_type());
      col_out = col_sorted;
      slot = at::empty({0}, opts.dtype(at::kLong));
      return;
    }
    std::vector<int64_t> uniq(num_rows);
    parallel_rows(ptr, num_rows, 1, 1, [&](int64_t rb, int64_t re) {
      for (int64_t i = rb; i < re; ++i) {
        int64_t n = 0;
        for (int64_t k = ptr[i]; k < ptr[i + 1]; ++k) n += (k == ptr[i] || cs[k] != cs[k - 1]);
        uniq[i] = n;
      }
    });
    at::Tensor optr64 = at::empty({num_rows + 1}, opts.dtype(at::kLong));
    int64_t* optr = optr64.data_ptr<int64_t>();
    exclusive_scan(uniq.data(), num_rows, optr);
    col_out = at::empty({optr[num_rows]}, opts);
    slot = at::empty({kept}, opts.dtype(at::kLong));
    index_t* co = col_out.data_ptr<index_t>();
    int64_t* sl = slot.data_ptr<int64_t>();
    parallel_rows(ptr, num_rows, 1, 1, [&](int64_t rb, int64_t re) {
      for (int64_t i = rb; i < re; ++i) {
        int64_t out = optr[i] - 1;
        for (int64_t k = ptr[i]; k < ptr[i + 1]; ++k) {
          if (k == ptr[i] || cs[k] != cs[k - 1]) co[++out] = cs[k];
          sl[k] = out;
        }
      }
    });
    rowptr_out = row.scalar_type() == at::kLong ? optr64 : optr64.to(row.scalar_type());
  });
  return {rowptr_out, col_out, perm, slot};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> csr_transpose_cpu(const at::Tensor& rowptr_in,
                                                                 const at::Tensor& col_in,
                                                                 int64_t num_cols) {
  check_csr_transpose(rowptr_in, col_in, num_cols);
  const at::Tensor rowptr = rowptr_in.contiguous(), col = col_in.contiguous();
  const int64_t num_rows = rowptr.numel() - 1, E = col.numel();
  at::Tensor rowptr_t, col_t, perm;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "csr_transpose", [&] {
    const index_t* rp = rowptr.data_ptr<index_t>();
    const index_t* c = col.data_ptr<index_t>();
    validate_csr(rp, c, num_rows, E, num_cols, "csr_transpose");
    const int64_t chunks = std::min<int64_t>(bucket_chunks(E, num_cols), std::max<int64_t>(num_rows, 1));
    // chunk boundaries over rows with equal numbers of entries
    std::vector<int64_t> rb(chunks + 1, num_rows);
    rb[0] = 0;
    for (int64_t ch = 1; ch < chunks; ++ch) {
      const int64_t target = chunk_begin(E, chunks, ch);
      rb[ch] = std::upper_bound(rp, rp + num_rows + 1, (index_t)target) - rp - 1;
      rb[ch] = std::max(rb[ch], rb[ch - 1]);
    }
    auto visit = [&](int64_t ch, auto&& emit) {
      for (int64_t i = rb[ch]; i < rb[ch + 1]; ++i)
        for (int64_t k = rp[i]; k < rp[i + 1]; ++k) emit((int64_t)c[k], k, (index_t)i);
    };
    at::Tensor ptr64 = at::empty({num_cols + 1}, rowptr.options().dtype(at::kLong));
    perm = at::empty({E}, rowptr.options().dtype(at::kLong));
    col_t = at::empty({E}, col.options());
    stable_bucket_sort<int64_t, index_t>(chunks, num_cols, visit, ptr64.data_ptr<int64_t>(),
                                          perm.data_ptr<int64_t>(), col_t.data_ptr<index_t>());
    rowptr_t = rowptr.scalar_type() == at::kLong ? ptr64 : ptr64.to(rowptr.scalar_type());
  });
  return {rowptr_t, col_t, perm};
}

bool csr_validate_cpu(const at::Tensor& rowptr_in, const at::Tensor& col_in, int64_t num_cols) {
  check_csr_validate(rowptr_in, col_in);
  const at::Tensor rowptr = rowptr_in.contiguous(), col = col_in.contiguous();
  bool sorted = true;
  AT_DISPATCH_INDEX_TYPES(rowptr.scalar_type(), "csr_validate", [&] {
    sorted = validate_csr(rowptr.data_ptr<index_t>(), col.data_ptr<index_t>(), rowptr.numel() - 1,
                          col.numel(), num_cols, "csr_validate");
  });
  return sorted;
}

}  // namespace

TORCH_LIBRARY_IMPL(graphlearn, CPU, m) {
  m.impl("coo_to_csr", &coo_to_csr_cpu);
  m.impl("csr_transpose", &csr_transpose_cpu);
  m.impl("csr_validate", &csr_validate_cpu);
}

}  // namespace cpu
}  // namespace graphlearn
