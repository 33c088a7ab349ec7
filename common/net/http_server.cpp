#include "common/net/http_server.h"

#include "common/util/time.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <stdexcept>

#include "common/log/log.h"

namespace posture::net {
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;

std::pair<std::string, std::string> splitHostPort(const std::string& hostPort) {
  std::string host, port;
  if (!hostPort.empty() && hostPort.front() == '[') {
    auto close = hostPort.find(']');
    if (close == std::string::npos || close + 1 >= hostPort.size() || hostPort[close + 1] != ':') {
      throw std::invalid_argument("expected [IPv6]:PORT, got '" + hostPort + "'");
    }
    host = hostPort.substr(1, close - 1);
    port = hostPort.substr(close + 2);
  } else {
    auto colon = hostPort.rfind(':');
    if (colon == std::string::npos || hostPort.find(':') != colon) {
      throw std::invalid_argument("expected HOST:PORT or [IPv6]:PORT, got '" + hostPort + "'");
    }
    host = hostPort.substr(0, colon);
    port = hostPort.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5 || std::stoul(port) > 65535) {
    throw std::invalid_argument("invalid host or port in '" + hostPort + "'");
  }
  return {host, port};
}

namespace {
std::string nameEntry(X509_NAME* name, int nid) {
  if (!name) return {};
  int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

http::response<http::string_body> toHttp(Response&& r, unsigned version, bool keepAlive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "posture-collector");
  // Agents compare it with their own clock to tell a skewed clock from other failures.
  res.set(http::field::date, util::formatHttpDate(util::unixNow()));
  res.set(http::field::content_type, r.contentType);
  for (auto& [name, value] : r.headers) res.insert(name, value);
  res.keep_alive(keepAlive);
  res.body() = std::move(r.body);
  res.prepare_payload();
  return res;
}
}  // namespace

HttpsServer::HttpsServer(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                         Handler handler, ServerLimits limits)
    : io_(io), tls_(std::move(tls)), handler_(std::move(handler)), limits_(limits) {}

HttpsServer::~HttpsServer() { stop(); }

tcp::endpoint HttpsServer::listen(const std::string& hostPort) {
  auto [host, port] = splitHostPort(hostPort);
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(host, port, ec);
    if (ec || results.empty()) {
      throw std::runtime_error("cannot resolve listen address '" + hostPort + "': " + ec.message());
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, static_cast<unsigned short>(std::stoul(port)));
  auto acceptor = std::make_shared<tcp::acceptor>(io_);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && endpoint.address().is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + hostPort + ": " + ec.message());
  acceptors_.push_back(acceptor);
  asio::co_spawn(io_, acceptLoop(acceptor), asio::detached);
  return acceptor->local_endpoint();
}

void HttpsServer::stop() {
  for (auto& a : acceptors_) {
    error_code ignored;
    a->close(ignored);
  }
  acceptors_.clear();
}

asio::awaitable<void> HttpsServer::acceptLoop(std::shared_ptr<tcp::acceptor> acceptor) {
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await acceptor->async_accept(
        asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      // EMFILE and friends: log and keep accepting; the connection is lost, not the server.
      log::warn("accept failed: ", ec.message());
      continue;
    }
    if (connections_->load() >= limits_.maxConnections) {
      log::warn("connection limit (", limits_.maxConnections, ") reached, refusing a client");
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpsServer::session(tcp::socket socket) {
  struct Counter {
    std::shared_ptr<std::atomic<std::size_t>> n;
    explicit Counter(std::shared_ptr<std::atomic<std::size_t>> c) : n(std::move(c)) { ++*n; }
    ~Counter() { --*n; }
  } counter(connections_);

  error_code ec;
  std::string remote;
  {
    auto ep = socket.remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls_);
  beast::get_lowest_layer(stream).expires_after(limits_.handshakeTimeout);
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    log::info("TLS handshake with ", remote, " failed: ", ec.message());
    co_return;
  }

  Request base;
  base.remote = remote;
  if (X509* peer = SSL_get1_peer_certificate(stream.native_handle())) {
    base.peerVerified = SSL_get_verify_result(stream.native_handle()) == X509_V_OK;
    base.peerCommonName = nameEntry(X509_get_subject_name(peer), NID_commonName);
    base.peerUnit = nameEntry(X509_get_subject_name(peer), NID_organizationalUnitName);
    X509_free(peer);
  }

  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(limits_.maxBodyBytes);
    parser.header_limit(static_cast<std::uint32_t>(limits_.maxHeaderBytes));
    beast::get_lowest_layer(stream).expires_after(limits_.idleTimeout);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated ||
        ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::connection_reset) {
      break;
    }
    if (ec) {
      // The request could not be read as HTTP: answer once and close, since the stream
      // position is no longer trustworthy.
      Response r;
      if (ec == http::error::body_limit) {
        r.status = 413;
        r.body = "request body exceeds " + std::to_string(limits_.maxBodyBytes) + " bytes\n";
      } else if (ec == http::error::header_limit) {
        r.status = 431;
        r.body = "request headers exceed " + std::to_string(limits_.maxHeaderBytes) + " bytes\n";
      } else {
        r.status = 400;
        r.body = "malformed HTTP request: " + ec.message() + "\n";
      }
      log::info("bad request from ", remote, ": ", r.body.substr(0, r.body.size() - 1));
      auto res = toHttp(std::move(r), 11, false);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      // Lingering close: a client still uploading the refused body would get a reset
      // and lose the answer if we closed now, so read and discard a bounded amount.
      std::size_t drained = 0;
      char sink[16384];
      while (!ec && drained < 4 * limits_.maxBodyBytes + (1 << 20)) {
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
        drained += co_await stream.async_read_some(asio::buffer(sink),
                                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }

    Request request = base;
    request.message = parser.release();
    bool keepAlive = request.message.keep_alive();
    unsigned version = request.message.version();
    Response response;
    try {
      response = co_await handler_(request);
    } catch (const std::exception& e) {
      log::error("handler failed for ", request.message.target(), " from ", remote, ": ", e.what());
      response = Response{500, "text/plain; charset=utf-8", "internal error\n"};
    }
    auto res = toHttp(std::move(response), version, keepAlive);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keepAlive) break;
  }
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace posture::net
