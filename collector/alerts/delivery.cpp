#include "collector/alerts/delivery.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <type_traits>

#include "common/log/log.h"
#include "common/util/time.h"
#include "common/util/utf8.h"

namespace posture::collector {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds kNetworkTimeout{5000};
constexpr std::chrono::milliseconds kShutdownGrace{2000};
using util::cutUtf8;
using util::sanitizeUtf8;

std::string defaultHostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "-";
  return buf;
}

}  // namespace

// ---------------------------------------------------------------- delivery

struct AlertDelivery::Impl {
  struct Entry {
    std::uint64_t seq = 0;
    AlertNotice notice;
  };
  struct Target {
    DeliveryTarget target;
    std::string url;
    // Guarded by mu:
    std::uint64_t next = 0;              // sequence number of the next notice to send here
    SteadyClock::time_point retryAt{};   // not before (back-off)
    std::chrono::milliseconds delay{0};  // the next back-off
    bool failing = false;
    std::uint64_t failedAttempts = 0;  // in the current failing spell
    // Worker only:
    std::optional<udp::socket> udpSocket;
    std::optional<udp::endpoint> udpEndpoint;
    std::optional<tcp::socket> tcpSocket;
  };

  DeliveryOptions options;
  std::shared_ptr<asio::ssl::context> tls;
  asio::io_context io;

  mutable std::mutex mu;
  std::condition_variable wake;  // worker: new notice or stop
  std::condition_variable idle;  // waitIdle: queue empty
  std::deque<Entry> queue;
  std::vector<Target> targets;
  std::uint64_t nextSeq = 0;
  DeliveryStats stats;
  bool stopping = false;
  bool overflowing = false;
  std::uint64_t droppedThisSpell = 0;
  SteadyClock::time_point stopDeadline = SteadyClock::time_point::max();
  // Read by the worker without the lock while a network operation runs.
  std::atomic<SteadyClock::rep> hardStop{SteadyClock::time_point::max().time_since_epoch().count()};
  std::thread worker;

  SteadyClock::time_point hardStopAt() const {
    return SteadyClock::time_point(SteadyClock::duration(hardStop.load()));
  }

  // ------------------------------------------------------------ queue (mu held)

  void dropOldest() {
    std::uint64_t seq = queue.front().seq;
    queue.pop_front();
    ++stats.dropped;
    ++droppedThisSpell;
    for (auto& t : targets) {
      if (t.next <= seq) t.next = seq + 1;
    }
    if (!overflowing) {
      overflowing = true;
      log::warn("alert delivery: queue full (", options.maxQueue,
                " notices), dropping the oldest until targets catch up");
    }
  }

  // Forgets notices every target has passed.
  void trim() {
    std::uint64_t low = nextSeq;
    for (const auto& t : targets) low = std::min(low, t.next);
    while (!queue.empty() && queue.front().seq < low) queue.pop_front();
    if (overflowing && queue.size() <= options.maxQueue / 2) {
      overflowing = false;
      log::info("alert delivery: queue has room again; ", droppedThisSpell,
                " notices were dropped");
      droppedThisSpell = 0;
    }
    if (queue.empty()) idle.notify_all();
  }

  // ------------------------------------------------------------ network (worker, no lock)

  // Runs the io_context until `done`. Past `deadline` or the shutdown cut-off it calls
  // cancel() (which closes the socket) and lets the aborted operation finish; false then.
  bool await(const bool& done, SteadyClock::time_point deadline,
             const std::function<void()>& cancel) {
    while (!done) {
      auto limit = std::min(deadline, hardStopAt());
      auto now = SteadyClock::now();
      if (now >= limit) {
        cancel();
        while (!done) {
          if (io.stopped()) io.restart();
          io.run_one_for(std::chrono::milliseconds(100));
        }
        return false;
      }
      if (io.stopped()) io.restart();
      io.run_one_for(std::min<SteadyClock::duration>(limit - now, std::chrono::milliseconds(100)));
    }
    return true;
  }

  template <class Protocol>
  bool resolve(const Target& t, typename Protocol::resolver::results_type& out,
               std::string& error) {
    typename Protocol::resolver resolver(io);
    bool done = false;
    error_code ec;
    resolver.async_resolve(t.target.host, std::to_string(t.target.port),
                           [&](const error_code& e, typename Protocol::resolver::results_type r) {
                             ec = e;
                             out = std::move(r);
                             done = true;
                           });
    if (!await(done, SteadyClock::now() + kNetworkTimeout, [&] { resolver.cancel(); })) {
      ec = asio::error::timed_out;
    }
    if (!ec && out.empty()) ec = asio::error::host_not_found;
    if (ec) error = "cannot resolve " + t.target.host + ": " + ec.message();
    return !ec;
  }

  template <class Socket>
  bool connect(Socket& socket, const tcp::resolver::results_type& endpoints, std::string& error) {
    bool done = false;
    error_code ec;
    auto handler = [&](const error_code& e, const tcp::endpoint&) {
      ec = e;
      done = true;
    };
    if constexpr (std::is_same_v<Socket, beast::tcp_stream>) {
      socket.async_connect(endpoints, handler);
    } else {
      asio::async_connect(socket, endpoints, handler);
    }
    auto cancel = [&] {
      if constexpr (std::is_same_v<Socket, beast::tcp_stream>) {
        socket.close();
      } else {
        error_code ignored;
        socket.close(ignored);
      }
    };
    if (!await(done, SteadyClock::now() + kNetworkTimeout, cancel)) {
      ec = asio::error::timed_out;
    }
    if (ec) error = "cannot connect: " + ec.message();
    return !ec;
  }

  bool sendUdp(Target& t, const AlertNotice& n, std::string& error) {
    if (!t.udpEndpoint) {
      udp::resolver::results_type results;
      if (!resolve<udp>(t, results, error)) return false;
      t.udpEndpoint = results.begin()->endpoint();
      t.udpSocket.reset();
    }
    error_code ec;
    if (!t.udpSocket) {
      t.udpSocket.emplace(io);
      t.udpSocket->open(t.udpEndpoint->protocol(), ec);
      if (ec) {
        t.udpSocket.reset();
        error = "cannot open a UDP socket: " + ec.message();
        return false;
      }
    }
    std::string message = formatSyslog5424(n, options.hostname, kSyslogUdpMaxBytes);
    t.udpSocket->send_to(asio::buffer(message), *t.udpEndpoint, 0, ec);
    if (ec) {
      t.udpSocket.reset();
      t.udpEndpoint.reset();  // resolve again next time
      error = "cannot send: " + ec.message();
      return false;
    }
    return true;
  }

  // True when the receiver closed (or broke) the kept connection while it was idle.
  // Anything it sent (syslog receivers send nothing) is read and ignored.
  static bool peerGone(tcp::socket& socket) {
    char buf[512];
    for (;;) {
      ssize_t got = ::recv(socket.native_handle(), buf, sizeof buf, MSG_DONTWAIT);
      if (got == 0) return true;
      if (got < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
  }

  bool sendTcp(Target& t, const AlertNotice& n, std::string& error) {
    if (t.tcpSocket && peerGone(*t.tcpSocket)) t.tcpSocket.reset();
    if (!t.tcpSocket) {
      tcp::resolver::results_type results;
      if (!resolve<tcp>(t, results, error)) return false;
      t.tcpSocket.emplace(io);
      if (!connect(*t.tcpSocket, results, error)) {
        t.tcpSocket.reset();
        return false;
      }
      error_code ignored;
      t.tcpSocket->set_option(tcp::no_delay(true), ignored);
    }
    std::string frame =
        frameOctetCounted(formatSyslog5424(n, options.hostname, kSyslogTcpMaxBytes));
    bool done = false;
    error_code ec;
    asio::async_write(*t.tcpSocket, asio::buffer(frame), [&](const error_code& e, std::size_t) {
      ec = e;
      done = true;
    });
    if (!await(done, SteadyClock::now() + kNetworkTimeout, [&] {
          error_code ignored;
          t.tcpSocket->close(ignored);
        })) {
      ec = asio::error::timed_out;
    }
    if (ec) {
      t.tcpSocket.reset();
      error = "cannot send: " + ec.message();
      return false;
    }
    return true;
  }

  template <class Stream>
  bool exchange(Stream& stream, beast::tcp_stream& lowest, http::request<http::string_body>& req,
                std::string& error) {
    auto cancel = [&] { lowest.close(); };
    bool done = false;
    error_code ec;
    http::async_write(stream, req, [&](const error_code& e, std::size_t) {
      ec = e;
      done = true;
    });
    if (!await(done, SteadyClock::now() + kNetworkTimeout, cancel)) ec = asio::error::timed_out;
    if (ec) {
      error = "cannot send the request: " + ec.message();
      return false;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    done = false;
    http::async_read(stream, buffer, parser, [&](const error_code& e, std::size_t) {
      ec = e;
      done = true;
    });
    if (!await(done, SteadyClock::now() + kNetworkTimeout, cancel)) ec = asio::error::timed_out;
    if (ec) {
      error = "no answer: " + ec.message();
      return false;
    }
    unsigned status = parser.get().result_int();
    if (status < 200 || status > 299) {
      std::string body = sanitizeUtf8(cutUtf8(sanitizeUtf8(parser.get().body()), 200));
      for (char& c : body) {
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
      }
      error = "answered " + std::to_string(status) + " " + std::string(parser.get().reason()) +
              (body.empty() ? "" : ": " + body);
      return false;
    }
    return true;
  }

  bool sendWebhook(Target& t, const AlertNotice& n, std::string& error) {
    tcp::resolver::results_type results;
    if (!resolve<tcp>(t, results, error)) return false;

    http::request<http::string_body> req{http::verb::post, t.target.path, 11};
    std::string host = hostForUrl(t.target.host);
    if (t.target.port != (t.target.tls ? 443 : 80)) host += ":" + std::to_string(t.target.port);
    req.set(http::field::host, host);
    req.set(http::field::user_agent, "posture-collector");
    req.set(http::field::content_type, "application/json; charset=utf-8");
    req.set(http::field::accept, "*/*");
    req.keep_alive(false);
    req.body() = formatWebhookJson(n);
    req.prepare_payload();

    if (!t.target.tls) {
      beast::tcp_stream stream(io);
      if (!connect(stream, results, error)) return false;
      bool ok = exchange(stream, stream, req, error);
      error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return ok;
    }

    beast::ssl_stream<beast::tcp_stream> stream(io, *tls);
    SSL* ssl = stream.native_handle();
    error_code addrEc;
    asio::ip::make_address(t.target.host, addrEc);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (addrEc) {
      SSL_set_tlsext_host_name(ssl, t.target.host.c_str());  // SNI is for names only
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(param, t.target.host.c_str(), 0);
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(param, t.target.host.c_str());
    }
    auto& lowest = beast::get_lowest_layer(stream);
    if (!connect(lowest, results, error)) return false;
    bool done = false;
    error_code ec;
    stream.async_handshake(asio::ssl::stream_base::client, [&](const error_code& e) {
      ec = e;
      done = true;
    });
    if (!await(done, SteadyClock::now() + kNetworkTimeout, [&] { lowest.close(); })) {
      ec = asio::error::timed_out;
    }
    if (ec) {
      error = "TLS handshake failed: " + ec.message();
      long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK)
        error += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
      return false;
    }
    bool ok = exchange(stream, lowest, req, error);
    lowest.close();
    return ok;
  }

  bool send(Target& t, const AlertNotice& n, std::string& error) {
    try {
      switch (t.target.kind) {
        case DeliveryTarget::Kind::SyslogUdp:
          return sendUdp(t, n, error);
        case DeliveryTarget::Kind::SyslogTcp:
          return sendTcp(t, n, error);
        case DeliveryTarget::Kind::Webhook:
          return sendWebhook(t, n, error);
      }
      error = "unknown target kind";
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "unknown error";
    }
    t.tcpSocket.reset();
    t.udpSocket.reset();
    t.udpEndpoint.reset();
    return false;
  }

  // ------------------------------------------------------------ worker

  void run() {
    std::unique_lock lock(mu);
    std::size_t roundRobin = 0;
    for (;;) {
      if (queue.empty()) {
        idle.notify_all();
        if (stopping) break;
        wake.wait(lock, [&] { return stopping || !queue.empty(); });
        continue;
      }
      auto now = SteadyClock::now();
      if (stopping && now >= stopDeadline) break;
      std::optional<std::size_t> pick;
      auto earliest = SteadyClock::time_point::max();
      for (std::size_t k = 0; k < targets.size(); ++k) {
        std::size_t i = (roundRobin + k) % targets.size();
        const Target& t = targets[i];
        if (t.next >= nextSeq) continue;  // nothing waiting for this one
        if (t.retryAt <= now) {
          pick = i;
          break;
        }
        earliest = std::min(earliest, t.retryAt);
      }
      if (!pick) {
        if (stopping) {
          if (earliest >= stopDeadline) break;  // nothing more can go out in time
          wake.wait_until(lock, std::min(earliest, stopDeadline));
        } else {
          wake.wait_until(lock, earliest);
        }
        continue;
      }
      roundRobin = *pick + 1;
      Target& t = targets[*pick];
      std::uint64_t seq = t.next;
      AlertNotice notice = queue[static_cast<std::size_t>(seq - queue.front().seq)].notice;
      lock.unlock();
      std::string error;
      bool ok = send(t, notice, error);
      lock.lock();
      bool stillWanted = t.next == seq;  // else an overflow dropped it meanwhile
      if (ok) {
        ++stats.delivered;
        if (stillWanted) t.next = seq + 1;
        t.retryAt = {};
        t.delay = options.firstRetry;
        if (t.failing) {
          log::info("alert delivery to ", t.url, " works again after ", t.failedAttempts,
                    " failed attempts");
        }
        t.failing = false;
        t.failedAttempts = 0;
      } else {
        if (stillWanted) ++stats.retried;
        ++t.failedAttempts;
        t.retryAt = SteadyClock::now() + t.delay;
        if (!t.failing) {
          log::warn("alert delivery to ", t.url, " failed: ", error, "; retrying with back-off (",
                    t.delay.count(), " ms up to ", options.maxRetry.count(), " ms)");
        }
        t.failing = true;
        t.delay = std::min(t.delay * 2, options.maxRetry);
      }
      trim();
    }
    if (!queue.empty()) {
      log::warn("alert delivery: ", queue.size(), " notices not delivered at shutdown");
      stats.dropped += queue.size();
      queue.clear();
    }
    idle.notify_all();
  }
};

AlertDelivery::AlertDelivery(DeliveryOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.options = std::move(options);
  if (d.options.maxQueue == 0) d.options.maxQueue = 1;
  if (d.options.firstRetry.count() <= 0) d.options.firstRetry = std::chrono::milliseconds(1);
  if (d.options.maxRetry < d.options.firstRetry) d.options.maxRetry = d.options.firstRetry;
  if (d.options.hostname.empty()) d.options.hostname = defaultHostname();
  bool needTls = false;
  for (const auto& target : d.options.targets) {
    Impl::Target t;
    t.target = target;
    t.url = deliveryTargetUrl(target);
    t.delay = d.options.firstRetry;
    needTls = needTls || (target.kind == DeliveryTarget::Kind::Webhook && target.tls);
    d.targets.push_back(std::move(t));
  }
  if (needTls) {
    d.tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    d.tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_compression);
    SSL_CTX_set_min_proto_version(d.tls->native_handle(), TLS1_2_VERSION);
    error_code ec;
    d.tls->set_default_verify_paths(ec);
    if (ec) log::warn("alert delivery: cannot load the system CA certificates: ", ec.message());
    if (!d.options.caFile.empty()) {
      d.tls->load_verify_file(d.options.caFile, ec);
      if (ec) {
        throw std::invalid_argument("alert delivery: cannot load CA file " + d.options.caFile +
                                    ": " + ec.message());
      }
    }
    d.tls->set_verify_mode(asio::ssl::verify_peer);
  }
  d.worker = std::thread([&d] { d.run(); });
}

AlertDelivery::~AlertDelivery() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    impl_->stopDeadline = SteadyClock::now() + kShutdownGrace;
    impl_->hardStop.store(impl_->stopDeadline.time_since_epoch().count());
  }
  impl_->wake.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
}

void AlertDelivery::publish(const AlertNotice& notice) {
  Impl& d = *impl_;
  try {
    Impl::Entry entry{0, notice};
    {
      std::lock_guard lock(d.mu);
      if (d.targets.empty() || d.stopping) return;
      while (d.queue.size() >= d.options.maxQueue) d.dropOldest();
      entry.seq = d.nextSeq++;
      d.queue.push_back(std::move(entry));
    }
    d.wake.notify_one();
  } catch (...) {
    // Out of memory copying the notice: count it and carry on.
    try {
      std::lock_guard lock(d.mu);
      ++d.stats.dropped;
    } catch (...) {
    }
  }
}

DeliveryStats AlertDelivery::stats() const {
  std::lock_guard lock(impl_->mu);
  DeliveryStats out = impl_->stats;
  out.queued = impl_->queue.size();
  return out;
}

bool AlertDelivery::waitIdle(std::chrono::milliseconds limit) {
  std::unique_lock lock(impl_->mu);
  return impl_->idle.wait_for(lock, limit, [&] { return impl_->queue.empty(); });
}

}  // namespace posture::collector
