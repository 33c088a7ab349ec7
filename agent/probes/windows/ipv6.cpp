// IPv6 on Windows: addresses with their prefix and suffix origins and DAD state from
// GetAdaptersAddresses, the default route from GetIpForwardTable2, resolvers from each
// connected adapter's DNS server list, and, with a collector configured, an AAAA lookup
// (getaddrinfo AF_INET6) and a TCP connection over IPv6 within the budget. The readiness
// level is computed by the same parsers::computeReadiness as on Linux.
#include "agent/probes/ipv6.h"

#include <algorithm>
#include <cstring>
#include <map>

// Before the Windows headers: their COM part defines `interface` as a macro, a member
// name of parsers::InetEntry.
#include "agent/probes/parsers/ipv6_readiness.h"
#include "agent/probes/parsers/proc_net_ipv6.h"
#include "agent/probes/parsers/windows_network.h"
#include "agent/probes/windows/com.h"

// ws2tcpip.h (ws2ipdef.h) first: netioapi.h declares GetIpForwardTable2 only after it.
// clang-format off
#include <ws2tcpip.h>
#include <iphlpapi.h>
#include <netioapi.h>
// clang-format on

namespace posture::agent {
namespace {

constexpr std::chrono::milliseconds kConnectTimeout{3000};

class WinsockSession {
 public:
  WinsockSession() {
    WSADATA data;
    rc_ = ::WSAStartup(MAKEWORD(2, 2), &data);
  }
  ~WinsockSession() {
    if (rc_ == 0) ::WSACleanup();
  }
  WinsockSession(const WinsockSession&) = delete;
  WinsockSession& operator=(const WinsockSession&) = delete;
  int error() const { return rc_; }

 private:
  int rc_ = 0;
};

class Socket {
 public:
  explicit Socket(SOCKET s) : s_(s) {}
  ~Socket() {
    if (s_ != INVALID_SOCKET) ::closesocket(s_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  SOCKET get() const { return s_; }

 private:
  SOCKET s_;
};

std::string wsaError(int code) {
  return win::describe(HRESULT_FROM_WIN32(static_cast<DWORD>(code)));
}

parsers::Ipv6Bytes bytesOf(const in6_addr& a) {
  parsers::Ipv6Bytes b;
  std::memcpy(b.data(), &a, 16);
  return b;
}

std::string textOf(const sockaddr_in6& sa) {
  auto text = parsers::formatAddress(bytesOf(sa.sin6_addr));
  if (sa.sin6_scope_id != 0 &&
      parsers::classifyScope(bytesOf(sa.sin6_addr)) == AddressScope::LinkLocal) {
    text += "%" + std::to_string(sa.sin6_scope_id);
  }
  return text;
}

struct Adapters {
  std::vector<unsigned char> buffer;
  std::string error;
  std::string dnsError;  // set when DNS servers had to be skipped to read the rest
  const IP_ADAPTER_ADDRESSES* first() const {
    return buffer.empty() ? nullptr : reinterpret_cast<const IP_ADAPTER_ADDRESSES*>(buffer.data());
  }
};

// ERROR_SUCCESS with the buffer filled (empty for ERROR_NO_DATA), or the failure code.
ULONG callAdapters(ULONG flags, std::vector<unsigned char>& buffer) {
  ULONG size = 16 * 1024;
  for (int attempt = 0; attempt < 4; ++attempt) {
    buffer.assign(size, 0);
    ULONG rc = ::GetAdaptersAddresses(
        AF_INET6, flags, nullptr, reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buffer.data()), &size);
    if (rc == ERROR_NO_DATA) {
      buffer.clear();
      return ERROR_SUCCESS;
    }
    if (rc != ERROR_BUFFER_OVERFLOW) {
      if (rc != ERROR_SUCCESS) buffer.clear();
      return rc;
    }
  }
  buffer.clear();
  return ERROR_BUFFER_OVERFLOW;
}

Adapters readAdapters() {
  Adapters a;
  const ULONG flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST;
  ULONG rc = callAdapters(flags, a.buffer);
  if (rc == ERROR_SUCCESS) return a;
  // The DNS server part fails on its own on some systems (Wine without a resolver
  // answers DNS_ERROR_NO_DNS_SERVERS); addresses are still worth reading.
  ULONG again = callAdapters(flags | GAA_FLAG_SKIP_DNS_SERVER, a.buffer);
  if (again == ERROR_SUCCESS) {
    a.dnsError = "DNS servers not read: GetAdaptersAddresses failed with them: " +
                 win::describe(HRESULT_FROM_WIN32(rc));
    return a;
  }
  a.error = "GetAdaptersAddresses failed: " + win::describe(HRESULT_FROM_WIN32(rc));
  return a;
}

void readAddresses(Ipv6Result& r, const Adapters& adapters,
                   std::map<std::uint32_t, std::string>& names) {
  int invalid = 0;
  for (auto* ad = adapters.first(); ad; ad = ad->Next) {
    Ipv6Interface iface;
    iface.name = ad->FriendlyName ? win::toUtf8(ad->FriendlyName)
                                  : std::string(ad->AdapterName ? ad->AdapterName : "");
    // Ipv6IfIndex is 0 when IPv6 is off on the interface; Wine leaves it (and the flag) unset
    // even with IPv6 addresses, which then tell.
    bool ipv6 = (ad->Flags & IP_ADAPTER_IPV6_ENABLED) != 0 || ad->Ipv6IfIndex != 0;
    if (ad->Ipv6IfIndex != 0) names[ad->Ipv6IfIndex] = iface.name;
    if (ad->IfIndex != 0) names.emplace(ad->IfIndex, iface.name);
    for (auto* u = ad->FirstUnicastAddress; u; u = u->Next) {
      if (!u->Address.lpSockaddr || u->Address.lpSockaddr->sa_family != AF_INET6) continue;
      const auto& sa = *reinterpret_cast<const sockaddr_in6*>(u->Address.lpSockaddr);
      auto flags = parsers::decodeDadState(static_cast<int>(u->DadState));
      if (flags.invalid) {
        ++invalid;
        continue;
      }
      auto b = bytesOf(sa.sin6_addr);
      Ipv6Address x;
      x.address = parsers::formatAddress(b);
      x.prefixLength = u->OnLinkPrefixLength;
      x.scope = parsers::classifyScope(b);
      x.origin = parsers::windowsAddressOrigin(x.scope, static_cast<int>(u->PrefixOrigin),
                                               static_cast<int>(u->SuffixOrigin));
      x.tentative = flags.tentative;
      x.dadFailed = flags.dadFailed;
      x.deprecated = flags.deprecated;
      x.validLifetime = parsers::finiteLifetime(u->ValidLifetime);
      x.preferredLifetime = parsers::finiteLifetime(u->PreferredLifetime);
      iface.addresses.push_back(std::move(x));
    }
    iface.enabled = ipv6 || !iface.addresses.empty() ? Tristate::On : Tristate::Off;
    r.interfaces.push_back(std::move(iface));
  }
  if (invalid > 0)
    r.outcome.note(std::to_string(invalid) + " address(es) in DAD state Invalid left out");
}

void readResolvers(Ipv6Result& r, const Adapters& adapters) {
  bool placeholder = false;
  for (auto* ad = adapters.first(); ad; ad = ad->Next) {
    if (ad->OperStatus != IfOperStatusUp) continue;
    for (auto* d = ad->FirstDnsServerAddress; d; d = d->Next) {
      if (!d->Address.lpSockaddr || d->Address.lpSockaddr->sa_family != AF_INET6) continue;
      const auto& sa = *reinterpret_cast<const sockaddr_in6*>(d->Address.lpSockaddr);
      if (parsers::isWindowsPlaceholderDns(bytesOf(sa.sin6_addr))) {
        placeholder = true;
        continue;
      }
      auto text = textOf(sa);
      if (std::find(r.resolvers.begin(), r.resolvers.end(), text) == r.resolvers.end())
        r.resolvers.push_back(text);
    }
  }
  if (placeholder) {
    r.outcome.note(
        "fec0:0:0:ffff::1-3 DNS placeholders (listed by Windows when no IPv6 DNS server is "
        "configured) ignored");
  }
}

void readDefaultRoute(Ipv6Result& r, const std::map<std::uint32_t, std::string>& names) {
  PMIB_IPFORWARD_TABLE2 table = nullptr;
  DWORD rc = ::GetIpForwardTable2(AF_INET6, &table);
  if (rc != NO_ERROR || !table) {
    r.outcome.note("IPv6 routes not read: GetIpForwardTable2 failed: " +
                   win::describe(HRESULT_FROM_WIN32(rc)));
    return;
  }
  std::vector<parsers::RouteRow> rows;
  std::vector<parsers::Ipv6Bytes> hops;
  for (ULONG i = 0; i < table->NumEntries; ++i) {
    const auto& row = table->Table[i];
    parsers::RouteRow x;
    x.destination = bytesOf(row.DestinationPrefix.Prefix.Ipv6.sin6_addr);
    x.prefixLength = row.DestinationPrefix.PrefixLength;
    x.nextHop = bytesOf(row.NextHop.Ipv6.sin6_addr);
    x.interfaceIndex = row.InterfaceIndex;
    x.metric = row.Metric;
    x.loopback = row.Loopback != FALSE;
    x.origin = static_cast<int>(row.Origin);
    rows.push_back(x);
  }
  ::FreeMibTable(table);
  if (rows.empty()) {
    // Windows always has ::1/128, fe80::/64 and ff00::/8 routes: an empty table is not an
    // answer (Wine 8 returns one), so the default route stays unknown.
    r.outcome.note(
        "GetIpForwardTable2 returned no IPv6 route at all, not even ::1/128; the default route is "
        "unknown" +
        win::underWine());
    return;
  }
  auto best = parsers::pickDefaultRoute(rows);
  r.defaultRoute = best ? Tristate::On : Tristate::Off;
  if (!best) return;
  const auto& route = rows[*best];
  if (route.nextHop != parsers::Ipv6Bytes{})
    r.defaultGateway = parsers::formatAddress(route.nextHop);
  auto it = names.find(route.interfaceIndex);
  r.defaultRouteDevice =
      it != names.end() ? it->second : "if" + std::to_string(route.interfaceIndex);
  r.defaultRouteOrigin = parsers::routeOriginName(route.origin);
}

void lookupAaaa(const std::string& host, LookupCheck& check, std::vector<sockaddr_in6>& out) {
  check.name = host;
  ADDRINFOW hints{};
  hints.ai_family = AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  ADDRINFOW* res = nullptr;
  auto wide = win::toWide(host);
  int rc = ::GetAddrInfoW(wide.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    check.status = ProbeStatus::Error;
    check.message = wsaError(rc);
    return;
  }
  for (auto* a = res; a; a = a->ai_next) {
    if (a->ai_family != AF_INET6 || a->ai_addrlen < sizeof(sockaddr_in6)) continue;
    sockaddr_in6 sa;
    std::memcpy(&sa, a->ai_addr, sizeof sa);
    auto text = parsers::formatAddress(bytesOf(sa.sin6_addr));
    if (std::find(check.addresses.begin(), check.addresses.end(), text) != check.addresses.end())
      continue;
    check.addresses.push_back(text);
    out.push_back(sa);
  }
  ::FreeAddrInfoW(res);
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
  Socket s(::socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP));
  if (s.get() == INVALID_SOCKET) {
    check.status = ProbeStatus::Error;
    check.message = "socket: " + wsaError(::WSAGetLastError());
    return;
  }
  u_long nonBlocking = 1;
  ::ioctlsocket(s.get(), FIONBIO, &nonBlocking);
  if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&target), sizeof target) == 0) {
    check.status = ProbeStatus::Ok;
    return;
  }
  int err = ::WSAGetLastError();
  if (err != WSAEWOULDBLOCK) {
    check.status = ProbeStatus::Error;
    check.message = wsaError(err);
    return;
  }
  fd_set writable, failed;
  FD_ZERO(&writable);
  FD_ZERO(&failed);
  FD_SET(s.get(), &writable);
  FD_SET(s.get(), &failed);
  timeval tv;
  tv.tv_sec = static_cast<long>(timeout.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
  int n = ::select(0, nullptr, &writable, &failed, &tv);
  if (n == 0) {
    check.status = ProbeStatus::Error;
    check.message =
        timeout == kConnectTimeout
            ? "connection timed out after " + std::to_string(kConnectTimeout.count() / 1000) + " s"
            : "connection timed out after " + std::to_string(timeout.count()) + " ms";
    return;
  }
  if (n == SOCKET_ERROR) {
    check.status = ProbeStatus::Error;
    check.message = "select: " + wsaError(::WSAGetLastError());
    return;
  }
  if (FD_ISSET(s.get(), &failed)) {
    int soError = 0;
    int len = sizeof soError;
    ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&soError), &len);
    check.status = ProbeStatus::Error;
    check.message = soError ? wsaError(soError) : "connection failed";
    return;
  }
  check.status = ProbeStatus::Ok;
}

}  // namespace

Ipv6Result probeIpv6(const ProbeContext& context) {
  const auto deadline = win::Clock::now() + context.budget;
  Ipv6Result r;
  r.source = "GetAdaptersAddresses";
  WinsockSession wsa;
  if (wsa.error() != 0) {
    r.outcome.fail(ProbeStatus::Error, "WSAStartup failed: " + wsaError(wsa.error()));
    r.readiness = parsers::computeReadiness(r);
    return r;
  }

  auto enabled = parsers::decodeDisabledComponents(
      win::regDword(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Services\\Tcpip6\\Parameters",
                    L"DisabledComponents"));
  r.enabled = enabled.state;
  r.outcome.note(enabled.reason);

  auto adapters = readAdapters();
  std::map<std::uint32_t, std::string> names;
  if (!adapters.error.empty()) {
    r.outcome.fail(ProbeStatus::Error, adapters.error);
  } else {
    readAddresses(r, adapters, names);
    readResolvers(r, adapters);
    r.outcome.note(adapters.dnsError);
  }
  if (r.enabled == Tristate::On && adapters.error.empty() &&
      std::none_of(r.interfaces.begin(), r.interfaces.end(),
                   [](const Ipv6Interface& i) { return i.enabled == Tristate::On; })) {
    r.enabled = Tristate::Off;
    r.outcome.note("no network interface has IPv6 enabled");
  }
  if (r.enabled == Tristate::Off) {
    r.defaultRoute = Tristate::Off;
  } else {
    readDefaultRoute(r, names);
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
      // Every AAAA address in turn, as a client would, until one connects or time runs out.
      for (std::size_t i = 0; i < targets.size(); ++i) {
        LookupCheck attempt;
        auto left = std::max(win::remaining(deadline), std::chrono::milliseconds(100));
        connectCheck(targets[i], context.collectorPort, r.collectorAaaa.addresses[i],
                     std::min(kConnectTimeout, left), attempt);
        if (i == 0 || attempt.status == ProbeStatus::Ok) r.collectorConnect = attempt;
        if (attempt.status == ProbeStatus::Ok || win::Clock::now() >= deadline) break;
      }
    }
  }

  r.readiness = parsers::computeReadiness(r);
  return r;
}

}  // namespace posture::agent
