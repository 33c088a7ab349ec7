#pragma once
// An invariant of a fuzz target. When it breaks, the condition is printed and the process
// aborts, so libFuzzer keeps the input as a crash (assert() would vanish under NDEBUG).
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition) \
  ((condition) ? (void)0 : ::posture::fuzz::broken(#condition, __FILE__, __LINE__))

namespace posture::fuzz {
[[noreturn]] inline void broken(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, condition);
  std::abort();
}
}  // namespace posture::fuzz
