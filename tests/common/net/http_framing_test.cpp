// The server's request framing from bytes: pipelined requests, keep-alive, the limits and
// their answers, and the same outcome however the stream is split into reads.
#include "common/net/http_framing.h"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <doctest/doctest.h>

#include <string>

using namespace posture::net;

namespace {
std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: c\r\n" + extra + "\r\n";
}
std::string post(const std::string& body) {
  return "POST /v1/reports HTTP/1.1\r\nHost: c\r\nContent-Type: application/x-protobuf\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}
}  // namespace

TEST_CASE("pipelined keep-alive requests are read in order, then the end is a clean close") {
  auto f = frameRequests(get("/a") + post("xyz") + get("/c"));
  REQUIRE(f.requests.size() == 3);
  CHECK(f.requests[0].target() == "/a");
  CHECK(f.requests[1].body() == "xyz");
  CHECK(f.requests[2].target() == "/c");
  CHECK_FALSE(f.refusal);
  CHECK(f.unread == 0);
}

TEST_CASE("reading stops after a request without keep-alive") {
  std::string rest = get("/ignored");
  auto f = frameRequests(get("/last", "Connection: close\r\n") + rest);
  REQUIRE(f.requests.size() == 1);
  CHECK(f.requests[0].target() == "/last");
  CHECK_FALSE(f.refusal);
  CHECK(f.unread == rest.size());
}

TEST_CASE("a chunked body is decoded and counted against the body limit") {
  std::string chunked =
      "POST /v1/reports HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n";
  auto f = frameRequests(chunked);
  REQUIRE(f.requests.size() == 1);
  CHECK(f.requests[0].body() == "abcdefg");

  auto small = frameRequests(chunked, {6, 1024});
  CHECK(small.requests.empty());
  REQUIRE(small.refusal);
  CHECK(small.refusal->status == 413);
  CHECK(small.refusal->body == "request body exceeds 6 bytes\n");
}

// Beast 1.74 asserts `n >= 5` when an empty chunked body ("0\r\n" with no chunk before it)
// arrives and then grows by fewer than two bytes; the assertion is wrong (boostorg/beast#2861)
// and aborted every build with assertions on. common/net/boost_assert.cpp lets it pass. These
// run in the sanitizer suite (a Debug build), where they aborted before the handler.
TEST_CASE("an empty chunked body read one byte at a time is framed, not aborted on") {
  std::string empty =
      "POST /v1/reports HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\nT: v\r\n\r\n";
  for (std::size_t segment : {1, 2, 3}) {
    CAPTURE(segment);
    auto f = frameRequests(empty, {}, segment);
    REQUIRE(f.requests.size() == 1);
    CHECK(f.requests[0].body().empty());
    CHECK_FALSE(f.refusal);
  }
  // The input the fuzz target found (its first byte, the segment size, dropped): a malformed
  // trailer after the empty body is refused with 400.
  std::string found =
      "POST / HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nabc\r\n0\r\n\r\n";
  auto f = frameRequests(found, {}, 1);
  CHECK(f.requests.empty());
  REQUIRE(f.refusal);
  CHECK(f.refusal->status == 400);
}

TEST_CASE("a rogue server's empty chunked answer, one byte at a time, is parsed, not aborted on") {
  std::string answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  http::response_parser<http::string_body> parser;
  boost::system::error_code ec;
  std::size_t at = 0, held = 0;
  // As Beast's read loop does: what put() does not consume stays in the buffer, and the next
  // byte is appended to it.
  while (!parser.is_done() && at < answer.size()) {
    ++held;
    std::size_t used = parser.put(boost::asio::buffer(answer.data() + at, held), ec);
    if (ec == http::error::need_more) ec = {};
    REQUIRE_FALSE(ec);
    at += used;
    held -= used;
  }
  CHECK(parser.is_done());
  CHECK(parser.get().body().empty());
}

TEST_CASE("a body over the limit is refused with 413 before it is read") {
  auto f = frameRequests(post(std::string(2000, 'x')), {1000, 1024});
  CHECK(f.requests.empty());
  REQUIRE(f.refusal);
  CHECK(f.refusal->status == 413);
  CHECK(f.unread > 0);
}

TEST_CASE("headers over the limit are refused with 431") {
  auto f = frameRequests(get("/", "X-Long: " + std::string(3000, 'a') + "\r\n"), {1000, 1024});
  REQUIRE(f.refusal);
  CHECK(f.refusal->status == 431);
  CHECK(f.refusal->body == "request headers exceed 1024 bytes\n");
}

TEST_CASE("malformed and truncated requests are answered with 400, an idle end with nothing") {
  auto bad = frameRequests("GARBAGE\r\n\r\n");
  REQUIRE(bad.refusal);
  CHECK(bad.refusal->status == 400);
  CHECK(bad.refusal->body.rfind("malformed HTTP request: ", 0) == 0);

  auto truncated = frameRequests(post("abcdef").substr(0, 60));
  REQUIRE(truncated.refusal);
  CHECK(truncated.refusal->status == 400);

  auto twoLengths = frameRequests(
      "POST / HTTP/1.1\r\nHost: c\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
  REQUIRE(twoLengths.refusal);
  CHECK(twoLengths.refusal->status == 400);

  auto idle = frameRequests("");
  CHECK(idle.requests.empty());
  CHECK_FALSE(idle.refusal);
}

TEST_CASE("the outcome does not depend on how the stream is split into reads") {
  std::string stream =
      get("/a") + post("hello") + get("/b", "X-Long: " + std::string(900, 'b') + "\r\n");
  FramingLimits limits{100, 512};
  auto whole = frameRequests(stream, limits);
  REQUIRE(whole.refusal);
  CHECK(whole.refusal->status == 431);
  for (std::size_t segment : {1, 2, 7, 64}) {
    CAPTURE(segment);
    auto split = frameRequests(stream, limits, segment);
    REQUIRE(split.requests.size() == 2);
    CHECK(split.requests[1].body() == "hello");
    REQUIRE(split.refusal);
    CHECK(split.refusal->status == 431);
  }
}

TEST_CASE("a head up to the limit passes and one byte more is refused, however it is split") {
  const std::string requestLine = "GET / HTTP/1.1\r\n";
  auto head = [&](std::size_t size) {
    std::string h = requestLine + "X: ";
    h += std::string(size - h.size() - 4, 'v');
    return h + "\r\n\r\n";
  };
  FramingLimits limits{100, 256};
  for (std::size_t segment : {0, 1, 3, 16, 64}) {
    CAPTURE(segment);
    auto within = frameRequests(head(256), limits, segment);
    CHECK(within.requests.size() == 1);
    CHECK_FALSE(within.refusal);
    auto over = frameRequests(head(257), limits, segment);
    CHECK(over.requests.empty());
    REQUIRE(over.refusal);
    CHECK(over.refusal->status == 431);
  }
}

TEST_CASE("a head of many short fields is held to the limit when it arrives in small reads") {
  // Beast 1.74's header_limit alone let this 600 KB head through a 16 KiB limit in 60-byte
  // reads: fields parsed in earlier reads stopped counting. RequestCount counts them.
  std::string h = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 100000; ++i) h += "A: b\r\n";
  h += "\r\n";
  for (std::size_t segment : {0, 6, 60, 4096}) {
    CAPTURE(segment);
    auto f = frameRequests(h, {}, segment);
    CHECK(f.requests.empty());
    REQUIRE(f.refusal);
    CHECK(f.refusal->status == 431);
  }
}

TEST_CASE("chunked framing and trailers share the body's budget") {
  // Beast 1.74 counts trailers toward no limit: 600 KB of trailer fields were kept.
  FramingLimits limits{100, 64};
  auto chunked = [](const std::string& trailer) {
    return "POST / HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n" +
           trailer + "\r\n";
  };
  std::string small, large;
  while (small.size() < 100) small += "T: v\r\n";
  while (large.size() < 200) large += "T: v\r\n";
  for (std::size_t segment : {0, 6, 50}) {
    CAPTURE(segment);
    auto ok = frameRequests(chunked(small), limits, segment);
    REQUIRE(ok.requests.size() == 1);
    CHECK(ok.requests[0].body() == "abc");
    auto refused = frameRequests(chunked(large), limits, segment);
    CHECK(refused.requests.empty());
    REQUIRE(refused.refusal);
    CHECK(refused.refusal->status == 413);
  }
}

TEST_CASE("a chunk line that never ends stops at the buffer limit instead of growing it") {
  FramingLimits limits{100, 64};
  std::string endless = "POST / HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n5;";
  endless += std::string(200000, 'x');
  auto f = frameRequests(endless, limits, 4096);
  REQUIRE(f.refusal);
  CHECK(f.refusal->status == 400);
  CHECK(f.refusal->body == "malformed HTTP request: buffer overflow\n");
  CHECK(f.unread > 200000 - bufferLimit(limits));  // never read past the limit
}

TEST_CASE("RequestCount holds the head and what follows it to their budgets") {
  RequestCount count({10, 4});
  CHECK_FALSE(count.add(4, true));
  CHECK(count.add(1, true) == http::error::header_limit);
  RequestCount body({10, 4});
  CHECK_FALSE(body.add(4, true));
  CHECK_FALSE(body.add(14, false));
  CHECK(body.add(1, false) == http::error::body_limit);
}

TEST_CASE("the parser gets the configured limits") {
  RequestParser parser;
  applyLimits(parser, {12345, 678});
  std::string headers = get("/", "X: " + std::string(700, 'x') + "\r\n");
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(headers), ec);
  CHECK(ec == http::error::header_limit);
  RequestParser second;
  applyLimits(second, {12345, 678});
  CHECK(second.get().body().empty());
  auto f = frameRequests(post(std::string(12346, 'x')), {12345, 678});
  REQUIRE(f.refusal);
  CHECK(f.refusal->status == 413);
}
