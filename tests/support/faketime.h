#pragma once
// ASAN_OPTIONS for a program run under libfaketime (LD_PRELOAD, or the `faketime` wrapper):
// the test's own options plus the two that preloading needs under AddressSanitizer.
// Header-only; every test program may include it.
//  - verify_asan_link_order=0: ASan wants its runtime first; libfaketime is preloaded before.
//  - allocator_release_to_os_interval_ms=-1: clang 14's ASan allocator reads the monotonic
//    clock while holding a size class's lock; libfaketime's clock_gettime then looks up the
//    real one with dlsym, which allocates from that same size class and the program hangs
//    at its first allocations. The option only stops freed memory being returned to the
//    system, which no check depends on. GCC's shared libasan does not need it.
#include <cstdlib>
#include <string>

namespace posture::test {

inline std::string asanOptionsUnderFaketime() {
  const char* own = std::getenv("ASAN_OPTIONS");
  std::string options = own ? own : "";
  if (!options.empty()) options += ":";
  return options + "verify_asan_link_order=0:allocator_release_to_os_interval_ms=-1";
}

}  // namespace posture::test
