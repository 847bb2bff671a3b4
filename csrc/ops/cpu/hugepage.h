// Transparent huge pages for large, freshly allocated dense buffers.
//
// FastRP's propagation gathers one row of x per stored entry, at random: with 4 KiB
// pages almost every gather of a multi-GB x misses the TLB. Asking the kernel for
// 2 MiB pages (MADV_HUGEPAGE: THP in "madvise" mode, the common default) before the
// buffer is first written makes its page faults map huge pages. It is only a hint:
// without THP, or on other systems, nothing happens.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace graphlearn {
namespace cpu {

inline void advise_huge_pages(void* data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  if (data == nullptr || bytes < 4 * kHuge) return;
  const uintptr_t begin = ((uintptr_t)data + kHuge - 1) & ~(kHuge - 1);  // whole huge pages inside
  const uintptr_t end = ((uintptr_t)data + bytes) & ~(kHuge - 1);
  if (end > begin) (void)madvise((void*)begin, end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

}  // namespace cpu
}  // namespace graphlearn
