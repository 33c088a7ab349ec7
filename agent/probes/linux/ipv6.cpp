#include "agent/probes/ipv6.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common/util/files.h"
#include "agent/probes/parsers/ipv6_readiness.h"
#include "agent/probes/parsers/proc_net_ipv6.h"
#include "agent/probes/parsers/text.h"

namespace posture::agent {
namespace {

constexpr std::chrono::milliseconds kConnectTimeout{3000};
// Full routing tables (BGP routers) can be large; an endpoint has a few dozen lines.
constexpr std::size_t kProcLimit = 16 * 1024 * 1024;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void lookupAaaa(const std::string& host, LookupCheck& check, std::vector<sockaddr_in6>& out) {
  check.name = host;
  addrinfo hints{};
  hints.ai_family = AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    check.status = ProbeStatus::Error;
    check.message = rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
    return;
  }
  for (addrinfo* a = res; a; a = a->ai_next) {
    if (a->ai_family != AF_INET6 || a->ai_addrlen < sizeof(sockaddr_in6)) continue;
    sockaddr_in6 sa;
    std::memcpy(&sa, a->ai_addr, sizeof sa);
    parsers::Ipv6Bytes bytes;
    std::memcpy(bytes.data(), &sa.sin6_addr, 16);
    auto text = parsers::formatAddress(bytes);
    if (std::find(check.addresses.begin(), check.addresses.end(), text) != check.addresses.end()) continue;
    check.addresses.push_back(text);
    out.push_back(sa);
  }
  ::freeaddrinfo(res);
  if (check.addresses.empty()) {
    check.status = ProbeStatus::Error;
    check.message = "no AAAA record";
  } else {
    check.status = ProbeStatus::Ok;
  }
}

void connectCheck(sockaddr_in6 target, std::uint16_t port, const std::string& shown, LookupCheck& check) {
  check.name = "[" + shown + "]:" + std::to_string(port);
  target.sin6_port = htons(port);
  Fd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    check.status = ProbeStatus::Error;
    check.message = std::string("socket: ") + std::strerror(errno);
    return;
  }
  int rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&target), sizeof target);
  if (rc != 0 && errno != EINPROGRESS) {
    check.status = ProbeStatus::Error;
    check.message = std::strerror(errno);
    return;
  }
  if (rc != 0) {
    pollfd p{fd.get(), POLLOUT, 0};
    int n;
    do {
      n = ::poll(&p, 1, static_cast<int>(kConnectTimeout.count()));
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
      check.status = ProbeStatus::Error;
      check.message = "connection timed out after " + std::to_string(kConnectTimeout.count() / 1000) + " s";
      return;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (n < 0) err = errno;
    else if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      check.status = ProbeStatus::Error;
      check.message = std::strerror(err);
      return;
    }
  }
  check.status = ProbeStatus::Ok;
}

}  // namespace

Ipv6Result probeIpv6(const ProbeContext& context) {
  Ipv6Result r;
  auto inet6 = util::readFile("/proc/net/if_inet6", kProcLimit);
  auto disabled = util::readFile("/proc/sys/net/ipv6/conf/all/disable_ipv6", 64);
  if (!inet6) {
    // The kernel creates if_inet6 whenever IPv6 is compiled in and not disabled at boot.
    r.enabled = Tristate::Off;
    r.outcome.note("/proc/net/if_inet6 does not exist: IPv6 is not available in this kernel");
  } else if (!disabled) {
    r.outcome.fail(ProbeStatus::Error, "cannot read /proc/sys/net/ipv6/conf/all/disable_ipv6");
  } else {
    auto v = parsers::trim(*disabled);
    if (v == "0") {
      r.enabled = Tristate::On;
    } else if (v == "1") {
      r.enabled = Tristate::Off;
    } else {
      r.outcome.fail(ProbeStatus::Error, "unexpected disable_ipv6 value '" + std::string(v) + "'");
    }
  }

  if (inet6) {
    auto parsed = parsers::parseIfInet6(*inet6);
    for (const auto& bad : parsed.malformed) r.outcome.note("unrecognised /proc/net/if_inet6 line '" + bad + "'");
    for (auto& e : parsed.entries) {
      auto it = std::find_if(r.interfaces.begin(), r.interfaces.end(),
                             [&](const Ipv6Interface& i) { return i.name == e.interface; });
      if (it == r.interfaces.end()) {
        r.interfaces.push_back({e.interface, {}});
        it = std::prev(r.interfaces.end());
      }
      it->addresses.push_back(e.address);
    }
  }

  if (r.enabled == Tristate::Off) {
    r.defaultRoute = Tristate::Off;
  } else if (auto routes = util::readFile("/proc/net/ipv6_route", kProcLimit)) {
    auto route = parsers::findDefaultRoute(*routes);
    r.defaultRoute = route ? Tristate::On : Tristate::Off;
    if (route) r.defaultGateway = route->gateway;
  } else {
    r.outcome.note("cannot read /proc/net/ipv6_route");
  }

  for (const char* path : {"/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"}) {
    auto text = util::readFile(path, 1024 * 1024);
    if (!text) continue;
    for (auto& ns : parsers::ipv6Nameservers(*text)) {
      if (std::find(r.resolvers.begin(), r.resolvers.end(), ns) == r.resolvers.end()) {
        r.resolvers.push_back(std::move(ns));
      }
    }
  }

  if (context.collectorHost.empty()) {
    r.collectorAaaa.status = ProbeStatus::Unavailable;
    r.collectorAaaa.message = "no collector configured";
    r.collectorConnect.status = ProbeStatus::Unavailable;
    r.collectorConnect.message = "no collector configured";
  } else {
    std::vector<sockaddr_in6> targets;
    lookupAaaa(context.collectorHost, r.collectorAaaa, targets);
    if (targets.empty()) {
      r.collectorConnect.status = ProbeStatus::Unavailable;
      r.collectorConnect.name = context.collectorHost;
      r.collectorConnect.message = "no IPv6 address to connect to";
    } else if (context.collectorPort == 0) {
      r.collectorConnect.status = ProbeStatus::Unavailable;
      r.collectorConnect.name = context.collectorHost;
      r.collectorConnect.message = "no collector port configured";
    } else {
      connectCheck(targets.front(), context.collectorPort, r.collectorAaaa.addresses.front(),
                   r.collectorConnect);
    }
  }

  r.readiness = parsers::computeReadiness(r);
  return r;
}

}  // namespace posture::agent
