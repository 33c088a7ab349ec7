#include "common/net/https_client.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <optional>

namespace posture::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct HttpsClient::Impl {
  asio::any_io_executor executor;
  std::shared_ptr<asio::ssl::context> tls;
  std::string host, port;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  int family = 0;

  std::string where() const {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + port;
  }

  asio::awaitable<void> connect(std::chrono::milliseconds timeout) {
    stream.reset();
    buffer.clear();
    error_code ec;
    tcp::resolver resolver(executor);
    auto results = co_await resolver.async_resolve(host, port,
                                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec) throw NetError("cannot resolve collector " + where() + ": " + ec.message());
    stream.emplace(beast::tcp_stream(executor), *tls);
    SSL* ssl = stream->native_handle();
    error_code addrEc;
    asio::ip::make_address(host, addrEc);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (addrEc) {
      SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI is for names only
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    }
    auto& lowest = beast::get_lowest_layer(*stream);
    lowest.expires_after(timeout);
    auto endpoint = co_await lowest.async_connect(results, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      // Which addresses, and so which IP versions, were tried: "unreachable over IPv6 but
      // not tried over IPv4" is a different fix from "unreachable at all".
      std::string tried;
      for (const auto& r : results) {
        auto a = r.endpoint().address();
        tried += (tried.empty() ? "" : ", ") + std::string(a.is_v6() ? "IPv6 " : "IPv4 ") + a.to_string();
      }
      throw NetError("cannot connect to collector " + where() + " (tried " + tried + "): " + ec.message());
    }
    family = endpoint.address().is_v6() ? 6 : 4;
    lowest.socket().set_option(tcp::no_delay(true), ec);
    lowest.expires_after(timeout);
    co_await stream->async_handshake(asio::ssl::stream_base::client,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      std::string detail = ec.message();
      long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) detail += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
      stream.reset();
      throw NetError("TLS handshake with collector " + where() + " failed: " + detail);
    }
  }
};

HttpsClient::HttpsClient(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls,
                         std::string host, std::string port)
    : impl_(std::make_unique<Impl>()) {
  impl_->executor = std::move(executor);
  impl_->tls = std::move(tls);
  impl_->host = std::move(host);
  impl_->port = std::move(port);
}

HttpsClient::~HttpsClient() = default;

void HttpsClient::close() {
  if (impl_->stream) {
    error_code ec;
    beast::get_lowest_layer(*impl_->stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(*impl_->stream).close();
  }
  impl_->stream.reset();
}

int HttpsClient::addressFamily() const { return impl_->family; }

std::string HttpsClient::peerCertificatePem() const {
  if (!impl_->stream) return {};
  X509* peer = SSL_get1_peer_certificate(impl_->stream->native_handle());
  if (!peer) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, peer);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  X509_free(peer);
  return pem;
}

asio::awaitable<ClientResponse> HttpsClient::post(std::string target, std::string contentType,
                                                  std::string body,
                                                  std::chrono::milliseconds timeout) {
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, impl_->host);
  req.set(http::field::user_agent, "posture-agent");
  req.set(http::field::content_type, contentType);
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();

  for (int attempt = 0;; ++attempt) {
    bool reused = impl_->stream.has_value();
    if (!reused) co_await impl_->connect(timeout);
    auto& lowest = beast::get_lowest_layer(*impl_->stream);
    error_code ec;
    lowest.expires_after(timeout);
    co_await http::async_write(*impl_->stream, req, asio::redirect_error(asio::use_awaitable, ec));
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 << 20);
    if (!ec) {
      lowest.expires_after(timeout);
      co_await http::async_read(*impl_->stream, impl_->buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      impl_->stream.reset();
      // A kept-alive connection the server closed while idle: one fresh try. The server
      // deduplicates by (agent, sequence), so a resend is harmless.
      if (reused && attempt == 0 && ec != beast::error::timeout) continue;
      if (ec == beast::error::timeout) {
        throw NetError("collector " + impl_->where() + " did not answer within " +
                       std::to_string(timeout.count()) + " ms");
      }
      throw NetError("request to collector " + impl_->where() + " failed: " + ec.message());
    }
    auto res = parser.release();
    ClientResponse out;
    out.status = res.result_int();
    out.contentType = std::string(res[http::field::content_type]);
    out.date = std::string(res[http::field::date]);
    out.body = std::move(res.body());
    if (!res.keep_alive()) close();
    co_return out;
  }
}

ClientResponse postBlocking(std::shared_ptr<asio::ssl::context> tls, const std::string& host,
                            const std::string& port, const std::string& target,
                            const std::string& contentType, const std::string& body,
                            std::chrono::milliseconds timeout, std::string* peerCertPem) {
  asio::io_context io;
  HttpsClient client(io.get_executor(), std::move(tls), host, port);
  std::optional<ClientResponse> result;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        result = co_await client.post(target, contentType, body, timeout);
        if (peerCertPem) *peerCertPem = client.peerCertificatePem();
        client.close();
      },
      [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return *result;
}

}  // namespace posture::net
