#pragma once
// How the HTTPS server cuts a connection's bytes into requests: the limits it sets on each
// request parser, the count that bounds a request's head, and the answer a stream that
// cannot be read as HTTP gets. Pure (no sockets, no TLS), so the framing is unit-tested and
// fuzzed from bytes (tests/fuzz/http_framing_fuzz.cpp) with the exact settings the server
// reads with.
//
// A server session reads each request like this, one parser per request (Beast parsers
// are single-use). The head is read a piece at a time so that HeadCount sees every piece
// (see FramingLimits::maxHeaderBytes), then the body at once:
//
//   RequestParser parser;
//   applyLimits(parser, limits);
//   HeadCount head(limits);
//   while (!ec && !parser.is_header_done()) {
//     std::size_t n = co_await http::async_read_some(stream, buffer, parser, ...ec);
//     if (!ec) ec = head.add(n);
//   }
//   if (!ec) co_await http::async_read(stream, buffer, parser, ...ec);
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
  // Request line and header fields, counted by HeadCount. Beast 1.74's own header_limit
  // bounds only what one parse step sees: fields parsed in earlier reads no longer count,
  // so a 600 KB head of short fields passed a 16 KiB limit when it arrived 60 bytes at a
  // time (found while fuzzing this framing). It is still set, as a first stop.
  std::size_t maxHeaderBytes = 16 << 10;
};

using RequestParser = http::request_parser<http::string_body>;

// Sets the body and header limits on a fresh parser.
void applyLimits(RequestParser& parser, const FramingLimits& limits);

// The bytes of one request's head so far, across reads.
class HeadCount {
 public:
  explicit HeadCount(const FramingLimits& limits) : limit_(limits.maxHeaderBytes) {}
  // The parser consumed `bytes` more of the head (http::read_some's result while the
  // header is not done): http::error::header_limit once the head is over the limit.
  boost::system::error_code add(std::size_t bytes);

 private:
  std::size_t limit_;
  std::size_t bytes_ = 0;
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
