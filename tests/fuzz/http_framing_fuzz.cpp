// The bytes a client sends on one connection, framed as the collector's HTTPS server does
// (common/net/http_framing.h). The first byte picks how the stream is split into reads;
// the requests must be the same as when it is read in one piece, the limits must hold
// (on the head and trailers too: Beast alone holds neither) and a refusal is 400, 413 or
// 431.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/net/http_framing.h"
#include "tests/fuzz/invariant.h"

using namespace posture::net;

namespace {
// Small limits, so that 4 KiB inputs reach them; the server's own are 1 MiB and 16 KiB.
constexpr FramingLimits kLimits{512, 256};

bool sameRequest(const http::request<http::string_body>& a,
                 const http::request<http::string_body>& b) {
  if (a.method_string() != b.method_string() || a.target() != b.target() ||
      a.version() != b.version() || a.body() != b.body()) {
    return false;
  }
  auto i = a.begin(), j = b.begin();
  for (; i != a.end() && j != b.end(); ++i, ++j) {
    if (i->name_string() != j->name_string() || i->value() != j->value()) return false;
  }
  return i == a.end() && j == b.end();
}

// The request line and fields (trailers included) as written, without optional
// whitespace: at most what was received.
std::size_t fieldsSize(const http::request<http::string_body>& r) {
  std::size_t n = r.method_string().size() + r.target().size() + 13;
  for (const auto& f : r) n += f.name_string().size() + f.value().size() + 4;
  return n;
}

void checkLimits(const Framed& f, const FramingLimits& limits, std::size_t size) {
  FUZZ_CHECK(f.unread <= size);
  for (const auto& r : f.requests) {
    FUZZ_CHECK(r.body().size() <= limits.maxBodyBytes);
    // The head within its limit, the body and trailers within the body's budget
    // (RequestCount): Beast alone holds neither.
    FUZZ_CHECK(fieldsSize(r) + r.body().size() <= 2 * limits.maxHeaderBytes + limits.maxBodyBytes);
  }
  if (f.refusal) {
    auto s = f.refusal->status;
    FUZZ_CHECK(s == 400 || s == 413 || s == 431);
    FUZZ_CHECK(!f.refusal->body.empty() && f.refusal->body.back() == '\n');
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t segment = data[0] % 17;  // 0: everything in one read
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  Framed whole = frameRequests(stream, kLimits);
  checkLimits(whole, kLimits, stream.size());
  // The real limits too: what passes the small ones passes these.
  Framed real = frameRequests(stream);
  checkLimits(real, FramingLimits{}, stream.size());
  FUZZ_CHECK(real.requests.size() >= whole.requests.size());

  if (segment == 0) return 0;
  Framed split = frameRequests(stream, kLimits, segment);
  checkLimits(split, kLimits, stream.size());
  FUZZ_CHECK(split.requests.size() == whole.requests.size());
  for (std::size_t i = 0; i < whole.requests.size(); ++i) {
    FUZZ_CHECK(sameRequest(whole.requests[i], split.requests[i]));
  }
  // Refused however the stream is split. Which refusal (400, 413, 431; each checked above)
  // may differ when a request is both malformed and past a limit: a head too large and
  // also malformed or announcing a body over the limit; a chunk line that Beast waits on
  // (an unterminated quoted extension) while the body's budget runs out. Which is seen
  // first depends on the reads: the count is added after a read, and Beast may stop a read
  // with its own error.
  FUZZ_CHECK(split.refusal.has_value() == whole.refusal.has_value());
  return 0;
}
