#include "agent/probes/parsers/proc_net_ipv6.h"

#include <algorithm>
#include <cstdio>

#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {
namespace {

// Dotted IPv4 as inet_pton(AF_INET) takes it: four decimal octets, no leading zeros.
bool parseDottedQuad(std::string_view s, std::uint8_t* out) {
  for (int i = 0; i < 4; ++i) {
    auto dot = s.find('.');
    if ((i < 3) != (dot != std::string_view::npos)) return false;
    auto part = s.substr(0, dot);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
    auto v = parseUnsigned(part, 10);
    if (!v || *v > 255) return false;
    out[i] = static_cast<std::uint8_t>(*v);
    if (dot != std::string_view::npos) s.remove_prefix(dot + 1);
  }
  return true;
}

// RFC 4291 section 2.2 text forms, as inet_pton(AF_INET6) accepts them: up to eight
// groups of 1-4 hex digits, one "::", an optional dotted IPv4 tail.
std::optional<Ipv6Bytes> parseIpv6Text(std::string_view s) {
  Ipv6Bytes out{};
  std::array<std::uint16_t, 8> head{}, tail{};
  std::size_t nHead = 0, nTail = 0;
  bool compressed = false;
  auto dc = s.find("::");
  if (dc != std::string_view::npos) {
    if (s.find("::", dc + 1) != std::string_view::npos) return std::nullopt;
    compressed = true;
  }
  // Parses colon-separated groups (possibly ending in a dotted quad) into g; false on error.
  auto groups = [](std::string_view part, std::array<std::uint16_t, 8>& g, std::size_t& n,
                   bool allowV4) {
    if (part.empty()) return true;
    std::size_t pos = 0;
    while (true) {
      auto colon = part.find(':', pos);
      auto field =
          part.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos);
      if (colon == std::string_view::npos && allowV4 && field.find('.') != std::string_view::npos) {
        std::uint8_t v4[4];
        if (n + 2 > 8 || !parseDottedQuad(field, v4)) return false;
        g[n++] = static_cast<std::uint16_t>(v4[0] << 8 | v4[1]);
        g[n++] = static_cast<std::uint16_t>(v4[2] << 8 | v4[3]);
        return true;
      }
      if (field.empty() || field.size() > 4 || n >= 8) return false;
      auto v = parseUnsigned(field, 16);
      if (!v) return false;
      g[n++] = static_cast<std::uint16_t>(*v);
      if (colon == std::string_view::npos) return true;
      pos = colon + 1;
    }
  };
  if (compressed) {
    if (!groups(s.substr(0, dc), head, nHead, false) ||
        !groups(s.substr(dc + 2), tail, nTail, true))
      return std::nullopt;
    if (nHead + nTail > 7) return std::nullopt;
  } else {
    if (!groups(s, head, nHead, true) || nHead != 8) return std::nullopt;
  }
  std::array<std::uint16_t, 8> w{};
  for (std::size_t i = 0; i < nHead; ++i) w[i] = head[i];
  for (std::size_t i = 0; i < nTail; ++i) w[8 - nTail + i] = tail[i];
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<std::uint8_t>(w[i] >> 8);
    out[2 * i + 1] = static_cast<std::uint8_t>(w[i] & 0xff);
  }
  return out;
}

}  // namespace

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

// RFC 5952 text, written without the C library so that Windows and Linux agree: lower
// case, the first longest run of two or more zero groups as "::", and glibc's dotted tail
// for IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) addresses.
std::string formatAddress(const Ipv6Bytes& b) {
  std::array<unsigned, 8> w{};
  for (std::size_t i = 0; i < 8; ++i) w[i] = static_cast<unsigned>(b[2 * i] << 8 | b[2 * i + 1]);
  int bestBase = -1, bestLen = 0;
  for (int i = 0; i < 8;) {
    if (w[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && w[j] == 0) ++j;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  std::string out;
  char buf[24];
  for (int i = 0; i < 8; ++i) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i == bestBase) out += ':';
      continue;
    }
    if (i != 0) out += ':';
    if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff))) {
      std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
      out += buf;
      break;
    }
    std::snprintf(buf, sizeof buf, "%x", w[i]);
    out += buf;
  }
  if (bestBase >= 0 && bestBase + bestLen == 8) out += ':';
  return out;
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

AddressOrigin classifyOrigin(AddressScope scope, std::uint32_t flags, int proto,
                             std::uint32_t prefixLength) {
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
  if (pct != std::string_view::npos && pct + 1 >= text.size()) return false;
  return parseIpv6Text(text.substr(0, pct)).has_value();
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
