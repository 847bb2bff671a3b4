// Stable, parallel counting sort ("bucketing") of items by an integer key.
#pragma once

#include "../common.h"

namespace graphlearn {
namespace cpu {

// Number of chunks for a counting sort of `num_items` items into `num_keys`
// buckets: each chunk keeps its own histogram, so memory is chunks * num_keys;
// keep that within a small multiple of the input.
inline int64_t bucket_chunks(int64_t num_items, int64_t num_keys) {
  const int64_t threads = at::in_parallel_region() ? 1 : at::get_num_threads();
  if (threads <= 1 || num_items < (1 << 16)) return 1;
  const int64_t budget = 4 * num_items + (1 << 20);
  const int64_t by_memory = std::max<int64_t>(1, budget / (num_keys + 1));
  return std::min(threads, by_memory);
}

// Stable counting sort. `visit(chunk, emit)` must call `emit(key, item, aux)` for
// the items of chunk `chunk` (0 <= chunk < num_chunks) in their original order,
// identically on every call; keys must lie in [0, num_keys) (callers validate).
// Writes ptr[0..num_keys] (bucket offsets) and, at each item's sorted position,
// item_out[pos] = item and aux_out[pos] = aux (aux_out may be null).
// The result is identical for any number of chunks.
template <typename item_t, typename aux_t, typename Visit>
void stable_bucket_sort(int64_t num_chunks, int64_t num_keys, Visit&& visit, int64_t* ptr,
                        item_t* item_out, aux_t* aux_out) {
  if (num_chunks <= 1) {
    std::fill(ptr, ptr + num_keys + 1, 0);
    visit((int64_t)0, [&](int64_t key, item_t, aux_t) { ++ptr[key + 1]; });
    for (int64_t k = 0; k < num_keys; ++k) ptr[k + 1] += ptr[k];
    std::vector<int64_t> cursor(ptr, ptr + num_keys);
    visit((int64_t)0, [&](int64_t key, item_t item, aux_t aux) {
      const int64_t pos = cursor[key]++;
      item_out[pos] = item;
      if (aux_out) aux_out[pos] = aux;
    });
    return;
  }
  // hist[c * num_keys + k]: items of chunk c with key k; becomes chunk c's cursor.
  std::vector<int64_t> hist((size_t)(num_chunks * num_keys), 0);
  at::parallel_for(0, num_chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      int64_t* h = hist.data() + c * num_keys;
      visit(c, [&](int64_t key, item_t, aux_t) { ++h[key]; });
    }
  });
  // Totals per key, then offsets; chunk c's items of key k follow chunks < c.
  at::parallel_for(0, num_keys, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      int64_t total = 0;
      for (int64_t c = 0; c < num_chunks; ++c) total += hist[c * num_keys + k];
      ptr[k + 1] = total;
    }
  });
  ptr[0] = 0;
  for (int64_t k = 0; k < num_keys; ++k) ptr[k + 1] += ptr[k];
  at::parallel_for(0, num_keys, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      int64_t run = ptr[k];
      for (int64_t c = 0; c < num_chunks; ++c) {
        const int64_t n = hist[c * num_keys + k];
        hist[c * num_keys + k] = run;
        run += n;
      }
    }
  });
  at::parallel_for(0, num_chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      int64_t* cur = hist.data() + c * num_keys;
      visit(c, [&](int64_t key, item_t item, aux_t aux) {
        const int64_t pos = cur[key]++;
        item_out[pos] = item;
        if (aux_out) aux_out[pos] = aux;
      });
    }
  });
}

}  // namespace cpu
}  // namespace graphlearn
