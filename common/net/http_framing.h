#pragma once
// How the HTTPS server cuts a connection's bytes into requests: the limits it sets on each
// request parser, and the answer a stream that cannot be read as HTTP gets. Pure (no
// sockets, no TLS), so the framing is unit-tested and fuzzed from bytes
// (tests/fuzz/http_framing_fuzz.cpp) with the exact settings the server reads with.
//
// A server session uses it like this, one parser per request (Beast parsers are
// single-use):
//
//   RequestParser parser;
//   applyLimits(parser, limits);
//   co_await http::async_read(stream, buffer, parser, ...ec);
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
  // Request line and header fields. Beast 1.74 holds the whole head to it only when the
  // head arrives in pieces; when it arrives in one read, the request line comes on top
  // (found by tests/fuzz/http_framing_fuzz). So a head is refused past this size at the
  // earliest and past this size plus its request line at the latest, and one both too
  // large and malformed may get 400 instead of 431.
  std::size_t maxHeaderBytes = 16 << 10;
};

using RequestParser = http::request_parser<http::string_body>;

// Sets the body and header limits on a fresh parser.
void applyLimits(RequestParser& parser, const FramingLimits& limits);

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
// may split a stream anywhere); 0 returns everything in one read. The outcome does not
// depend on it, except near the header limit (FramingLimits::maxHeaderBytes).
Framed frameRequests(std::string_view bytes, const FramingLimits& limits = {},
                     std::size_t segment = 0);

}  // namespace posture::net
