#pragma once
// The metrics listener's decisions and answers (`serve --metrics-listen`):
//   - on a loopback address (127.0.0.0/8, ::1) it is plain HTTP, as Prometheus exporters
//     usually are; on any other (0.0.0.0 and :: included) TLS with the collector's server
//     certificate and a bearer token (--metrics-token-file), and `serve` refuses to start
//     without the token file. --metrics-tls asks for TLS and the token on loopback too;
//   - GET or HEAD of /metrics (the text format), /healthz (liveness: the process answers)
//     and /readyz (the database takes a write and the policies are loaded); anything
//     else is 404 or 405. Requests carry no body.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/net/http_server.h"

namespace posture::collector::metrics {

// One --metrics-listen address and whether it is served over TLS with the token.
struct ListenPlan {
  std::string hostPort;
  bool tls = false;
};

// A literal loopback address: 127.0.0.0/8, ::1 (and ::ffff:127.x). Host names are not
// loopback here: what they resolve to may change.
bool isLoopbackHost(std::string_view host);

// The plan of every address; std::invalid_argument (Vietnamese, then English) for an
// address that is not HOST:PORT, a TLS address without a token file, or a token file or
// --metrics-tls without any --metrics-listen.
std::vector<ListenPlan> planListeners(const std::vector<std::string>& listen, bool forceTls,
                                      const std::filesystem::path& tokenFile);

// The token of --metrics-token-file: its first line without surrounding blanks; at least
// 16 characters. std::invalid_argument naming the file otherwise.
std::string readToken(const std::filesystem::path& file);

// Compares an Authorization header with "Bearer TOKEN" in time independent of where they
// differ (their SHA-256 digests are compared with CRYPTO_memcmp).
bool bearerMatches(std::string_view authorization, std::string_view token);

struct EndpointOptions {
  std::function<std::string()> render;  // the exposition text
  // nullopt when ready; otherwise why not (for the 503's body).
  std::function<std::optional<std::string>()> notReady;
};

class MetricsEndpoint {
 public:
  // `token`: what a TLS listener asks for (empty when every listener is plain loopback).
  MetricsEndpoint(EndpointOptions options, std::string token)
      : options_(std::move(options)), token_(std::move(token)) {}
  // withToken: the request came over a TLS listener and needs the bearer token. Never throws.
  net::Response handle(const net::Request& request, bool withToken) const;
  // The same as the listener's handler.
  boost::asio::awaitable<net::Response> serve(net::Request& request, bool withToken) const;

 private:
  EndpointOptions options_;
  std::string token_;
};

// Small limits for a listener that takes no body and answers a few kilobytes: short
// deadlines (a scraper asks every few seconds) and the same per-source cap as the others.
net::ServerLimits endpointLimits(std::size_t maxUnauthenticatedPerSource);

}  // namespace posture::collector::metrics
