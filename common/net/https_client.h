#pragma once
// An HTTPS/1.1 client that keeps its connection alive between requests and reconnects
// when the server closed it. Verifies the server's name or IP address against its
// certificate when the TLS context verifies peers.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace posture::net {

struct ClientResponse {
  unsigned status = 0;
  std::string contentType;
  std::string body;
  std::string date;  // the server's Date header, if any
};

// Every failure names the collector and the step that failed ("connect", "TLS handshake").
class NetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpsClient {
 public:
  HttpsClient(boost::asio::any_io_executor executor, std::shared_ptr<boost::asio::ssl::context> tls,
              std::string host, std::string port);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Throws NetError. A request on a connection the server had closed is retried once on a
  // new connection only if nothing of it was sent.
  boost::asio::awaitable<ClientResponse> post(std::string target, std::string contentType,
                                              std::string body,
                                              std::chrono::milliseconds timeout);
  // PEM of the server's leaf certificate on the current connection ("" if none).
  std::string peerCertificatePem() const;
  // Which address family the last connection used: 4 or 6 (0 if none yet).
  int addressFamily() const;
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Blocking convenience for one request on its own io_context (the agent's uplink).
ClientResponse postBlocking(std::shared_ptr<boost::asio::ssl::context> tls, const std::string& host,
                            const std::string& port, const std::string& target,
                            const std::string& contentType, const std::string& body,
                            std::chrono::milliseconds timeout, std::string* peerCertPem = nullptr);

}  // namespace posture::net
