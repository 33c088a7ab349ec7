// Alert delivery, the transports: UDP and TCP syslog, HTTP(S) webhook, with deadlines.
#include "collector/alerts/delivery_transport.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "common/log/log.h"
#include "common/net/https_client.h"
#include "common/util/time.h"
#include "common/util/utf8.h"

namespace posture::collector {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::milliseconds kNetworkTimeout{5000};
// A webhook attempt: resolve, connect, handshake, write and read, twice at worst.
constexpr std::chrono::milliseconds kWebhookAttempt{30000};
using util::cutUtf8;
using util::sanitizeUtf8;

}  // namespace

struct DeliveryTransport::Impl {
  struct Target {
    DeliveryTarget target;
    std::optional<udp::socket> udpSocket;
    std::optional<udp::endpoint> udpEndpoint;
    std::optional<tcp::socket> tcpSocket;
    std::unique_ptr<net::HttpsClient> web;
  };

  std::string hostname;
  std::string caFile;
  SmtpSettings smtp;
  std::shared_ptr<asio::ssl::context> tls;      // webhooks over https
  std::shared_ptr<asio::ssl::context> smtpTls;  // e-mail: the system's CAs plus smtp.caFile
  asio::io_context io;
  std::mutex targetsMu;  // addTarget (any thread) against send (the worker)
  std::vector<std::unique_ptr<Target>> targets;
  // Read without a lock while a network operation runs; set from another thread.
  std::atomic<SteadyClock::rep> hardStop{SteadyClock::time_point::max().time_since_epoch().count()};

  Impl(const std::vector<DeliveryTarget>& list, std::string host, std::string ca,
       const SmtpSettings& mail)
      : hostname(std::move(host)), caFile(std::move(ca)), smtp(mail) {
    bool needTls = false;
    for (const auto& target : list) {
      auto t = std::make_unique<Target>();
      t->target = target;
      needTls = needTls || (target.kind == DeliveryTarget::Kind::Webhook && target.tls);
      targets.push_back(std::move(t));
    }
    if (needTls) tls = clientContext(caFile);
    if (!smtp.host.empty()) {
      try {
        smtpTls = clientContext(smtp.caFile);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("--smtp-ca: không đọc được tệp CA / " + std::string(e.what()));
      }
    }
  }

  // TLS 1.2 minimum, the system CAs plus extraCa, the peer verified.
  static std::shared_ptr<asio::ssl::context> clientContext(const std::string& extraCa) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_compression);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    error_code ec;
    ctx->set_default_verify_paths(ec);
    if (ec) log::warn("alert delivery: cannot load the system CA certificates: ", ec.message());
    if (!extraCa.empty()) {
      ctx->load_verify_file(extraCa, ec);
      if (ec) {
        throw std::invalid_argument("alert delivery: cannot load CA file " + extraCa + ": " +
                                    ec.message());
      }
    }
    ctx->set_verify_mode(asio::ssl::verify_peer);
    return ctx;
  }

  // E-mail: one SMTP session per notice (smtp.h); the attempt is bounded like a webhook's.
  bool sendEmail(Target& t, const AlertNotice& n, std::string& error) {
    if (smtp.host.empty()) {
      error = "no --smtp server is configured";
      return false;
    }
    std::string message =
        formatAlertMail(n, smtp.from, t.target.mailbox, hostname, util::unixNow());
    SmtpSession session(io.get_executor(), smtpTls, smtp, hostname);
    bool finished = attempt(
        [&]() -> asio::awaitable<void> {
          co_await session.send(t.target.mailbox, message, kNetworkTimeout);
        },
        [&] { session.cancel(); }, error);
    return finished && error.empty();
  }

  SteadyClock::time_point hardStopAt() const {
    return SteadyClock::time_point(SteadyClock::duration(hardStop.load()));
  }

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

  bool connect(tcp::socket& socket, const tcp::resolver::results_type& endpoints,
               std::string& error) {
    bool done = false;
    error_code ec;
    asio::async_connect(socket, endpoints, [&](const error_code& e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    auto cancel = [&] {
      error_code ignored;
      socket.close(ignored);
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
    std::string message = formatSyslog5424(n, hostname, kSyslogUdpMaxBytes);
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
        frameOctetCounted(formatSyslog5424(n, hostname, kSyslogTcpMaxBytes));
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

  // One coroutine attempt (a webhook request, an SMTP session) on the io_context, bounded
  // by kWebhookAttempt and the shutdown cut-off (then `cancel` aborts it). False when it
  // did not finish in time; else true, with `failure` the exception it ended with ("" if
  // none).
  bool attempt(const std::function<asio::awaitable<void>()>& body, const std::function<void()>& cancel,
               std::string& failure) {
    bool done = false;
    failure.clear();
    asio::co_spawn(io, body, [&](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          failure = x.what();
        } catch (...) {
          failure = "unknown error";
        }
      }
      done = true;
    });
    if (await(done, SteadyClock::now() + kWebhookAttempt, cancel)) return true;
    failure = "no answer within " + std::to_string(kWebhookAttempt.count() / 1000) +
              " s or stopped at shutdown (" + failure + ")";
    return false;
  }

  // The webhook: the shared client (common/net/https_client.h), kept alive per target.
  // Each of its steps has its own deadline; this bounds the whole attempt (a retry on a
  // kept-alive connection the receiver had closed included) and the shutdown cut-off.
  bool sendWebhook(Target& t, const AlertNotice& n, std::string& error) {
    if (!t.web) {
      net::ClientOptions options;
      options.peer = "webhook";
      options.userAgent = "posture-collector";
      options.headers = {{"Accept", "*/*"}};
      options.bodyLimit = 1 << 20;
      t.web = std::make_unique<net::HttpsClient>(io.get_executor(), t.target.tls ? tls : nullptr,
                                                 t.target.host, std::to_string(t.target.port),
                                                 std::move(options));
    }
    std::optional<net::ClientResponse> response;
    std::string failure;
    bool finished = attempt(
        [&]() -> asio::awaitable<void> {
          response = co_await t.web->post(t.target.path, "application/json; charset=utf-8",
                                          formatWebhookJson(n), kNetworkTimeout);
        },
        [&] { t.web->cancel(); }, failure);
    if (!finished || !response) {
      error = failure;
      return false;
    }
    if (response->status < 200 || response->status > 299) {
      std::string body = sanitizeUtf8(cutUtf8(sanitizeUtf8(response->body), 200));
      for (char& c : body) {
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
      }
      error = "answered " + std::to_string(response->status) + " " + response->reason +
              (body.empty() ? "" : ": " + body);
      return false;
    }
    return true;
  }

  bool send(Target& t, const AlertNotice& n, std::string& error) {
    try {
      switch (t.target.kind) {
        case DeliveryTarget::Kind::SyslogUdp:
          return sendUdp(t, n, error);
        case DeliveryTarget::Kind::SyslogTcp:
          return sendTcp(t, n, error);
        case DeliveryTarget::Kind::Webhook:
          if (t.target.tls && !tls) tls = clientContext(caFile);
          return sendWebhook(t, n, error);
        case DeliveryTarget::Kind::Email:
          return sendEmail(t, n, error);
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
    t.web.reset();
    return false;
  }
};

DeliveryTransport::DeliveryTransport(const std::vector<DeliveryTarget>& targets,
                                     std::string hostname, const std::string& caFile,
                                     const SmtpSettings& smtp)
    : impl_(std::make_unique<Impl>(targets, std::move(hostname), caFile, smtp)) {}

DeliveryTransport::~DeliveryTransport() = default;

void DeliveryTransport::setHardStop(SteadyClock::time_point at) {
  impl_->hardStop.store(at.time_since_epoch().count());
}

std::size_t DeliveryTransport::addTarget(const DeliveryTarget& target) {
  auto t = std::make_unique<Impl::Target>();
  t->target = target;
  std::lock_guard lock(impl_->targetsMu);
  impl_->targets.push_back(std::move(t));
  return impl_->targets.size() - 1;
}

bool DeliveryTransport::send(std::size_t index, const AlertNotice& notice, std::string& error) {
  Impl::Target* t = nullptr;
  {
    std::lock_guard lock(impl_->targetsMu);
    t = impl_->targets[index].get();
  }
  return impl_->send(*t, notice, error);
}

}  // namespace posture::collector
