#include "agent/probes/parsers/windows_network.h"

#include <cstdio>

namespace posture::agent::parsers {

AddressOrigin windowsAddressOrigin(AddressScope scope, int prefixOrigin, int suffixOrigin) {
  if (scope == AddressScope::LinkLocal) return AddressOrigin::LinkLayer;
  if (prefixOrigin == kPrefixOriginManual || suffixOrigin == kSuffixOriginManual)
    return AddressOrigin::Static;
  if (prefixOrigin == kPrefixOriginDhcp || suffixOrigin == kSuffixOriginDhcp)
    return AddressOrigin::Dhcpv6;
  if (prefixOrigin == kPrefixOriginRouterAdvertisement) {
    return suffixOrigin == kSuffixOriginRandom ? AddressOrigin::Temporary : AddressOrigin::Slaac;
  }
  if (prefixOrigin == kPrefixOriginWellKnown) return AddressOrigin::Static;
  return AddressOrigin::Unknown;
}

DadFlags decodeDadState(int dadState) {
  DadFlags f;
  switch (dadState) {
    case kDadStateTentative:
      f.tentative = true;
      break;
    case kDadStateDuplicate:
      f.dadFailed = true;
      break;
    case kDadStateDeprecated:
      f.deprecated = true;
      break;
    case kDadStatePreferred:
      break;
    default:
      f.invalid = true;
      break;  // Invalid, or a value this code does not know
  }
  return f;
}

std::optional<std::uint32_t> finiteLifetime(std::uint32_t seconds) {
  if (seconds == 0xffffffffu) return std::nullopt;
  return seconds;
}

std::string routeOriginName(int origin) {
  switch (origin) {
    case 0:
      return "static";
    case 1:
      return "kernel";
    case 2:
      return "dhcp";
    case 3:
      return "ra";
    case 4:
      return "6to4";
    default:
      return "origin " + std::to_string(origin);
  }
}

std::optional<std::size_t> pickDefaultRoute(const std::vector<RouteRow>& rows) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.prefixLength != 0 || r.destination != Ipv6Bytes{} || r.loopback) continue;
    if (!best || r.metric < rows[*best].metric) best = i;
  }
  return best;
}

Ipv6Enabled decodeDisabledComponents(std::optional<std::uint32_t> value) {
  Ipv6Enabled e;
  if (!value || *value == 0) return e;
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(*value));
  if (*value & 0x10) {
    e.state = Tristate::Off;
    e.reason =
        std::string("IPv6 is disabled on all non-tunnel interfaces (Tcpip6 DisabledComponents ") +
        hex + ")";
  } else if (*value & 0x01) {
    e.reason = std::string("IPv6 is disabled on tunnel interfaces (Tcpip6 DisabledComponents ") +
               hex + ")";
  } else if (*value & 0x20) {
    e.reason = std::string("IPv4 is preferred over IPv6 (Tcpip6 DisabledComponents ") + hex + ")";
  }
  return e;
}

bool isWindowsPlaceholderDns(const Ipv6Bytes& a) {
  static constexpr Ipv6Bytes kPrefix = {0xfe, 0xc0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < 15; ++i) {
    if (a[i] != kPrefix[i]) return false;
  }
  return a[15] >= 1 && a[15] <= 3;
}

}  // namespace posture::agent::parsers
