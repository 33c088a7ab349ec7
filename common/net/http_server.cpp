#include "common/net/http_server.h"

#include "common/net/http_framing.h"

#include <openssl/bn.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#ifndef _WIN32
#include <sys/resource.h>
#endif

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <limits>
#include <type_traits>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "common/log/log.h"
#include "common/util/time.h"

namespace posture::net {
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

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

std::string sourceGroup(const asio::ip::address& a) {
  if (a.is_v4()) return a.to_v4().to_string();
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return asio::ip::address_v6(bytes).to_string() + "/64";
}

std::string sourceGroup(std::string_view address) {
  if (address.empty() || address.size() > 63) return "invalid";  // 45 characters and a zone
  std::string text(address.substr(0, address.find('%')));
  error_code ec;
  auto a = asio::ip::make_address(text, ec);
  return ec ? std::string("invalid") : sourceGroup(a);
}

std::string remoteAddress(std::string_view remote) {
  if (remote.starts_with('[')) {
    auto close = remote.find(']');
    return std::string(close == std::string_view::npos ? remote.substr(1)
                                                       : remote.substr(1, close - 1));
  }
  auto colon = remote.rfind(':');
  return std::string(colon == std::string_view::npos ? remote : remote.substr(0, colon));
}

std::size_t raiseDescriptorLimit() {
#ifdef _WIN32
  return 0;  // no per-process descriptor limit to raise; the collector runs on Linux
#else
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
  if (r.rlim_cur < r.rlim_max) {
    rlimit want = r;
    want.rlim_cur = r.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &want) == 0) r = want;
  }
  return r.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<std::size_t>(r.rlim_cur);
#endif
}

struct HttpsServer::State {
  std::shared_ptr<asio::ssl::context> tls;
  Handler handler;
  Admit admit;
  ServerLimits limits;
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> bodyInUse{0};
  std::mutex sourcesMutex;
  std::unordered_map<std::string, std::size_t> unauthenticated;  // by source group
  std::size_t unauthenticatedTotal = 0;
  std::atomic<std::uint64_t> refusedPerSource{0}, refusedOverall{0}, acceptFailures{0},
      bodyBudgetRefusals{0}, handshakeFailures{0};
  log::RateLimiter failureLines{5, 60s};

  bool enterSource(const std::string& source) {
    std::lock_guard lock(sourcesMutex);
    auto& n = unauthenticated[source];
    if (n >= limits.maxUnauthenticatedPerSource) {
      if (n == 0) unauthenticated.erase(source);
      return false;
    }
    ++n;
    ++unauthenticatedTotal;
    return true;
  }
  void leaveSource(const std::string& source) {
    std::lock_guard lock(sourcesMutex);
    auto it = unauthenticated.find(source);
    if (it == unauthenticated.end()) return;
    --unauthenticatedTotal;
    if (--it->second == 0) unauthenticated.erase(it);
  }
  bool reserveBody(std::size_t n) {
    std::size_t used = bodyInUse.load();
    do {
      if (used + n > limits.bodyBudgetBytes || used + n < used) return false;
    } while (!bodyInUse.compare_exchange_weak(used, used + n));
    return true;
  }
  // A failure line about a peer, at most a few per source and minute.
  template <typename... Args>
  void failure(const std::string& source, const Args&... args) {
    std::uint64_t suppressed = 0;
    if (!failureLines.allow(source, &suppressed)) return;
    if (suppressed > 0) {
      log::info(args..., " (", suppressed, " similar line(s) from ", source, " suppressed)");
    } else {
      log::info(args...);
    }
  }
};

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

// Lower-case hex, as crypto::inspectCertificate writes it (and the agents table holds).
std::string serialHex(X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  if (!bn) return {};
  char* hex = BN_bn2hex(bn);
  BN_free(bn);
  if (!hex) return {};
  std::string out = hex;
  OPENSSL_free(hex);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
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

Response plain(unsigned status, std::string body) {
  return Response{status, "text/plain; charset=utf-8", std::move(body), {}};
}

bool clientLeft(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated ||
         ec == asio::error::eof || ec == beast::error::timeout ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::broken_pipe;
}

// Answers once and closes. When the client may still be sending a body we did not read,
// a bounded lingering drain lets it read the answer instead of getting a reset.
// (A free function with named arguments: GCC 12 mishandles temporaries captured by
// coroutine lambdas.)
template <typename Stream>
asio::awaitable<void> refuse(Stream& stream, Response r, bool drain, const ServerLimits& limits) {
  auto& lowest = beast::get_lowest_layer(stream);
  auto res = toHttp(std::move(r), 11, false);
  error_code ec;
  lowest.expires_after(limits.writeTimeout);
  co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  if (ec || !drain) co_return;
  lowest.expires_after(limits.lingerTimeout);
  std::size_t drained = 0;
  char sink[16384];
  while (!ec && drained < (8u << 20)) {
    drained += co_await stream.async_read_some(asio::buffer(sink),
                                               asio::redirect_error(asio::use_awaitable, ec));
  }
}

// Body bytes reserved from the server's budget for the request being handled.
struct Reservation {
  std::atomic<std::size_t>& inUse;
  std::size_t bytes = 0;
  ~Reservation() { release(); }
  void release() {
    inUse -= bytes;
    bytes = 0;
  }
};

bool outOfDescriptors(const error_code& ec) {
  return ec == boost::system::errc::too_many_files_open ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == boost::system::errc::no_buffer_space ||
         ec == boost::system::errc::not_enough_memory;
}
}  // namespace

HttpsServer::HttpsServer(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                         Handler handler, ServerLimits limits, Admit admit)
    : io_(io), state_(std::make_shared<State>()) {
  state_->tls = std::move(tls);
  state_->handler = std::move(handler);
  state_->admit = std::move(admit);
  state_->limits = limits;
}

HttpsServer::~HttpsServer() { stop(); }

std::size_t HttpsServer::connections() const { return state_->connections.load(); }

ServerCounters HttpsServer::counters() const {
  ServerCounters c;
  c.connections = state_->connections.load();
  {
    std::lock_guard lock(state_->sourcesMutex);
    c.unauthenticated = state_->unauthenticatedTotal;
  }
  c.refusedPerSource = state_->refusedPerSource.load();
  c.refusedOverall = state_->refusedOverall.load();
  c.acceptFailures = state_->acceptFailures.load();
  c.bodyBudgetRefusals = state_->bodyBudgetRefusals.load();
  c.handshakeFailures = state_->handshakeFailures.load();
  c.logLinesSuppressed = state_->failureLines.suppressedTotal();
  return c;
}

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
  auto state = state_;
  const auto& limits = state->limits;
  auto backoff = 0ms;
  auto lastFailureLine = std::chrono::steady_clock::time_point{};
  std::uint64_t failuresSinceLine = 0;
  asio::steady_timer pause(acceptor->get_executor());
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await acceptor->async_accept(
        asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      // Out of descriptors, the pending connection stays in the backlog: wait for sessions
      // to end (every phase has a deadline) instead of failing in a tight loop, and say so
      // once per interval.
      ++state->acceptFailures;
      ++failuresSinceLine;
      auto now = std::chrono::steady_clock::now();
      if (now - lastFailureLine >= 10s) {
        log::warn("accept failed ", failuresSinceLine, " time(s) in the last interval: ",
                  ec.message(), outOfDescriptors(ec) ? "; backing off" : "");
        lastFailureLine = now;
        failuresSinceLine = 0;
      }
      if (outOfDescriptors(ec)) {
        backoff = std::min<std::chrono::milliseconds>(backoff == 0ms ? 10ms : backoff * 2, 1000ms);
        pause.expires_after(backoff);
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      continue;
    }
    backoff = 0ms;
    error_code ignored;
    auto peer = socket.remote_endpoint(ignored);
    std::string source = ignored ? std::string("?") : sourceGroup(peer.address());
    if (state->connections.load() >= limits.maxConnections) {
      ++state->refusedOverall;
      state->failure("*", "connection limit (", limits.maxConnections,
                     ") reached, refusing clients");
      socket.close(ignored);
      continue;
    }
    if (!state->enterSource(source)) {
      ++state->refusedPerSource;
      state->failure(source, "too many unauthenticated connections from ", source, " (",
                     limits.maxUnauthenticatedPerSource, "), refusing more");
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ignored);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, session(state, std::move(socket), std::move(source)), asio::detached);
  }
}

asio::awaitable<void> HttpsServer::session(std::shared_ptr<State> st, tcp::socket socket,
                                           std::string source) {
  // Counts the connection, and holds its place under its source's cap until it
  // authenticates (a verified client certificate) or ends.
  struct Presence {
    State& st;
    std::string source;
    bool counted = true;
    Presence(State& s, std::string src) : st(s), source(std::move(src)) { ++st.connections; }
    ~Presence() {
      --st.connections;
      authenticated();
    }
    void authenticated() {
      if (counted) st.leaveSource(source);
      counted = false;
    }
  } presence(*st, source);
  error_code ec;
  std::string remote;
  {
    auto ep = socket.remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  Request base;
  base.remote = remote;
  base.source = source;
  if (!st->tls) {
    // Plain HTTP (a loopback metrics listener): no handshake, nobody authenticated.
    beast::tcp_stream stream(std::move(socket));
    co_await serveRequests(st, stream, std::move(base));
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *st->tls);
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(st->limits.handshakeTimeout);
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    ++st->handshakeFailures;
    st->failure(source, "TLS handshake with ", remote, " failed: ", ec.message());
    co_return;
  }
  if (X509* peer = SSL_get1_peer_certificate(stream.native_handle())) {
    base.peerVerified = SSL_get_verify_result(stream.native_handle()) == X509_V_OK;
    base.peerCommonName = nameEntry(X509_get_subject_name(peer), NID_commonName);
    base.peerUnit = nameEntry(X509_get_subject_name(peer), NID_organizationalUnitName);
    base.peerSerial = serialHex(peer);
    X509_free(peer);
  }
  if (base.peerVerified) presence.authenticated();
  co_await serveRequests(st, stream, std::move(base));
}

template <typename Stream>
asio::awaitable<void> HttpsServer::serveRequests(std::shared_ptr<State> st, Stream& stream,
                                                 Request base) {
  Reservation reservation{st->bodyInUse};
  const auto& limits = st->limits;
  const std::string& source = base.source;
  const std::string& remote = base.remote;
  auto& lowest = beast::get_lowest_layer(stream);
  error_code ec;
  // Requests are read a piece at a time through a RequestCount into a bounded buffer
  // (common/net/http_framing.h): Beast's own limits bound neither a head read over several
  // steps nor chunked trailers, and its buffer would grow on a line that never ends.
  const FramingLimits framing{limits.maxBodyBytes, limits.maxHeaderBytes};
  beast::flat_buffer buffer(bufferLimit(framing));
  for (;;) {
    // Keep-alive: wait for the first byte of the next request.
    if (buffer.size() == 0) {
      lowest.expires_after(limits.idleTimeout);
      std::size_t n = co_await stream.async_read_some(
          buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      buffer.commit(n);
    }
    RequestParser parser;
    applyLimits(parser, framing);
    // The route's limit is known only after admission; until then Content-Length is
    // compared with it below, not by the parser (which would call it malformed).
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    RequestCount headCount(framing);
    lowest.expires_after(limits.headerTimeout);
    while (!ec && !parser.is_header_done()) {
      std::size_t n = co_await http::async_read_some(stream, buffer, parser,
                                                     asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) ec = headCount.add(n, true);
    }
    if (ec) {
      if (clientLeft(ec)) break;
      // The request could not be read as HTTP: answer once and close, since the stream
      // position is no longer trustworthy.
      auto refused = refusal(ec, framing);
      if (!refused) break;
      Response r = plain(refused->status, refused->body);
      st->failure(source, "bad request from ", remote, ": ", r.body.substr(0, r.body.size() - 1));
      co_await refuse(stream, std::move(r), true, limits);
      break;
    }

    Request request = base;
    request.message = parser.get();  // the headers; the body is not read yet
    std::size_t limit = limits.maxBodyBytes;
    if (st->admit) {
      Admission a = st->admit(request);
      if (auto* refusal = std::get_if<Response>(&a)) {
        Response r = std::move(*refusal);
        co_await refuse(stream, std::move(r), !parser.is_done(), limits);
        break;
      }
      limit = std::get<std::size_t>(a);
    }
    if (!parser.is_done()) {
      auto length = parser.content_length();
      if (length && *length > limit) {
        st->failure(source, "request body of ", *length, " bytes from ", remote,
                    " refused (limit ", limit, ")");
        Response r = plain(413, "request body exceeds " + std::to_string(limit) + " bytes\n");
        co_await refuse(stream, std::move(r), true, limits);
        break;
      }
      std::size_t need = length ? static_cast<std::size_t>(*length) : limit;
      if (!st->reserveBody(need)) {
        ++st->bodyBudgetRefusals;
        Response busy = plain(503, "the collector is busy receiving other requests; retry later\n");
        busy.headers.emplace_back("Retry-After", "5");
        co_await refuse(stream, std::move(busy), true, limits);
        break;
      }
      reservation.bytes = need;
      parser.body_limit(limit);
      // The body with its chunked framing and trailers, to the route's limit.
      const FramingLimits route{limit, limits.maxHeaderBytes};
      RequestCount bodyCount(route);
      lowest.expires_after(limits.bodyTimeout);
      while (!ec && !parser.is_done()) {
        std::size_t n = co_await http::async_read_some(
            stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) ec = bodyCount.add(n, false);
      }
      if (ec) {
        if (!clientLeft(ec)) {
          if (auto refused = refusal(ec, route)) {
            if (refused->status != 413) {
              st->failure(source, "bad request body from ", remote, ": ", ec.message());
            }
            co_await refuse(stream, plain(refused->status, refused->body), true, limits);
          }
        }
        break;
      }
    }

    request.message = parser.release();
    bool keepAlive = request.message.keep_alive();
    unsigned version = request.message.version();
    Response response;
    try {
      response = co_await st->handler(request);
    } catch (const std::exception& e) {
      log::error("handler failed for ", request.message.target(), " from ", remote, ": ", e.what());
      response = plain(500, "internal error\n");
    }
    request.message.body().clear();
    request.message.body().shrink_to_fit();
    reservation.release();
    auto res = toHttp(std::move(response), version, keepAlive);
    lowest.expires_after(limits.writeTimeout);
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !keepAlive) break;
  }
  lowest.expires_after(5s);
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  } else {
    co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace posture::net
