#pragma once
// The one HTTP/1.1 client of the project: the agent's uplink, the tests' and benches'
// clients, and the alert webhook. Keeps its connection alive between requests and
// reconnects when the server closed it. With a TLS context it speaks HTTPS and verifies
// the server's name or IP address against its certificate when the context verifies
// peers (SNI for names only); without one (the webhook's http:// targets) plain HTTP.
// Resolve, connect, handshake, write and read each have their own deadline.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace posture::net {

struct ClientResponse {
  unsigned status = 0;
  std::string reason;  // "OK", "Internal Server Error"
  std::string contentType;
  std::string body;
  std::string date;  // the server's Date header, if any
};

// Every failure names the server (ClientOptions::peer and its address) and the step that
// failed ("cannot resolve", "cannot connect", "TLS handshake", "did not answer").
class NetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ClientOptions {
  std::string peer = "collector";          // what the server is, in error messages
  std::string userAgent = "posture-agent";
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every request
  std::size_t bodyLimit = 16 << 20;        // larger answers fail the request
};

class HttpsClient {
 public:
  // tls: null for plain HTTP.
  HttpsClient(boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls,
              std::string host, std::string port, ClientOptions options = {});
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Throws NetError. A request on a kept-alive connection the server had closed is tried
  // once more on a new connection (the collector deduplicates by sequence; webhook
  // receivers by the notice's id). `timeout` bounds each step, not the whole request.
  boost::asio::awaitable<ClientResponse> post(std::string target, std::string contentType,
                                              std::string body,
                                              std::chrono::milliseconds timeout);
  // PEM of the server's leaf certificate on the current connection ("" if none).
  std::string peerCertificatePem() const;
  // Which address family the last connection used: 4 or 6 (0 if none yet).
  int addressFamily() const;
  // Aborts the request in progress, if any (it throws NetError "cancelled"), and drops
  // the connection. Call it on the thread that runs the executor.
  void cancel();
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Blocking convenience for one request on its own io_context (enrolment, tests).
ClientResponse postBlocking(std::shared_ptr<boost::asio::ssl::context> tls, const std::string& host,
                            const std::string& port, const std::string& target,
                            const std::string& contentType, const std::string& body,
                            std::chrono::milliseconds timeout, std::string* peerCertPem = nullptr);

}  // namespace posture::net
