// The bytes a client sends on one connection, framed as the collector's HTTPS server does
// (common/net/http_framing.h). The first byte picks how the stream is split into reads;
// the outcome must be the same as reading it in one piece (but for Beast's header limit,
// see below), the limits must hold and a refusal is 400, 413 or 431.
#include <algorithm>
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

void checkLimits(const Framed& f, const FramingLimits& limits, std::size_t size) {
  FUZZ_CHECK(f.unread <= size);
  for (const auto& r : f.requests) FUZZ_CHECK(r.body().size() <= limits.maxBodyBytes);
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
  std::size_t common = std::min(split.requests.size(), whole.requests.size());
  for (std::size_t i = 0; i < common; ++i) {
    FUZZ_CHECK(sameRequest(whole.requests[i], split.requests[i]));
  }
  if (split.refusal && split.refusal->status == 431) {
    // The one way the split may matter (http_framing.h): Beast counts the request line
    // toward header_limit only when the head arrives in pieces, so a head a little over
    // the limit is refused in pieces but read whole, or refused later for its syntax.
    FUZZ_CHECK(split.requests.size() <= whole.requests.size());
  } else {
    FUZZ_CHECK(split.requests.size() == whole.requests.size());
    FUZZ_CHECK(split.refusal.has_value() == whole.refusal.has_value());
    if (whole.refusal) FUZZ_CHECK(split.refusal->status == whole.refusal->status);
  }
  return 0;
}
