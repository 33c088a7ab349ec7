#include "collector/metrics/endpoint.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>

#include "common/util/files.h"

namespace posture::collector::metrics {

bool isLoopbackHost(std::string_view host) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return false;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

std::vector<ListenPlan> planListeners(const std::vector<std::string>& listen, bool forceTls,
                                      const std::filesystem::path& tokenFile) {
  std::vector<ListenPlan> plans;
  if (listen.empty()) {
    if (forceTls || !tokenFile.empty()) {
      throw std::invalid_argument(
          "--metrics-tls và --metrics-token-file cần --metrics-listen HOST:PORT / "
          "need --metrics-listen HOST:PORT");
    }
    return plans;
  }
  for (const auto& hostPort : listen) {
    std::string host;
    try {
      host = net::splitHostPort(hostPort).first;
    } catch (const std::invalid_argument&) {
      throw std::invalid_argument("--metrics-listen: cần HOST:PORT hoặc [IPv6]:PORT / expected "
                                  "HOST:PORT or [IPv6]:PORT, got '" + hostPort + "'");
    }
    ListenPlan p{hostPort, forceTls || !isLoopbackHost(host)};
    if (p.tls && tokenFile.empty()) {
      throw std::invalid_argument(
          "--metrics-listen " + hostPort + ": địa chỉ không phải loopback cần TLS và mã truy cập "
          "--metrics-token-file / an address other than loopback (127.0.0.1, ::1) is served over "
          "TLS with a bearer token: give --metrics-token-file FILE");
    }
    plans.push_back(p);
  }
  return plans;
}

std::string readToken(const std::filesystem::path& file) {
  auto text = util::readFile(file, 4096);
  if (!text) {
    throw std::invalid_argument("--metrics-token-file: không đọc được / cannot be read: " + file.string());
  }
  std::string token = text->substr(0, text->find_first_of("\r\n"));
  auto first = token.find_first_not_of(" \t");
  auto last = token.find_last_not_of(" \t");
  token = first == std::string::npos ? std::string() : token.substr(first, last - first + 1);
  if (token.size() < 16) {
    throw std::invalid_argument("--metrics-token-file " + file.string() +
                                ": mã truy cập cần ít nhất 16 ký tự / the token needs at least 16 "
                                "characters (e.g. openssl rand -hex 32)");
  }
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
      throw std::invalid_argument("--metrics-token-file " + file.string() +
                                  ": mã truy cập có ký tự trống hoặc điều khiển / the token holds a "
                                  "blank or control character");
    }
  }
  return token;
}

bool bearerMatches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || authorization.size() < kScheme.size()) return false;
  // The scheme is case-insensitive (RFC 7235); it is no secret.
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    char want = kScheme[i];
    if (want >= 'A' && want <= 'Z') want = static_cast<char>(want - 'A' + 'a');
    if (c != want) return false;
  }
  auto given = authorization.substr(kScheme.size());
  unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), b);
  return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

namespace {
net::Response text(unsigned status, std::string body) {
  net::Response r{status, "text/plain; charset=utf-8", std::move(body), {}};
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}
}  // namespace

boost::asio::awaitable<net::Response> MetricsEndpoint::serve(net::Request& request,
                                                             bool withToken) const {
  co_return handle(request, withToken);
}

net::Response MetricsEndpoint::handle(const net::Request& request, bool withToken) const {
  namespace http = boost::beast::http;
  auto method = request.message.method();
  bool head = method == http::verb::head;
  net::Response r;
  if (withToken && !bearerMatches(request.message[http::field::authorization], token_)) {
    r = text(401, "401 cần mã truy cập (Authorization: Bearer ...) / a bearer token is required\n");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"posture-metrics\"");
  } else if (method != http::verb::get && !head) {
    r = text(405, "405 chỉ GET hoặc HEAD / only GET or HEAD\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
  } else {
    auto target = request.message.target();
    auto path = target.substr(0, target.find('?'));
    try {
      if (path == "/metrics") {
        r = text(200, options_.render());
        r.contentType = "text/plain; version=0.0.4; charset=utf-8";
      } else if (path == "/healthz") {
        r = text(200, "ok\n");
      } else if (path == "/readyz") {
        auto why = options_.notReady ? options_.notReady() : std::nullopt;
        r = why ? text(503, "not ready: " + *why + "\n") : text(200, "ready\n");
      } else {
        r = text(404, "404 không có / no such path; try /metrics, /healthz, /readyz\n");
      }
    } catch (const std::exception& e) {
      r = text(500, std::string("500 ") + e.what() + "\n");
    }
  }
  if (head) r.body.clear();
  return r;
}

net::ServerLimits endpointLimits(std::size_t maxUnauthenticatedPerSource) {
  net::ServerLimits l;
  l.maxBodyBytes = 0;
  l.maxHeaderBytes = 8 << 10;
  l.handshakeTimeout = std::chrono::seconds(10);
  l.idleTimeout = std::chrono::seconds(30);
  l.headerTimeout = std::chrono::seconds(10);
  l.bodyTimeout = std::chrono::seconds(5);
  l.writeTimeout = std::chrono::seconds(30);
  l.lingerTimeout = std::chrono::seconds(5);
  l.maxConnections = 512;
  l.maxUnauthenticatedPerSource = maxUnauthenticatedPerSource;
  l.bodyBudgetBytes = 0;
  return l;
}

}  // namespace posture::collector::metrics
