#pragma once
// Linux /proc/net/if_inet6 and /proc/net/ipv6_route, and address classification.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/probes/ipv6.h"

namespace posture::agent::parsers {

using Ipv6Bytes = std::array<std::uint8_t, 16>;

// Kernel address flags (linux/if_addr.h) as shown in if_inet6.
constexpr std::uint32_t kIfaTemporary = 0x01;
constexpr std::uint32_t kIfaDeprecated = 0x20;
constexpr std::uint32_t kIfaTentative = 0x40;
constexpr std::uint32_t kIfaPermanent = 0x80;
constexpr std::uint32_t kIfaDadFailed = 0x08;
constexpr std::uint32_t kIfaManageTempAddr = 0x100;
// IFA_PROTO values (kernel >= 5.18): who created the address.
constexpr int kIfaProtoKernelLo = 1;
constexpr int kIfaProtoKernelRa = 2;
constexpr int kIfaProtoKernelLl = 3;
// Route flag (linux/ipv6_route.h): an unreachable route, not a usable default.
constexpr std::uint32_t kRtfReject = 0x0200;

struct InetEntry {
  std::string interface;
  Ipv6Address address;
  std::uint32_t flags = 0;
};

struct IfInet6 {
  std::vector<InetEntry> entries;
  std::vector<std::string> malformed;
};

// Lines "<32 hex address> <ifindex> <prefix len> <scope> <flags> <name>", numbers in hex.
IfInet6 parseIfInet6(std::string_view text);

struct DefaultRoute {
  std::string gateway;  // empty when on-link (next hop ::)
  std::string device;
};

// The first usable default route (::/0, not a reject route, not on "lo").
std::optional<DefaultRoute> findDefaultRoute(std::string_view ipv6Route);

// 32 hex digits to bytes; nullopt when malformed.
std::optional<Ipv6Bytes> parseHexAddress(std::string_view hex);
std::string formatAddress(const Ipv6Bytes& bytes);
AddressScope classifyScope(const Ipv6Bytes& bytes);
AddressOrigin originFromFlags(AddressScope scope, std::uint32_t flags);
// Origin from what netlink tells (IFA_FLAGS, IFA_PROTO, prefix length), first rule wins:
//   link-local scope                          -> LinkLayer
//   IFA_F_TEMPORARY                           -> Temporary (RFC 8981 privacy address)
//   IFA_PROTO = IFAPROT_KERNEL_RA             -> Slaac (the kernel built it from an RA)
//   IFA_F_PERMANENT                           -> Static (no lifetime: configured by hand,
//                                                by ifupdown/netplan, or ::1)
//   dynamic /128                              -> Dhcpv6 (DHCPv6 IA_NA clients add the
//                                                leased address as /128; SLAAC always
//                                                uses the advertised /64)
//   IFA_F_MANAGETEMPADDR                      -> Slaac (only a SLAAC base address owns
//                                                temporaries, including user-space SLAAC)
//   otherwise                                 -> Dynamic (a lifetime, but SLAAC by a
//                                                user-space daemon and DHCPv6 with a
//                                                prefix length look the same)
// `proto` is -1 when the kernel did not send IFA_PROTO (before 5.18, or IFAPROT_UNSPEC).
AddressOrigin classifyOrigin(AddressScope scope, std::uint32_t flags, int proto, std::uint32_t prefixLength);

// True for IPv6 text such as "2001:db8::1" or "fe80::1%eth0".
bool isIpv6Literal(std::string_view text);

// IPv6 "nameserver" entries of a resolv.conf, in file order, without duplicates.
std::vector<std::string> ipv6Nameservers(std::string_view resolvConf);

}  // namespace posture::agent::parsers
