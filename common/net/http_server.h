#pragma once
// An HTTPS/1.1 server with keep-alive on Boost.Beast. One coroutine per connection on its
// own strand; every read and write has a timeout; oversized or malformed requests get a
// 4xx and the connection is closed, the server keeps serving.
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
#include <string>
#include <utility>
#include <vector>

namespace posture::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;

struct Request {
  http::request<http::string_body> message;
  bool peerVerified = false;     // a client certificate chained to our CA was presented
  std::string peerCommonName;    // its subject CN (the agent id)
  std::string peerUnit;          // its subject OU (the unit code)
  std::string remote;            // "address:port" of the client
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

struct ServerLimits {
  std::size_t maxBodyBytes = 1 << 20;
  std::size_t maxHeaderBytes = 16 << 10;
  std::chrono::seconds handshakeTimeout{10};
  std::chrono::seconds idleTimeout{120};
  std::size_t maxConnections = 20000;
};

class HttpsServer {
 public:
  HttpsServer(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls, Handler handler,
              ServerLimits limits = {});
  ~HttpsServer();
  // Binds "HOST:PORT" ("[::1]:8443", "127.0.0.1:0", "0.0.0.0:8443") and starts accepting.
  // Returns the bound endpoint (useful with port 0). Throws with the address on failure.
  asio::ip::tcp::endpoint listen(const std::string& hostPort);
  void stop();
  std::size_t connections() const { return connections_->load(); }

 private:
  asio::awaitable<void> acceptLoop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor);
  asio::awaitable<void> session(asio::ip::tcp::socket socket);

  asio::io_context& io_;
  std::shared_ptr<asio::ssl::context> tls_;
  Handler handler_;
  ServerLimits limits_;
  std::vector<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::shared_ptr<std::atomic<std::size_t>> connections_ =
      std::make_shared<std::atomic<std::size_t>>(0);
};

// Splits "HOST:PORT", "[V6]:PORT"; throws std::invalid_argument naming the text.
std::pair<std::string, std::string> splitHostPort(const std::string& hostPort);

}  // namespace posture::net
