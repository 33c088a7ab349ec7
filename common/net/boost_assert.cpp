// Where a failed BOOST_ASSERT goes in builds with assertions on (Debug, the sanitizer suite, the
// fuzz targets). Release builds define NDEBUG, and BOOST_ENABLE_ASSERT_DEBUG_HANDLER then turns
// every BOOST_ASSERT off, as before.
//
// Why a handler at all: Beast 1.74's chunked-body parser asserts `n >= 5` when it re-enters a
// last chunk ("0\r\n") that arrived without the CRLF of an earlier chunk in front of it. With
// three bytes in hand and then one more, n is 4. The code after the assert is correct for
// n >= 3 (the bytes were checked on the first pass, and the end of the message is searched
// for afterwards); the assert itself is wrong. Beast fixed it in 1.86 (boostorg/beast#2861).
// Without this handler a peer sending "0\r\n" and then one byte at a time aborts any build with
// assertions on: the collector's listeners, and the agent and the upstream client reading a
// rogue server's chunked answer. The fuzz target http_framing_fuzz found it.
//
// Every other assertion aborts, with the same message as Boost's default.
#include <boost/assert.hpp>
#include <boost/version.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {
// True for the one assertion known to be wrong in this Boost (see above).
bool knownFalseBoostAssertion(const char* expr, const char* function, const char* file) {
#if BOOST_VERSION < 108600
  return std::strcmp(expr, "n >= 5") == 0 && std::strstr(function, "parse_chunk_header") &&
         std::strstr(file, "beast/http/impl/basic_parser.ipp");
#else
  (void)expr, (void)function, (void)file;
  return false;
#endif
}
}  // namespace

namespace boost {
void assertion_failed_msg(const char* expr, const char* msg, const char* function, const char* file,
                          long line) {
  if (knownFalseBoostAssertion(expr, function, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s.\n", file, line, function, expr,
               msg ? ": " : "", msg ? msg : "");
  std::fflush(stderr);
  std::abort();
}

void assertion_failed(const char* expr, const char* function, const char* file, long line) {
  assertion_failed_msg(expr, nullptr, function, file, line);
}
}  // namespace boost
