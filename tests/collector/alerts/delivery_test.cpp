// Alert delivery against real receivers on loopback: a UDP socket, a TCP listener reading
// octet-counted frames, and tiny HTTP(S) servers. Every wait is bounded.
#include "collector/alerts/delivery.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/crypto/crypto.h"
#include "tests/support/temp_dir.h"

using namespace posture::collector;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

const std::string kBom = "\xEF\xBB\xBF";

// ------------------------------------------------------------------ helpers

bool validUtf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80         ? 1
                      : (c >> 5) == 6  ? 2
                      : (c >> 4) == 14 ? 3
                      : (c >> 3) == 30 ? 4
                                       : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
  auto end = SteadyClock::now() + limit;
  while (SteadyClock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Binds a socket to loopback (v4 or v6) port 0; returns the fd and the port. -1 when the
// family is unavailable (no IPv6 in the sandbox).
int bindLoopback(int type, bool v6, std::uint16_t& port) {
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, type, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sockaddr_in);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    ::close(fd);
    return -1;
  }
  len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                  : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

// A loopback port where nobody listens (bound, never listened on, closed).
std::uint16_t closedPort() {
  std::uint16_t port = 0;
  int fd = bindLoopback(SOCK_STREAM, false, port);
  REQUIRE(fd >= 0);
  ::close(fd);
  return port;
}

bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) > 0;
}

struct UdpReceiver {
  std::uint16_t port = 0;  // before sock: bindLoopback() sets it
  Fd sock;
  explicit UdpReceiver(bool v6 = false) : sock(bindLoopback(SOCK_DGRAM, v6, port)) {}
  bool ok() const { return sock.fd >= 0; }
  std::optional<std::string> receive(int ms = 3000) {
    if (!readable(sock.fd, ms)) return std::nullopt;
    std::string buf(65536, '\0');
    ssize_t got = ::recv(sock.fd, buf.data(), buf.size(), 0);
    if (got < 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(got));
    return buf;
  }
};

// Accepts connections and parses RFC 6587 octet-counted frames.
class TcpSyslogReceiver {
 public:
  TcpSyslogReceiver() : listener_(bindLoopback(SOCK_STREAM, false, port_)) {
    REQUIRE(listener_.fd >= 0);
    REQUIRE(::listen(listener_.fd, 8) == 0);
    thread_ = std::thread([this] { run(); });
  }
  ~TcpSyslogReceiver() {
    stop_ = true;
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::vector<std::string> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  std::string error() {
    std::lock_guard lock(mu_);
    return error_;
  }
  bool waitFor(std::size_t count, std::chrono::milliseconds limit = 5000ms) {
    return eventually([&] { return messages().size() >= count; }, limit);
  }

 private:
  void run() {
    std::vector<std::pair<int, std::string>> conns;  // fd, unparsed bytes
    while (!stop_) {
      std::vector<pollfd> fds{{listener_.fd, POLLIN, 0}};
      for (auto& c : conns) fds.push_back({c.first, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = ::accept(listener_.fd, nullptr, nullptr);
        if (c >= 0) conns.emplace_back(c, std::string());
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        auto& [fd, pending] = conns[i - 1];
        char buf[4096];
        ssize_t got = ::recv(fd, buf, sizeof buf, 0);
        if (got <= 0) {
          ::close(fd);
          fd = -1;
          continue;
        }
        pending.append(buf, static_cast<std::size_t>(got));
        parse(pending);
      }
      std::erase_if(conns, [](const auto& c) { return c.first < 0; });
    }
    for (auto& c : conns) ::close(c.first);
  }
  void parse(std::string& pending) {
    for (;;) {
      auto sp = pending.find(' ');
      if (sp == std::string::npos) return;
      std::string len = pending.substr(0, sp);
      if (len.empty() || len.size() > 6 ||
          len.find_first_not_of("0123456789") != std::string::npos || len[0] == '0') {
        std::lock_guard lock(mu_);
        error_ = "bad frame length \"" + len + "\"";
        pending.clear();
        return;
      }
      std::size_t n = std::stoul(len);
      if (pending.size() < sp + 1 + n) return;
      std::lock_guard lock(mu_);
      messages_.push_back(pending.substr(sp + 1, n));
      pending.erase(0, sp + 1 + n);
    }
  }

  std::uint16_t port_ = 0;
  Fd listener_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> messages_;
  std::string error_;
  std::thread thread_;
};

struct Recorded {
  std::string head;  // request line and headers
  std::string body;
  int answered = 0;
};

// One request per connection; answers with statuses[i] (the last one repeats). With tls
// the connection is wrapped in OpenSSL using the given certificate.
class HttpReceiver {
 public:
  explicit HttpReceiver(std::vector<int> statuses,
                        std::shared_ptr<boost::asio::ssl::context> tls = {})
      : statuses_(std::move(statuses)),
        tls_(std::move(tls)),
        listener_(bindLoopback(SOCK_STREAM, false, port_)) {
    REQUIRE(listener_.fd >= 0);
    REQUIRE(::listen(listener_.fd, 8) == 0);
    thread_ = std::thread([this] { run(); });
  }
  ~HttpReceiver() {
    stop_ = true;
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::vector<Recorded> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::vector<std::string> acceptedBodies() {
    std::vector<std::string> out;
    for (auto& r : requests()) {
      if (r.answered >= 200 && r.answered < 300) out.push_back(r.body);
    }
    return out;
  }
  int handshakeFailures() const { return handshakeFailures_; }

 private:
  void run() {
    while (!stop_) {
      if (!readable(listener_.fd, 50)) continue;
      Fd conn(::accept(listener_.fd, nullptr, nullptr));
      if (conn.fd < 0) continue;
      timeval tv{3, 0};
      ::setsockopt(conn.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(conn.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      SSL* ssl = nullptr;
      if (tls_) {
        ssl = SSL_new(tls_->native_handle());
        SSL_set_fd(ssl, conn.fd);
        if (SSL_accept(ssl) != 1) {
          ++handshakeFailures_;
          ERR_clear_error();
          SSL_free(ssl);
          continue;
        }
      }
      serve(conn.fd, ssl);
      if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
      }
    }
  }
  ssize_t readSome(int fd, SSL* ssl, char* buf, std::size_t n) {
    if (ssl) return SSL_read(ssl, buf, static_cast<int>(n));
    return ::recv(fd, buf, n, 0);
  }
  void writeAll(int fd, SSL* ssl, const std::string& data) {
    if (ssl) {
      SSL_write(ssl, data.data(), static_cast<int>(data.size()));
      return;
    }
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t put = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (put <= 0) return;
      off += static_cast<std::size_t>(put);
    }
  }
  void serve(int fd, SSL* ssl) {
    std::string in;
    char buf[4096];
    std::size_t headEnd;
    while ((headEnd = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t got = readSome(fd, ssl, buf, sizeof buf);
      if (got <= 0) return;
      in.append(buf, static_cast<std::size_t>(got));
    }
    Recorded r;
    r.head = in.substr(0, headEnd + 2);
    std::size_t length = 0;
    std::string lowerHead = r.head;
    for (char& c : lowerHead) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto cl = lowerHead.find("\r\ncontent-length:");
    if (cl != std::string::npos) length = std::stoul(r.head.substr(cl + 17));
    r.body = in.substr(headEnd + 4);
    while (r.body.size() < length) {
      ssize_t got = readSome(fd, ssl, buf, sizeof buf);
      if (got <= 0) return;
      r.body.append(buf, static_cast<std::size_t>(got));
    }
    {
      std::lock_guard lock(mu_);
      r.answered = statuses_[std::min(requests_.size(), statuses_.size() - 1)];
      requests_.push_back(r);
    }
    std::string reason = r.answered == 200 ? "OK" : "Internal Server Error";
    std::string answer = "oops";
    writeAll(fd, ssl,
             "HTTP/1.1 " + std::to_string(r.answered) + " " + reason +
                 "\r\nContent-Type: text/plain\r\nContent-Length: " +
                 std::to_string(answer.size()) + "\r\nConnection: close\r\n\r\n" + answer);
  }

  std::vector<int> statuses_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::uint16_t port_ = 0;
  Fd listener_;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakeFailures_{0};
  std::mutex mu_;
  std::vector<Recorded> requests_;
  std::thread thread_;
};

AlertNotice sampleNotice(std::int64_t id = 42) {
  AlertNotice n;
  n.alertId = id;
  n.event = "opened";
  n.rule = "check:av-realtime";
  n.subject = "check:av-realtime@HN-BD-01";
  n.unitCode = "HN-BD-01";
  n.severity = "critical";
  n.status = "open";
  n.titleVi = "Máy trạm chưa bật bảo vệ thời gian thực";
  n.titleEn = "Real-time protection is off";
  n.detail = "pc-ketoan-01: realTimeProtection=off";
  n.actor = "posture";
  n.at = 1700000000;  // 2023-11-14T22:13:20Z
  n.members = 300;   // a group: 300 endpoints failing one rule in one unit
  n.membersOpen = 298;
  n.membersAcknowledged = 2;
  return n;
}

DeliveryTarget target(const std::string& url) { return parseDeliveryTarget(url); }

std::string local(const char* scheme, std::uint16_t port, const std::string& path = "") {
  return std::string(scheme) + "://127.0.0.1:" + std::to_string(port) + path;
}

std::string field(const std::string& message, const std::string& name) {
  auto at = message.find(" " + name + "=\"");
  if (at == std::string::npos) return "<missing>";
  at += name.size() + 3;
  auto end = message.find('"', at);
  return message.substr(at, end - at);
}

}  // namespace

// ------------------------------------------------------------------ formats

TEST_CASE("syslog 5424: exact line, PRI, version, timestamp, SD escaping, BOM") {
  AlertNotice n = sampleNotice();
  n.rule = "rule]with\"quote\\slash";
  n.subject = "x]";
  std::string pid = std::to_string(::getpid());
  std::string line = formatSyslog5424(n, "collector-01");
  CHECK(line ==
        "<162>1 2023-11-14T22:13:20Z collector-01 posture-collector " + pid +
            " opened [posture@32473 alertId=\"42\" rule=\"rule\\]with\\\"quote\\\\slash\" "
            "subject=\"x\\]\" unit=\"HN-BD-01\" severity=\"critical\" status=\"open\" "
            "event=\"opened\" actor=\"posture\" members=\"300\"] " +
            kBom +
            "Máy trạm chưa bật bảo vệ thời gian thực — pc-ketoan-01: realTimeProtection=off");

  // Severity → PRI with facility local4 (20).
  for (auto [sev, pri] : std::vector<std::pair<std::string, std::string>>{{"critical", "<162>"},
                                                                          {"high", "<163>"},
                                                                          {"medium", "<164>"},
                                                                          {"low", "<165>"},
                                                                          {"weird", "<164>"}}) {
    n.severity = sev;
    CHECK(formatSyslog5424(n, "h").rfind(pri + "1 ", 0) == 0);
  }
  // Header fields are PRINTUSASCII, NILVALUE when empty; MSGID is the event.
  n.event = "";
  n.at = 0;
  line = formatSyslog5424(n, "bad host");
  CHECK(line.find(" - bad_host posture-collector " + pid + " - [posture@32473") !=
        std::string::npos);
  // No title: English fallback; invalid UTF-8 becomes U+FFFD.
  n.titleVi = "";
  n.detail = "x\xC3";
  line = formatSyslog5424(n, "h");
  CHECK(line.substr(line.find(kBom)) == kBom + "Real-time protection is off — x\xEF\xBF\xBD");
}

TEST_CASE("syslog 5424: truncation to a size keeps UTF-8 whole") {
  AlertNotice n = sampleNotice();
  n.detail.clear();
  for (int i = 0; i < 1500; ++i) n.detail += "ệ";  // 3 bytes each
  std::string full = formatSyslog5424(n, "h");
  CHECK(full.size() > 4000);
  for (std::size_t limit :
       {std::size_t{2048}, std::size_t{2047}, std::size_t{2046}, std::size_t{600}}) {
    std::string cut = formatSyslog5424(n, "h", limit);
    CHECK(cut.size() <= limit);
    CHECK(cut.size() + 3 > limit);  // as long as UTF-8 allows
    CHECK(validUtf8(cut));
    CHECK(cut.substr(cut.size() - 3) == "…");
    CHECK(full.rfind(cut.substr(0, cut.size() - 3), 0) == 0);
  }
  // Huge SD values are shortened so that the header still fits.
  n.subject = std::string(5000, '"');
  std::string cut = formatSyslog5424(n, "h", 2048);
  CHECK(cut.size() <= 2048);
  CHECK(cut.find(kBom + "Máy trạm") != std::string::npos);
  CHECK(validUtf8(cut));
}

TEST_CASE("syslog octet-counting frame") {
  CHECK(frameOctetCounted("<165>1 - - - - - - \xEF\xBB\xBFé") ==
        "24 <165>1 - - - - - - \xEF\xBB\xBFé");
  CHECK(frameOctetCounted("") == "0 ");
}

TEST_CASE("webhook JSON: every field, escaping, UTF-8 kept") {
  AlertNotice n = sampleNotice(7);
  n.detail = "a\"b\\c\n\t\r\b\f\x01\x1f\x7f/ệ";
  n.actor = "Nguyễn Văn A";
  n.titleEn = "bad\xFF";
  CHECK(
      formatWebhookJson(n) ==
      "{\"alertId\":7,\"event\":\"opened\",\"rule\":\"check:av-realtime\",\"subject\":\"check:av-realtime@HN-BD-01\","
      "\"unitCode\":\"HN-BD-01\",\"severity\":\"critical\",\"status\":\"open\","
      "\"titleVi\":\"Máy trạm chưa bật bảo vệ thời gian thực\",\"titleEn\":\"bad\xEF\xBF\xBD\","
      "\"detail\":\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f/ệ\",\"actor\":\"Nguyễn Văn A\","
      "\"members\":300,\"membersOpen\":298,\"membersAcknowledged\":2,\"at\":1700000000,\"time\":\"2023-11-14T22:13:20Z\",\"source\":\"posture-collector\"}");
  n.at = 0;
  CHECK(formatWebhookJson(n).find("\"at\":0,\"time\":null,") != std::string::npos);
}

TEST_CASE("delivery target URLs parse, and bad ones say what is wrong") {
  auto t = parseDeliveryTarget("udp://127.0.0.1:514");
  CHECK(t.kind == DeliveryTarget::Kind::SyslogUdp);
  CHECK(t.host == "127.0.0.1");
  CHECK(t.port == 514);
  t = parseDeliveryTarget("TCP://[::1]:6514");
  CHECK(t.kind == DeliveryTarget::Kind::SyslogTcp);
  CHECK(t.host == "::1");
  CHECK(t.port == 6514);
  t = parseDeliveryTarget("https://soc.example.vn:8443/hooks/posture?x=1");
  CHECK(t.kind == DeliveryTarget::Kind::Webhook);
  CHECK(t.tls);
  CHECK(t.host == "soc.example.vn");
  CHECK(t.port == 8443);
  CHECK(t.path == "/hooks/posture?x=1");
  CHECK(deliveryTargetUrl(t) == "https://soc.example.vn:8443/hooks/posture?x=1");
  t = parseDeliveryTarget("http://[fe80::1]");
  CHECK(!t.tls);
  CHECK(t.port == 80);
  CHECK(t.path == "/");
  CHECK(deliveryTargetUrl(t) == "http://[fe80::1]:80/");
  CHECK(parseDeliveryTarget("udp://siem").port == 514);
  CHECK(parseDeliveryTarget("https://siem").port == 443);

  auto fails = [](const std::string& url, const std::string& why) {
    try {
      parseDeliveryTarget(url);
      FAIL_CHECK("accepted " << url);
    } catch (const std::invalid_argument& e) {
      CHECK_MESSAGE(std::string(e.what()).find(why) != std::string::npos, e.what());
    }
  };
  fails("", "empty");
  fails("siem:514", "no scheme");
  fails("ftp://siem:21", "unknown scheme \"ftp\"");
  fails("udp://:514", "no host");
  fails("udp://siem:0", "port \"0\"");
  fails("udp://siem:65536", "port \"65536\"");
  fails("udp://siem:x", "port \"x\"");
  fails("udp://siem:", "empty port");
  fails("tcp://::1:514", "must be in brackets");
  fails("tcp://[::1:514", "unterminated");
  fails("tcp://[nope]:514", "not an IPv6 address");
  fails("tcp://siem:514/x", "takes no path");
  fails("http://user@siem/", "user information");
  fails("http://si em/", "space");
  fails("http://siem/#frag", "fragment");
  fails("http://si$em/", "invalid character '$'");
}

// ------------------------------------------------------------------ real receivers

TEST_CASE("delivery: syslog over UDP, one message per datagram, truncated to 2048 bytes") {
  UdpReceiver rx;
  REQUIRE(rx.ok());
  AlertDelivery delivery({{target(local("udp", rx.port))}, 100, 50ms, 200ms, "collector-01"});
  AlertNotice n = sampleNotice(1);
  delivery.publish(n);
  n.alertId = 2;
  n.severity = "low";
  n.detail.clear();
  for (int i = 0; i < 2000; ++i) n.detail += "ư";
  delivery.publish(n);

  auto first = rx.receive();
  REQUIRE(first);
  CHECK(*first == formatSyslog5424(sampleNotice(1), "collector-01"));
  auto second = rx.receive();
  REQUIRE(second);
  CHECK(second->size() <= 2048);
  CHECK(second->size() > 2040);
  CHECK(second->rfind("<165>1 2023-11-14T22:13:20Z collector-01 ", 0) == 0);
  CHECK(field(*second, "alertId") == "2");
  CHECK(validUtf8(*second));
  CHECK(delivery.waitIdle(3000ms));
  auto s = delivery.stats();
  CHECK(s.delivered == 2);
  CHECK(s.dropped == 0);
  CHECK(s.queued == 0);
}

TEST_CASE("delivery: syslog over UDP to [::1]") {
  UdpReceiver rx(true);
  if (!rx.ok()) {
    MESSAGE("no IPv6 loopback here; skipped");
    return;
  }
  AlertDelivery delivery(
      {{target("udp://[::1]:" + std::to_string(rx.port))}, 100, 50ms, 200ms, "h"});
  delivery.publish(sampleNotice(9));
  auto got = rx.receive();
  REQUIRE(got);
  CHECK(field(*got, "alertId") == "9");
}

TEST_CASE("delivery: syslog over TCP with octet counting, in order") {
  TcpSyslogReceiver rx;
  AlertDelivery delivery({{target(local("tcp", rx.port()))}, 100, 50ms, 200ms, "collector-01"});
  for (int i = 1; i <= 20; ++i) {
    AlertNotice n = sampleNotice(i);
    n.detail = "chi tiết ] \" \\ số " + std::to_string(i);
    delivery.publish(n);
  }
  REQUIRE(rx.waitFor(20));
  CHECK(rx.error().empty());
  auto messages = rx.messages();
  REQUIRE(messages.size() == 20);
  for (int i = 1; i <= 20; ++i) {
    const std::string& m = messages[static_cast<std::size_t>(i - 1)];
    CHECK(field(m, "alertId") == std::to_string(i));
    AlertNotice n = sampleNotice(i);
    n.detail = "chi tiết ] \" \\ số " + std::to_string(i);
    CHECK(m == formatSyslog5424(n, "collector-01"));
    CHECK(m.find(kBom + "Máy trạm chưa bật bảo vệ thời gian thực — chi tiết ] \" \\ số ") !=
          std::string::npos);
  }
  CHECK(delivery.waitIdle(3000ms));
  CHECK(delivery.stats().delivered == 20);
}

TEST_CASE("delivery: syslog over TCP reconnects when the receiver went away") {
  auto rx1 = std::make_unique<TcpSyslogReceiver>();
  AlertDelivery delivery({{target(local("tcp", rx1->port()))}, 100, 50ms, 200ms, "h"});
  delivery.publish(sampleNotice(1));
  REQUIRE(rx1->waitFor(1));
  std::uint16_t p1 = rx1->port();
  rx1.reset();  // closes the connection from the receiver's side
  // Listen again on the same port so that a reconnect can succeed.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(p1);
  Fd listener(fd);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4) != 0) {
    MESSAGE("port reuse not possible here; skipped");
    return;
  }
  std::this_thread::sleep_for(100ms);  // let the FIN arrive
  delivery.publish(sampleNotice(2));
  REQUIRE(readable(fd, 3000));
  Fd conn(::accept(fd, nullptr, nullptr));
  REQUIRE(conn.fd >= 0);
  std::string got;
  while (readable(conn.fd, 3000)) {
    char buf[4096];
    ssize_t r = ::recv(conn.fd, buf, sizeof buf, 0);
    if (r <= 0) break;
    got.append(buf, static_cast<std::size_t>(r));
    auto sp = got.find(' ');
    if (sp != std::string::npos && got.size() >= sp + 1 + std::stoul(got.substr(0, sp))) break;
  }
  std::string expect = formatSyslog5424(sampleNotice(2), "h");
  CHECK(got == std::to_string(expect.size()) + " " + expect);
}

TEST_CASE("delivery: webhook POSTs the JSON and a 2xx is success") {
  HttpReceiver rx({200});
  AlertDelivery delivery(
      {{target(local("http", rx.port(), "/hooks/posture?src=test"))}, 100, 50ms, 200ms, "h"});
  for (int i = 1; i <= 5; ++i) delivery.publish(sampleNotice(i));
  REQUIRE(delivery.waitIdle(5000ms));
  auto requests = rx.requests();
  REQUIRE(requests.size() == 5);
  for (int i = 1; i <= 5; ++i) {
    const auto& r = requests[static_cast<std::size_t>(i - 1)];
    CHECK(r.head.rfind("POST /hooks/posture?src=test HTTP/1.1\r\n", 0) == 0);
    CHECK(r.head.find("\r\nContent-Type: application/json; charset=utf-8\r\n") !=
          std::string::npos);
    CHECK(r.head.find("\r\nHost: 127.0.0.1:" + std::to_string(rx.port()) + "\r\n") !=
          std::string::npos);
    CHECK(r.body == formatWebhookJson(sampleNotice(i)));
  }
  auto s = delivery.stats();
  CHECK(s.delivered == 5);
  CHECK(s.retried == 0);
}

TEST_CASE("delivery: webhook answered 500 is retried and arrives once") {
  HttpReceiver rx({500, 200});
  AlertDelivery delivery({{target(local("http", rx.port(), "/h"))}, 100, 100ms, 400ms, "h"});
  auto start = SteadyClock::now();
  delivery.publish(sampleNotice(1));
  delivery.publish(sampleNotice(2));
  REQUIRE(delivery.waitIdle(5000ms));
  CHECK(SteadyClock::now() - start >= 100ms);  // the back-off was honoured
  std::this_thread::sleep_for(300ms);          // nothing more comes
  auto requests = rx.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].answered == 500);
  CHECK(requests[0].body == formatWebhookJson(sampleNotice(1)));
  // Notice 2 is not sent before notice 1 succeeded.
  CHECK(rx.acceptedBodies() == std::vector<std::string>{formatWebhookJson(sampleNotice(1)),
                                                        formatWebhookJson(sampleNotice(2))});
  auto s = delivery.stats();
  CHECK(s.delivered == 2);
  CHECK(s.retried == 1);
  CHECK(s.dropped == 0);
}

TEST_CASE("delivery: webhook over https verifies the certificate against caFile") {
  namespace crypto = posture::crypto;
  auto ca = crypto::createCertificateAuthority("Posture test CA", 1);
  std::string key = crypto::generatePrivateKeyPem();
  crypto::ServerCertificateRequest req;
  req.keyPem = key;
  req.ipAddresses = {"127.0.0.1"};
  req.validDays = 1;
  std::string cert = crypto::issueServerCertificate(ca, req);
  auto server = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  server->use_certificate_chain(boost::asio::buffer(cert));
  server->use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);

  posture::test::TempDir dir;
  std::string caFile = (dir.path() / "ca.pem").string();
  std::ofstream(caFile) << ca.certPem;

  SUBCASE("trusted through caFile") {
    HttpReceiver rx({200}, server);
    DeliveryOptions o{{target(local("https", rx.port(), "/tls"))}, 100, 50ms, 200ms, "h", caFile};
    AlertDelivery delivery(o);
    delivery.publish(sampleNotice(3));
    REQUIRE(delivery.waitIdle(5000ms));
    REQUIRE(rx.requests().size() == 1);
    CHECK(rx.requests()[0].body == formatWebhookJson(sampleNotice(3)));
  }
  SUBCASE("not trusted without it") {
    HttpReceiver rx({200}, server);
    DeliveryOptions o{{target(local("https", rx.port(), "/tls"))}, 100, 50ms, 200ms, "h"};
    AlertDelivery delivery(o);
    delivery.publish(sampleNotice(3));
    CHECK(eventually([&] { return delivery.stats().retried >= 2; }, 3000ms));
    CHECK(rx.requests().empty());
    CHECK(delivery.stats().delivered == 0);
  }
  SUBCASE("a missing caFile is refused up front") {
    DeliveryOptions o{{target("https://127.0.0.1:1/x")},    100, 50ms, 200ms, "h",
                      (dir.path() / "missing.pem").string()};
    CHECK_THROWS_AS(AlertDelivery{o}, std::invalid_argument);
  }
}

TEST_CASE("delivery: a dead target neither blocks publish() nor starves another target") {
  TcpSyslogReceiver live;
  HttpReceiver web({200});
  std::uint16_t dead = closedPort();
  auto start = SteadyClock::now();
  {
    AlertDelivery delivery(
        {{target(local("tcp", dead)), target(local("http", dead, "/x")),
          target(local("tcp", live.port())), target(local("http", web.port(), "/ok"))},
         100,
         50ms,
         400ms,
         "h"});
    auto before = SteadyClock::now();
    for (int i = 1; i <= 10; ++i) delivery.publish(sampleNotice(i));
    CHECK(SteadyClock::now() - before < 200ms);
    REQUIRE(live.waitFor(10));
    REQUIRE(eventually([&] { return web.requests().size() == 10; }));
    for (int i = 1; i <= 10; ++i) {
      CHECK(field(live.messages()[static_cast<std::size_t>(i - 1)], "alertId") ==
            std::to_string(i));
      CHECK(web.requests()[static_cast<std::size_t>(i - 1)].body ==
            formatWebhookJson(sampleNotice(i)));
    }
    CHECK_FALSE(delivery.waitIdle(300ms));  // the dead ones still hold the notices
    auto s = delivery.stats();
    CHECK(s.delivered == 20);
    CHECK(s.retried >= 2);
    CHECK(s.queued == 10);
    CHECK(s.dropped == 0);
  }
  // The destructor gives up on the dead targets within its 2 s grace.
  CHECK(SteadyClock::now() - start < 10s);
}

TEST_CASE("delivery: shutdown is bounded and counts what was left") {
  std::uint16_t dead = closedPort();
  std::optional<AlertDelivery> delivery;
  delivery.emplace(DeliveryOptions{{target(local("tcp", dead))}, 100, 50ms, 100ms, "h"});
  for (int i = 1; i <= 3; ++i) delivery->publish(sampleNotice(i));
  std::this_thread::sleep_for(100ms);
  auto before = SteadyClock::now();
  delivery.reset();
  auto took = SteadyClock::now() - before;
  CHECK(took < 2500ms);
  CHECK(took >= 1500ms);  // it did keep trying during the grace period
}

TEST_CASE("delivery: queue overflow drops the oldest and counts it") {
  SUBCASE("target down: the queue stays bounded") {
    std::uint16_t dead = closedPort();
    AlertDelivery delivery({{target(local("tcp", dead))}, 3, 10s, 10s, "h"});
    for (int i = 1; i <= 8; ++i) delivery.publish(sampleNotice(i));
    auto s = delivery.stats();
    CHECK(s.queued == 3);
    CHECK(s.dropped == 5);
  }
  SUBCASE("the newest notices are the ones that arrive") {
    HttpReceiver rx({500, 200});
    AlertDelivery delivery({{target(local("http", rx.port(), "/h"))}, 3, 500ms, 500ms, "h"});
    for (int i = 1; i <= 5; ++i) delivery.publish(sampleNotice(i));
    REQUIRE(delivery.waitIdle(5000ms));
    CHECK(rx.acceptedBodies() == std::vector<std::string>{formatWebhookJson(sampleNotice(3)),
                                                          formatWebhookJson(sampleNotice(4)),
                                                          formatWebhookJson(sampleNotice(5))});
    auto s = delivery.stats();
    CHECK(s.dropped == 2);
    CHECK(s.delivered == 3);
    CHECK(s.queued == 0);
  }
}

TEST_CASE("delivery: back-off grows from firstRetry to maxRetry") {
  std::uint16_t dead = closedPort();
  AlertDelivery delivery({{target(local("tcp", dead))}, 10, 100ms, 200ms, "h"});
  delivery.publish(sampleNotice(1));
  std::this_thread::sleep_for(1050ms);
  // Attempts at about 0, 100, 300, 500, 700, 900 ms: 6 (a 100 ms back-off throughout
  // would make 11, no back-off hundreds).
  auto retried = delivery.stats().retried;
  CHECK(retried >= 4);
  CHECK(retried <= 7);
}

TEST_CASE("delivery: without targets publish() is a no-op") {
  AlertDelivery delivery(DeliveryOptions{});
  delivery.publish(sampleNotice());
  CHECK(delivery.waitIdle(100ms));
  CHECK(delivery.stats().queued == 0);
}

TEST_CASE("delivery: a receiver that never answers blocks neither publish() nor shutdown") {
  // Listens but never accepts: connect and write succeed (backlog), the answer never comes.
  std::uint16_t port = 0;
  Fd silent(bindLoopback(SOCK_STREAM, false, port));
  REQUIRE(silent.fd >= 0);
  REQUIRE(::listen(silent.fd, 8) == 0);
  std::optional<AlertDelivery> delivery;
  delivery.emplace(DeliveryOptions{{target(local("http", port, "/slow"))}, 50, 50ms, 100ms, "h"});
  delivery->publish(sampleNotice(1));
  std::this_thread::sleep_for(300ms);  // the worker now waits for an answer
  auto before = SteadyClock::now();
  for (int i = 2; i <= 200; ++i) delivery->publish(sampleNotice(i));
  CHECK(SteadyClock::now() - before < 100ms);
  auto s = delivery->stats();
  CHECK(s.queued == 50);
  CHECK(s.dropped == 150);
  CHECK(s.delivered == 0);
  before = SteadyClock::now();
  delivery.reset();  // cuts the pending read at the 2 s grace, not the 5 s timeout
  CHECK(SteadyClock::now() - before < 3000ms);
}
