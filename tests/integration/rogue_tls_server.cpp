#include "tests/integration/rogue_tls_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace posture::test {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct RogueTlsServer::Impl {
  asio::io_context io;
  asio::ssl::context tls{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::thread thread;
  unsigned short port = 0;

  std::mutex mutex;
  std::condition_variable changed;
  Seen seen;
  int ended = 0;
  std::set<unsigned short> sentinels;  // local ports of settle()'s own connections
  int sentinelsAccepted = 0;

  asio::awaitable<void> session(tcp::socket socket) {
    unsigned short peerPort = 0;
    error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (!ec) peerPort = remote.port();
    bool sentinel = false;
    {
      std::lock_guard lock(mutex);
      sentinel = sentinels.count(peerPort) > 0;
      if (sentinel) ++sentinelsAccepted;
      else ++seen.connections;
    }
    asio::ssl::stream<tcp::socket> stream(std::move(socket), tls);
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      {
        std::lock_guard lock(mutex);
        if (!sentinel) ++seen.handshakes;
      }
      std::string received;
      char buf[4096];
      for (;;) {
        std::size_t n = co_await stream.async_read_some(asio::buffer(buf),
                                                        asio::redirect_error(asio::use_awaitable, ec));
        received.append(buf, n);
        {
          std::lock_guard lock(mutex);
          if (!sentinel) seen.bytes.append(buf, n);
        }
        if (ec) break;
        if (received.find("\r\n\r\n") != std::string::npos) {
          received.clear();
          static const std::string kAnswer =
              "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
          co_await asio::async_write(stream, asio::buffer(kAnswer),
                                     asio::redirect_error(asio::use_awaitable, ec));
          stream.lowest_layer().shutdown(tcp::socket::shutdown_send, ec);
        }
      }
    }
    {
      std::lock_guard lock(mutex);
      if (!sentinel) ++ended;
    }
    changed.notify_all();
  }

  asio::awaitable<void> acceptLoop() {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }
};

RogueTlsServer::RogueTlsServer(const std::string& chainPem, const std::string& keyPem)
    : impl_(std::make_unique<Impl>()) {
  impl_->tls.use_certificate_chain(asio::buffer(chainPem));
  impl_->tls.use_private_key(asio::buffer(keyPem), asio::ssl::context::pem);
  tcp::endpoint at(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(at.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(at);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->acceptLoop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

RogueTlsServer::~RogueTlsServer() {
  impl_->io.stop();
  impl_->thread.join();
}

int RogueTlsServer::port() const { return impl_->port; }

RogueTlsServer::Seen RogueTlsServer::settle() {
  asio::io_context io;
  tcp::socket sentinel(io);
  sentinel.open(tcp::v4());
  sentinel.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  int want = 0;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->sentinels.insert(sentinel.local_endpoint().port());
    want = impl_->sentinelsAccepted + 1;
  }
  sentinel.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port())));
  sentinel.close();
  std::unique_lock lock(impl_->mutex);
  bool done = impl_->changed.wait_for(lock, std::chrono::minutes(1), [&] {
    return impl_->sentinelsAccepted >= want && impl_->ended == impl_->seen.connections;
  });
  if (!done) throw std::runtime_error("the rogue server's connections did not end within a minute");
  return impl_->seen;
}

}  // namespace posture::test
