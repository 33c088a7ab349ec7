#pragma once
// How the HTTPS server cuts a connection's bytes into requests: the limits it sets on each
// request parser, the count and buffer that hold a request to them, and the answer a
// stream that cannot be read as HTTP gets. Pure (no sockets, no TLS), so the framing is
// unit-tested and fuzzed from bytes (tests/fuzz/http_framing_fuzz.cpp) with the exact
// settings the server reads with.
//
// Beast 1.74's own limits do not bound a request (found while fuzzing this framing):
// header_limit applies to one parse step only, so fields parsed in earlier reads stop
// counting (a 600 KB head of short fields passed a 16 KiB limit in 60-byte reads);
// chunked trailers count toward no limit at all (600 KB of trailer fields were kept); and
// a chunk line that never ends grows the read buffer without end. So a session reads
// each request a piece at a time through a RequestCount, into a bounded buffer, one
// parser per request (Beast parsers are single-use):
//
//   beast::flat_buffer buffer(bufferLimit(limits));   // once per connection
//   ...
//   RequestParser parser;
//   applyLimits(parser, limits);
//   RequestCount count(limits);
//   while (!ec && !parser.is_done()) {
//     bool head = !parser.is_header_done();
//     std::size_t n = co_await http::async_read_some(stream, buffer, parser, ...ec);
//     if (!ec) ec = count.add(n, head);
//   }
//   if (ec) {
//     if (auto r = refusal(ec, limits)) { answer r->status with r->body, then close; }
//     else { the client went away: close without an answer; }
//   }
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posture::net {

namespace http = boost::beast::http;

// The defaults are the server's (ServerLimits in http_server.h).
struct FramingLimits {
  std::size_t maxBodyBytes = 1 << 20;  // decoded body (after chunked transfer coding)
  // Request line and header fields. Chunked framing and trailers may add as much again
  // to a body (RequestCount).
  std::size_t maxHeaderBytes = 16 << 10;
};

using RequestParser = http::request_parser<http::string_body>;

// Sets the body and header limits on a fresh parser.
void applyLimits(RequestParser& parser, const FramingLimits& limits);

// What one connection's read buffer may hold: a head, and a read's worth more. A request
// line, header, chunk or trailer line longer than that stops the read with
// http::error::buffer_overflow (400) instead of growing the buffer.
std::size_t bufferLimit(const FramingLimits& limits);

// The bytes of one request so far, across reads: the head, then what follows it (the body
// with its chunked framing and trailers).
class RequestCount {
 public:
  explicit RequestCount(const FramingLimits& limits) : limits_(limits) {}
  // The parser consumed `bytes` more (http::read_some's result); `head` says whether the
  // header was not yet done before that read (Beast stops a read at the end of the head).
  // http::error::header_limit once the head is over maxHeaderBytes, body_limit once what
  // follows it is over maxBodyBytes + maxHeaderBytes.
  boost::system::error_code add(std::size_t bytes, bool head);

 private:
  FramingLimits limits_;
  std::size_t head_ = 0, rest_ = 0;
};

// The answer to a request that could not be read.
struct Refusal {
  unsigned status = 400;  // 413 body too large, 431 header too large, 400 anything else
  std::string body;       // one line ending in '\n', naming the limit or Beast's reason
};

// What the server answers when reading a request failed with `ec`; nullopt when the error
// only means the client went away (end of stream, EOF, truncated TLS, reset, timeout), in
// which case the connection is closed without an answer. After a refusal the stream
// position is lost, so the connection is closed too.
std::optional<Refusal> refusal(const boost::system::error_code& ec, const FramingLimits& limits);

// Everything a client sent on one connection, followed by the end of the connection.
struct Framed {
  // The requests the server reads, in order. Reading stops after a request without
  // keep-alive (the server closes after answering it) and at the first error.
  std::vector<http::request<http::string_body>> requests;
  std::optional<Refusal> refusal;  // set: the next request could not be read; this answer
  std::size_t unread = 0;          // bytes never parsed (after the last request or error)
};

// Frames `bytes` as the server would. `segment` is how many bytes each read returns (TCP
// may split a stream anywhere); 0 returns everything in one read. The requests read do not
// depend on it; a head both too large and malformed may be refused for either (431, 400).
Framed frameRequests(std::string_view bytes, const FramingLimits& limits = {},
                     std::size_t segment = 0);

}  // namespace posture::net
