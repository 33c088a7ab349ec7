#include "agent/probes/parsers/proc_net_ipv6.h"

#include <arpa/inet.h>

#include <algorithm>

#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {

std::optional<Ipv6Bytes> parseHexAddress(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  Ipv6Bytes b{};
  for (std::size_t i = 0; i < 16; ++i) {
    auto v = parseUnsigned(hex.substr(i * 2, 2), 16);
    if (!v) return std::nullopt;
    b[i] = static_cast<std::uint8_t>(*v);
  }
  return b;
}

std::string formatAddress(const Ipv6Bytes& bytes) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

AddressScope classifyScope(const Ipv6Bytes& b) {
  static constexpr Ipv6Bytes kLoopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (b == kLoopback) return AddressScope::Loopback;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressScope::LinkLocal;
  if ((b[0] & 0xfe) == 0xfc) return AddressScope::UniqueLocal;
  if ((b[0] & 0xe0) == 0x20) return AddressScope::Global;
  return AddressScope::Other;
}

AddressOrigin originFromFlags(AddressScope scope, std::uint32_t flags) {
  if (scope == AddressScope::LinkLocal) return AddressOrigin::LinkLayer;
  if (flags & kIfaTemporary) return AddressOrigin::Temporary;
  if (flags & kIfaPermanent) return AddressOrigin::Static;
  return AddressOrigin::Dynamic;
}

AddressOrigin classifyOrigin(AddressScope scope, std::uint32_t flags, int proto, std::uint32_t prefixLength) {
  if (scope == AddressScope::LinkLocal) return AddressOrigin::LinkLayer;
  if (flags & kIfaTemporary) return AddressOrigin::Temporary;
  if (proto == kIfaProtoKernelRa) return AddressOrigin::Slaac;
  if (flags & kIfaPermanent) return AddressOrigin::Static;
  if (prefixLength == 128) return AddressOrigin::Dhcpv6;
  if (flags & kIfaManageTempAddr) return AddressOrigin::Slaac;
  return AddressOrigin::Dynamic;
}

IfInet6 parseIfInet6(std::string_view text) {
  IfInet6 out;
  for (auto line : lines(text)) {
    if (trim(line).empty()) continue;
    auto w = words(line);
    std::optional<Ipv6Bytes> addr;
    std::optional<std::uint64_t> prefix, flags;
    if (w.size() == 6) {
      addr = parseHexAddress(w[0]);
      prefix = parseUnsigned(w[2], 16);
      flags = parseUnsigned(w[4], 16);
    }
    if (!addr || !prefix || *prefix > 128 || !flags || !parseUnsigned(w[1], 16) ||
        !parseUnsigned(w[3], 16)) {
      out.malformed.emplace_back(line);
      continue;
    }
    InetEntry e;
    e.interface = std::string(w[5]);
    e.flags = static_cast<std::uint32_t>(*flags);
    e.address.address = formatAddress(*addr);
    e.address.prefixLength = static_cast<std::uint32_t>(*prefix);
    e.address.scope = classifyScope(*addr);
    e.address.origin = originFromFlags(e.address.scope, e.flags);
    e.address.deprecated = (e.flags & kIfaDeprecated) != 0;
    e.address.tentative = (e.flags & kIfaTentative) != 0;
    e.address.dadFailed = (e.flags & kIfaDadFailed) != 0;
    e.address.kernelFlags = e.flags;
    out.entries.push_back(std::move(e));
  }
  return out;
}

std::optional<DefaultRoute> findDefaultRoute(std::string_view ipv6Route) {
  // dest, dest prefix, source, source prefix, next hop, metric, refcount, use, flags, device
  for (auto line : lines(ipv6Route)) {
    auto w = words(line);
    if (w.size() != 10) continue;
    auto dest = parseHexAddress(w[0]);
    auto prefix = parseUnsigned(w[1], 16);
    auto hop = parseHexAddress(w[4]);
    auto flags = parseUnsigned(w[8], 16);
    if (!dest || !prefix || !hop || !flags) continue;
    if (*dest != Ipv6Bytes{} || *prefix != 0 || (*flags & kRtfReject) || w[9] == "lo") continue;
    DefaultRoute r;
    if (*hop != Ipv6Bytes{}) r.gateway = formatAddress(*hop);
    r.device = std::string(w[9]);
    return r;
  }
  return std::nullopt;
}

bool isIpv6Literal(std::string_view text) {
  auto pct = text.find('%');
  std::string addr(text.substr(0, pct));
  if (pct != std::string_view::npos && pct + 1 >= text.size()) return false;
  unsigned char buf[16];
  return ::inet_pton(AF_INET6, addr.c_str(), buf) == 1;
}

std::vector<std::string> ipv6Nameservers(std::string_view resolvConf) {
  std::vector<std::string> out;
  for (auto raw : lines(resolvConf)) {
    auto line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    auto w = words(line);
    if (w.size() < 2 || w[0] != "nameserver" || !isIpv6Literal(w[1])) continue;
    std::string s(w[1]);
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace posture::agent::parsers
