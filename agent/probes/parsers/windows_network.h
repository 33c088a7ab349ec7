#pragma once
// IPv6 state as the Windows IP Helper API reports it (GetAdaptersAddresses,
// GetIpForwardTable2) and the Tcpip6 DisabledComponents value, mapped to the fields the
// Linux probe fills, so the readiness levels mean the same on both systems. Pure
// functions, tested on Linux.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/probes/ipv6.h"
#include "agent/probes/parsers/proc_net_ipv6.h"

namespace posture::agent::parsers {

// NL_PREFIX_ORIGIN / IP_PREFIX_ORIGIN and NL_SUFFIX_ORIGIN / IP_SUFFIX_ORIGIN (nldef.h).
constexpr int kPrefixOriginOther = 0;
constexpr int kPrefixOriginManual = 1;
constexpr int kPrefixOriginWellKnown = 2;
constexpr int kPrefixOriginDhcp = 3;
constexpr int kPrefixOriginRouterAdvertisement = 4;
constexpr int kSuffixOriginOther = 0;
constexpr int kSuffixOriginManual = 1;
constexpr int kSuffixOriginWellKnown = 2;
constexpr int kSuffixOriginDhcp = 3;
constexpr int kSuffixOriginLinkLayerAddress = 4;
constexpr int kSuffixOriginRandom = 5;
// NL_DAD_STATE / IP_DAD_STATE (nldef.h).
constexpr int kDadStateInvalid = 0;
constexpr int kDadStateTentative = 1;
constexpr int kDadStateDuplicate = 2;
constexpr int kDadStateDeprecated = 3;
constexpr int kDadStatePreferred = 4;

// Origin, first rule wins:
//   link-local scope                               -> LinkLayer
//   prefix Manual or suffix Manual                 -> Static
//   prefix Dhcp or suffix Dhcp                     -> Dhcpv6
//   prefix RouterAdvertisement + suffix Random     -> Temporary (the IP-MIB meaning of a
//                                                     random suffix, RFC 4293: "an RFC
//                                                     3041 privacy address"; not checked
//                                                     against a Windows host with
//                                                     RandomizeIdentifiers, which may
//                                                     label its stable address so too)
//   prefix RouterAdvertisement                     -> Slaac
//   prefix WellKnown (::1, 6to4/Teredo/ISATAP)     -> Static
//   otherwise                                      -> Unknown
AddressOrigin windowsAddressOrigin(AddressScope scope, int prefixOrigin, int suffixOrigin);

struct DadFlags {
  bool tentative = false;
  bool dadFailed = false;  // Duplicate
  bool deprecated = false;
  bool invalid = false;  // Invalid: not usable at all; the probe leaves it out
};
DadFlags decodeDadState(int dadState);

// Valid/preferred lifetimes of IP_ADAPTER_UNICAST_ADDRESS: 0xffffffff is infinite.
std::optional<std::uint32_t> finiteLifetime(std::uint32_t seconds);

// NL_ROUTE_ORIGIN of MIB_IPFORWARD_ROW2 (nldef.h: NlroManual 0, NlroWellKnown 1,
// NlroDHCP 2, NlroRouterAdvertisement 3, Nlro6to4 4) in the words of
// Ipv6Result::defaultRouteOrigin: "static", "kernel", "dhcp", "ra", "6to4", else
// "origin <n>".
std::string routeOriginName(int nlRouteOrigin);

// One row of GetIpForwardTable2(AF_INET6), reduced to what picking the default needs.
struct RouteRow {
  Ipv6Bytes destination{};
  std::uint8_t prefixLength = 0;
  Ipv6Bytes nextHop{};
  std::uint32_t interfaceIndex = 0;
  std::uint32_t metric = 0;  // route metric (the interface metric is added by Windows)
  bool loopback = false;     // Loopback member of the row
  int origin = 0;            // NL_ROUTE_ORIGIN
};
// Index of the usable default route (::/0, not a loopback route) with the lowest metric,
// first in table order among equals; nullopt when there is none.
std::optional<std::size_t> pickDefaultRoute(const std::vector<RouteRow>& rows);

// HKLM\SYSTEM\CurrentControlSet\Services\Tcpip6\Parameters DisabledComponents (Microsoft
// Learn, "Guidance for configuring IPv6 in Windows for advanced users"): 0x01 disables
// IPv6 on tunnel interfaces, 0x10 on all non-tunnel interfaces (0xFF everywhere but
// loopback), 0x20 only prefers IPv4. Off when non-tunnel interfaces are disabled, On
// otherwise (also when the value is absent, the default), with a reason when a bit that
// matters is set.
struct Ipv6Enabled {
  Tristate state = Tristate::On;
  std::string reason;
};
Ipv6Enabled decodeDisabledComponents(std::optional<std::uint32_t> value);

// fec0:0:0:ffff::1, ::2 and ::3: the site-local DNS addresses Windows lists on an
// interface that has no DNS server configured (RFC 3879 deprecated site-local; nothing
// answers there on a normal network), so they are not resolvers.
bool isWindowsPlaceholderDns(const Ipv6Bytes& address);

}  // namespace posture::agent::parsers
