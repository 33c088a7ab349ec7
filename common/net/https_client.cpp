#include "common/net/https_client.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
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

namespace {

bool isAddress(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// "[2001:db8::1]" for IPv6 literals, the host otherwise.
std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

struct HttpsClient::Impl {
  asio::any_io_executor executor;
  std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP
  std::string host, port;
  ClientOptions options;
  // One of the two while connected.
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  std::weak_ptr<tcp::resolver> resolving;
  beast::flat_buffer buffer;
  int family = 0;
  bool cancelled = false;

  std::string where() const { return options.peer + " " + bracketed(host) + ":" + port; }
  bool connected() const { return plain.has_value() || secure.has_value(); }
  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  void drop() {
    plain.reset();
    secure.reset();
  }
  void throwIfCancelled() {
    if (cancelled) {
      drop();
      throw NetError("request to " + where() + " cancelled");
    }
  }

  // The Host header: the port only when it is not the scheme's own.
  std::string hostHeader() const {
    std::string value = bracketed(host);
    if (port != (tls ? "443" : "80")) value += ":" + port;
    return value;
  }

  asio::awaitable<tcp::resolver::results_type> resolve(std::chrono::milliseconds timeout) {
    auto resolver = std::make_shared<tcp::resolver>(executor);
    resolving = resolver;
    auto expired = std::make_shared<bool>(false);
    asio::steady_timer timer(executor);
    timer.expires_after(timeout);
    timer.async_wait([weak = std::weak_ptr<tcp::resolver>(resolver), expired](error_code e) {
      if (e) return;
      *expired = true;
      if (auto r = weak.lock()) r->cancel();
    });
    error_code ec;
    auto results = co_await resolver->async_resolve(host, port,
                                                    asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    throwIfCancelled();
    if (*expired) {
      throw NetError("cannot resolve " + where() + ": no answer within " +
                     std::to_string(timeout.count()) + " ms");
    }
    if (!ec && results.empty()) ec = asio::error::host_not_found;
    if (ec) throw NetError("cannot resolve " + where() + ": " + ec.message());
    co_return results;
  }

  asio::awaitable<void> connect(std::chrono::milliseconds timeout) {
    drop();
    buffer.clear();
    auto results = co_await resolve(timeout);
    if (tls) {
      secure.emplace(beast::tcp_stream(executor), *tls);
      SSL* ssl = secure->native_handle();
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      if (!isAddress(host)) {
        SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI is for names only
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
      } else {
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
      }
    } else {
      plain.emplace(executor);
    }
    error_code ec;
    lowest().expires_after(timeout);
    auto endpoint =
        co_await lowest().async_connect(results, asio::redirect_error(asio::use_awaitable, ec));
    throwIfCancelled();
    if (ec) {
      drop();
      // Which addresses, and so which IP versions, were tried: "unreachable over IPv6 but
      // not tried over IPv4" is a different fix from "unreachable at all".
      std::string tried;
      for (const auto& r : results) {
        auto a = r.endpoint().address();
        tried += (tried.empty() ? "" : ", ") + std::string(a.is_v6() ? "IPv6 " : "IPv4 ") + a.to_string();
      }
      throw NetError("cannot connect to " + where() + " (tried " + tried + "): " + ec.message());
    }
    family = endpoint.address().is_v6() ? 6 : 4;
    lowest().socket().set_option(tcp::no_delay(true), ec);
    if (!secure) co_return;
    lowest().expires_after(timeout);
    co_await secure->async_handshake(asio::ssl::stream_base::client,
                                     asio::redirect_error(asio::use_awaitable, ec));
    throwIfCancelled();
    if (ec) {
      std::string detail = ec.message();
      long verify = SSL_get_verify_result(secure->native_handle());
      if (verify != X509_V_OK) detail += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
      drop();
      throw NetError("TLS handshake with " + where() + " failed: " + detail);
    }
  }

  template <class Stream>
  asio::awaitable<error_code> exchange(Stream& stream, http::request<http::string_body>& req,
                                       http::response_parser<http::string_body>& parser,
                                       std::chrono::milliseconds timeout) {
    error_code ec;
    lowest().expires_after(timeout);
    co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    // The head alone first: Beast 1.74 reading a response eagerly (async_read) lets a
    // Content-Length over the body limit through, and a rogue server could then send
    // gigabytes. Read without eagerness, the head stops at the limit.
    lowest().expires_after(timeout);
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec || parser.is_done()) co_return ec;
    lowest().expires_after(timeout);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
  }
};

HttpsClient::HttpsClient(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls,
                         std::string host, std::string port, ClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->executor = std::move(executor);
  impl_->tls = std::move(tls);
  impl_->host = std::move(host);
  impl_->port = std::move(port);
  impl_->options = std::move(options);
}

HttpsClient::~HttpsClient() = default;

void HttpsClient::close() {
  if (impl_->connected()) {
    error_code ec;
    impl_->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    impl_->lowest().close();
  }
  impl_->drop();
}

void HttpsClient::cancel() {
  impl_->cancelled = true;
  if (auto r = impl_->resolving.lock()) r->cancel();
  // Closing the socket aborts what waits on it; the request drops the stream itself.
  if (impl_->connected()) impl_->lowest().close();
}

int HttpsClient::addressFamily() const { return impl_->family; }

std::string HttpsClient::peerCertificatePem() const {
  if (!impl_->secure) return {};
  X509* peer = SSL_get1_peer_certificate(impl_->secure->native_handle());
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
  auto& impl = *impl_;
  impl.cancelled = false;
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, impl.hostHeader());
  req.set(http::field::user_agent, impl.options.userAgent);
  req.set(http::field::content_type, contentType);
  for (const auto& [name, value] : impl.options.headers) req.set(name, value);
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();

  for (int attempt = 0;; ++attempt) {
    bool reused = impl.connected();
    if (!reused) co_await impl.connect(timeout);
    http::response_parser<http::string_body> parser;
    parser.body_limit(impl.options.bodyLimit);
    error_code ec;
    if (impl.secure) {
      ec = co_await impl.exchange(*impl.secure, req, parser, timeout);
    } else {
      ec = co_await impl.exchange(*impl.plain, req, parser, timeout);
    }
    impl.throwIfCancelled();
    if (ec) {
      impl.drop();
      // A kept-alive connection the server closed while idle: one fresh try.
      if (reused && attempt == 0 && ec != beast::error::timeout) continue;
      if (ec == beast::error::timeout) {
        throw NetError(impl.where() + " did not answer within " + std::to_string(timeout.count()) +
                       " ms");
      }
      throw NetError("request to " + impl.where() + " failed: " + ec.message());
    }
    auto res = parser.release();
    ClientResponse out;
    out.status = res.result_int();
    out.reason = std::string(res.reason());
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
