#include "common/net/http_framing.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <cstdint>

namespace posture::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {
// A SyncReadStream over bytes in memory that then reports EOF, as a peer closing its end
// would. http::read runs the same read loop as the server's http::async_read.
class MemoryStream {
 public:
  MemoryStream(std::string_view bytes, std::size_t segment) : bytes_(bytes), segment_(segment) {}

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    if (at_ == bytes_.size()) {
      ec = asio::error::eof;
      return 0;
    }
    std::size_t n = bytes_.size() - at_;
    if (segment_ != 0) n = std::min(n, segment_);
    n = asio::buffer_copy(buffers, asio::buffer(bytes_.data() + at_, n));
    at_ += n;
    ec = {};
    return n;
  }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  std::size_t remaining() const { return bytes_.size() - at_; }

 private:
  std::string_view bytes_;
  std::size_t segment_;
  std::size_t at_ = 0;
};
}  // namespace

void applyLimits(RequestParser& parser, const FramingLimits& limits) {
  parser.body_limit(limits.maxBodyBytes);
  // Beast's header limit is 32 bits; a larger configured limit means "as large as it goes".
  parser.header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(limits.maxHeaderBytes, UINT32_MAX)));
}

std::size_t bufferLimit(const FramingLimits& limits) {
  // Beast reads up to 64 KiB at a time.
  return limits.maxHeaderBytes + (64 << 10);
}

boost::system::error_code RequestCount::add(std::size_t bytes, bool head) {
  if (head) {
    head_ += bytes;
    if (head_ > limits_.maxHeaderBytes) return http::error::header_limit;
  } else {
    rest_ += bytes;
    if (rest_ > limits_.maxBodyBytes + limits_.maxHeaderBytes) return http::error::body_limit;
  }
  return {};
}

std::optional<Refusal> refusal(const error_code& ec, const FramingLimits& limits) {
  if (ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated ||
      ec == asio::error::eof || ec == beast::error::timeout ||
      ec == asio::error::connection_reset) {
    return std::nullopt;
  }
  if (ec == http::error::body_limit) {
    return Refusal{413, "request body exceeds " + std::to_string(limits.maxBodyBytes) + " bytes\n"};
  }
  if (ec == http::error::header_limit) {
    return Refusal{431,
                   "request headers exceed " + std::to_string(limits.maxHeaderBytes) + " bytes\n"};
  }
  return Refusal{400, "malformed HTTP request: " + ec.message() + "\n"};
}

Framed frameRequests(std::string_view bytes, const FramingLimits& limits, std::size_t segment) {
  MemoryStream stream(bytes, segment);
  beast::flat_buffer buffer(bufferLimit(limits));
  Framed out;
  for (;;) {
    RequestParser parser;
    applyLimits(parser, limits);
    RequestCount count(limits);
    error_code ec;
    while (!ec && !parser.is_done()) {
      bool head = !parser.is_header_done();
      std::size_t n = http::read_some(stream, buffer, parser, ec);
      if (!ec) ec = count.add(n, head);
    }
    if (ec) {
      out.refusal = refusal(ec, limits);
      break;
    }
    auto request = parser.release();
    bool keepAlive = request.keep_alive();
    out.requests.push_back(std::move(request));
    if (!keepAlive) break;
  }
  out.unread = stream.remaining() + buffer.size();
  return out;
}

}  // namespace posture::net
