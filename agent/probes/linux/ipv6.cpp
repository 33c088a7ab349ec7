#include "agent/probes/ipv6.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <map>
#include <system_error>

#include "common/util/deadline.h"
#include "common/util/files.h"
#include "agent/probes/linux/netlink.h"
#include "agent/probes/parsers/ipv6_readiness.h"
#include "agent/probes/parsers/proc_net_ipv6.h"
#include "agent/probes/parsers/resolver.h"
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
  // No AI_ADDRCONFIG: the question is whether the name has AAAA records, asked even when
  // the host has no global address (AI_ADDRCONFIG would then return nothing).
  hints.ai_flags = 0;
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

void connectCheck(sockaddr_in6 target, std::uint16_t port, const std::string& shown,
                  std::chrono::milliseconds timeout, LookupCheck& check) {
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
      n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
      check.status = ProbeStatus::Error;
      check.message = timeout == kConnectTimeout
                          ? "connection timed out after " + std::to_string(kConnectTimeout.count() / 1000) + " s"
                          : "connection timed out after " + std::to_string(timeout.count()) + " ms";
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

std::string formatBytes(const netlink::Address16& a) {
  parsers::Ipv6Bytes b;
  std::copy(a.begin(), a.end(), b.begin());
  return parsers::formatAddress(b);
}

Tristate interfaceEnabled(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") return Tristate::Unknown;
  auto v = util::readFile("/proc/sys/net/ipv6/conf/" + name + "/disable_ipv6", 64);
  if (!v) return Tristate::Unknown;
  auto t = parsers::trim(*v);
  return t == "0" ? Tristate::On : t == "1" ? Tristate::Off : Tristate::Unknown;
}

// Addresses, links and the default route from rtnetlink dumps; false (with the error
// noted) when netlink cannot be used, so the caller falls back to /proc.
bool readNetlink(Ipv6Result& r, std::chrono::milliseconds timeout, std::string& error) {
  auto links = netlink::dump(RTM_GETLINK, AF_UNSPEC, timeout);
  if (!links.error.empty()) {
    error = links.error;
    return false;
  }
  auto addrs = netlink::dump(RTM_GETADDR, AF_INET6, timeout);
  if (!addrs.error.empty()) {
    error = addrs.error;
    return false;
  }
  std::map<std::uint32_t, std::size_t> byIndex;
  for (auto& l : netlink::decodeLinks(links.bytes)) {
    byIndex[l.index] = r.interfaces.size();
    r.interfaces.push_back({l.name, {}, interfaceEnabled(l.name)});
  }
  for (const auto& a : netlink::decodeAddresses(addrs.bytes)) {
    auto it = byIndex.find(a.ifindex);
    if (it == byIndex.end()) {
      // An address on a link that appeared between the two dumps.
      byIndex[a.ifindex] = r.interfaces.size();
      r.interfaces.push_back({"if" + std::to_string(a.ifindex), {}, Tristate::Unknown});
      it = byIndex.find(a.ifindex);
    }
    parsers::Ipv6Bytes b;
    std::copy(a.address.begin(), a.address.end(), b.begin());
    Ipv6Address x;
    x.address = parsers::formatAddress(b);
    x.prefixLength = a.prefixLength;
    x.scope = parsers::classifyScope(b);
    x.origin = parsers::classifyOrigin(x.scope, a.flags, a.proto, a.prefixLength);
    x.deprecated = (a.flags & parsers::kIfaDeprecated) != 0;
    x.tentative = (a.flags & parsers::kIfaTentative) != 0;
    x.dadFailed = (a.flags & parsers::kIfaDadFailed) != 0;
    constexpr std::uint32_t kForever = 0xffffffffu;
    if (a.valid && *a.valid != kForever) x.validLifetime = a.valid;
    if (a.preferred && *a.preferred != kForever) x.preferredLifetime = a.preferred;
    x.kernelFlags = a.flags;
    x.kernelProto = a.proto;
    r.interfaces[it->second].addresses.push_back(std::move(x));
  }

  if (r.enabled == Tristate::Off) {
    r.defaultRoute = Tristate::Off;
    return true;
  }
  auto routes = netlink::dump(RTM_GETROUTE, AF_INET6, timeout);
  if (!routes.error.empty()) {
    r.outcome.note("IPv6 routes not read: " + routes.error);
    return true;
  }
  auto route = netlink::findDefaultRoute(netlink::decodeRoutes(routes.bytes));
  r.defaultRoute = route ? Tristate::On : Tristate::Off;
  if (route) {
    if (route->hasGateway) r.defaultGateway = formatBytes(route->gateway);
    if (auto it = byIndex.find(route->oif); it != byIndex.end()) r.defaultRouteDevice = r.interfaces[it->second].name;
    r.defaultRouteOrigin = netlink::routeOrigin(route->protocol);
  }
  return true;
}

void readProc(Ipv6Result& r, const std::optional<std::string>& inet6) {
  if (inet6) {
    auto parsed = parsers::parseIfInet6(*inet6);
    for (const auto& bad : parsed.malformed) r.outcome.note("unrecognised /proc/net/if_inet6 line '" + bad + "'");
    for (auto& e : parsed.entries) {
      auto it = std::find_if(r.interfaces.begin(), r.interfaces.end(),
                             [&](const Ipv6Interface& i) { return i.name == e.interface; });
      if (it == r.interfaces.end()) {
        r.interfaces.push_back({e.interface, {}, interfaceEnabled(e.interface)});
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
    if (route) {
      r.defaultGateway = route->gateway;
      r.defaultRouteDevice = route->device;
    }
  } else {
    r.outcome.note("cannot read /proc/net/ipv6_route");
  }
}

void addResolvers(Ipv6Result& r, const std::vector<std::string>& found) {
  for (const auto& ns : found) {
    if (std::find(r.resolvers.begin(), r.resolvers.end(), ns) == r.resolvers.end()) r.resolvers.push_back(ns);
  }
}

void readResolvers(Ipv6Result& r) {
  auto etc = util::readFile("/etc/resolv.conf", 1024 * 1024);
  if (etc) addResolvers(r, parsers::ipv6Nameservers(*etc));
  // resolved's upstreams are the resolvers only when glibc goes through its local listener; on a
  // host that does not use that listener they are configuration, not the path queries take.
  if (!etc || !parsers::sendsToResolved(*etc)) return;
  if (auto text = util::readFile("/run/systemd/resolve/resolv.conf", 1024 * 1024)) {
    addResolvers(r, parsers::ipv6Nameservers(*text));
  }
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it("/run/systemd/resolve/netif", ec), end; !ec && it != end;
       it.increment(ec)) {
    files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    if (auto text = util::readFile(f.string(), 1024 * 1024)) addResolvers(r, parsers::resolvedLinkServers(*text));
  }
}

// Each connection attempt gets at least this, even with the budget spent.
constexpr std::chrono::milliseconds kShortestAttempt{100};

}  // namespace

Ipv6Result probeIpv6(const ProbeContext& context) {
  const auto deadline = util::deadlineIn(context.budget);
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

  std::string netlinkError;
  if (readNetlink(r, std::min(kConnectTimeout, util::remaining(deadline, kShortestAttempt)), netlinkError)) {
    r.source = "netlink";
  } else {
    r.outcome.note("netlink unavailable (" + netlinkError + "); read /proc");
    r.interfaces.clear();
    readProc(r, inet6);
    r.source = "/proc";
  }
  readResolvers(r);

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
      // Every AAAA address in turn, as a client would, until one connects or time runs out.
      for (std::size_t i = 0; i < targets.size(); ++i) {
        LookupCheck attempt;
        connectCheck(targets[i], context.collectorPort, r.collectorAaaa.addresses[i],
                     std::min(kConnectTimeout, util::remaining(deadline, kShortestAttempt)), attempt);
        if (i == 0 || attempt.status == ProbeStatus::Ok) r.collectorConnect = attempt;
        if (attempt.status == ProbeStatus::Ok || std::chrono::steady_clock::now() >= deadline) break;
      }
    }
  }

  r.readiness = parsers::computeReadiness(r);
  return r;
}

}  // namespace posture::agent
