#pragma once
// An HTTPS/1.1 server with keep-alive on Boost.Beast, built to stay up on a hostile
// network. One coroutine per connection on its own strand.
//
// What a client can hold, and for how long:
// - Every phase has an absolute deadline: the TLS handshake, the wait for the next request
//   (keep-alive), its headers, its body, writing the answer, and the lingering close after
//   a refusal. A slow client loses its connection; it cannot stretch a phase.
// - Connections that have not authenticated (no verified client certificate: enrolment,
//   the console, or a handshake still in progress) are capped per source: one IPv4 address
//   or one IPv6 /64. Beyond the cap the connection is closed at once.
// - A request's headers are read first. `admit` then sees them with the peer's identity and
//   either refuses (its answer is sent, the body is never read, the connection closes) or
//   sets the body limit for that route. Bodies of all connections together stay within
//   `bodyBudgetBytes`; beyond it a request gets 503 with Retry-After.
// - When the process runs out of descriptors (EMFILE, ENFILE), accepting backs off and
//   says so once per interval instead of spinning.
// - Failure lines (handshakes, malformed requests) are rate-limited per source.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace posture::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;

struct Request {
  http::request<http::string_body> message;  // before admission: the headers, no body yet
  bool peerVerified = false;     // a client certificate chained to our CA was presented
  std::string peerCommonName;    // its subject CN (the agent id)
  std::string peerUnit;          // its subject OU (the unit code)
  std::string peerSerial;        // its serial number, lower-case hex (crypto::CertificateInfo)
  std::string remote;            // "address:port" of the client
  std::string source;            // the client's source group (sourceGroup())
};

struct Response {
  unsigned status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
  // Extra response headers (Set-Cookie, Content-Security-Policy, ...), written in order
  // after Server, Date and Content-Type.
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<asio::awaitable<Response>(Request&)>;
// Called with the headers only: a refusal, or the most body bytes this request may send.
using Admission = std::variant<std::size_t, Response>;
using Admit = std::function<Admission(const Request&)>;

struct ServerLimits {
  std::size_t maxBodyBytes = 1 << 20;  // without an `admit`, every request's body limit
  std::size_t maxHeaderBytes = 16 << 10;
  std::chrono::seconds handshakeTimeout{10};
  std::chrono::seconds idleTimeout{120};   // a kept-alive connection waiting for a request
  std::chrono::seconds headerTimeout{10};  // its first byte to the end of its headers
  std::chrono::seconds bodyTimeout{60};    // the end of its headers to the end of its body
  std::chrono::seconds writeTimeout{30};
  std::chrono::seconds lingerTimeout{5};   // draining a refused body, in all
  std::size_t maxConnections = 20000;
  std::size_t maxUnauthenticatedPerSource = 64;
  std::size_t bodyBudgetBytes = 256 << 20;
};

// Figures of one server, for tests and benchmarks.
struct ServerCounters {
  std::size_t connections = 0;
  std::size_t unauthenticated = 0;
  std::uint64_t refusedPerSource = 0;  // closed at accept: the source's cap was reached
  std::uint64_t refusedOverall = 0;    // closed at accept: maxConnections
  std::uint64_t acceptFailures = 0;    // EMFILE and friends
  std::uint64_t bodyBudgetRefusals = 0;
  std::uint64_t logLinesSuppressed = 0;
  std::uint64_t handshakeFailures = 0;  // TLS handshakes that failed (a scanner, a bad client)
};

class HttpsServer {
 public:
  // A null `tls` serves plain HTTP, with the same limits and deadlines (the metrics
  // listener on a loopback address); nobody is then authenticated.
  HttpsServer(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls, Handler handler,
              ServerLimits limits = {}, Admit admit = {});
  ~HttpsServer();
  // Binds "HOST:PORT" ("[::1]:8443", "127.0.0.1:0", "0.0.0.0:8443") and starts accepting.
  // Returns the bound endpoint (useful with port 0). Throws with the address on failure.
  asio::ip::tcp::endpoint listen(const std::string& hostPort);
  void stop();
  std::size_t connections() const;
  ServerCounters counters() const;

 private:
  struct State;
  asio::awaitable<void> acceptLoop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor);
  static asio::awaitable<void> session(std::shared_ptr<State> state, asio::ip::tcp::socket socket,
                                       std::string source);
  // The requests of one connection, over TLS or plain TCP (defined and used in the .cpp).
  template <typename Stream>
  static asio::awaitable<void> serveRequests(std::shared_ptr<State> state, Stream& stream,
                                             Request base);

  asio::io_context& io_;
  std::shared_ptr<State> state_;
  std::vector<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors_;
};

// Splits "HOST:PORT", "[V6]:PORT"; throws std::invalid_argument naming the text.
std::pair<std::string, std::string> splitHostPort(const std::string& hostPort);

// The group a client address is counted and throttled under, the one place that decides
// it (the server's unauthenticated cap, the console's login throttle). Throttling by the
// exact address would let one IPv6 host walk through its whole /64 (SLAAC and privacy
// addresses give every host 2^64 addresses), so:
//   "192.0.2.7"           IPv4: the address itself
//   "2001:db8:1:2::/64"   IPv6: its /64, in the canonical text form
//   "192.0.2.7"           IPv4-mapped IPv6 (::ffff:192.0.2.7): as IPv4
std::string sourceGroup(const asio::ip::address& address);
// The same from an address's text. A zone ("fe80::1%eth0") is ignored; text that is no
// address at all is one group, "invalid", so garbage cannot make up fresh groups.
std::string sourceGroup(std::string_view address);
// The address part of Request::remote: "192.0.2.9:51234" → "192.0.2.9",
// "2001:db8::1:443" → "2001:db8::1" (the port is always the last ':' field),
// "[2001:db8::1]:443" → "2001:db8::1". Text without any ':' is returned as is.
std::string remoteAddress(std::string_view remote);

// Raises this process's soft descriptor limit to its hard limit (a systemd service starts
// with 1,024). Returns the soft limit in force afterwards.
std::size_t raiseDescriptorLimit();

}  // namespace posture::net
