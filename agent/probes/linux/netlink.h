#pragma once
// Read-only rtnetlink (NETLINK_ROUTE) dumps of addresses, routes and links. The decoders
// are pure functions over the bytes of a dump, so they are tested from built messages;
// dump() is the only part that talks to the kernel.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace posture::agent::netlink {

using Bytes = std::vector<std::uint8_t>;
using Address16 = std::array<std::uint8_t, 16>;

struct AddrInfo {
  std::uint32_t ifindex = 0;
  std::uint8_t prefixLength = 0;
  std::uint8_t scope = 0;     // RT_SCOPE_*
  std::uint32_t flags = 0;    // IFA_FLAGS when present (32 bits), else ifa_flags (8 bits)
  Address16 address{};        // IFA_ADDRESS (IFA_LOCAL when present, for point-to-point)
  bool hasAddress = false;
  // IFA_CACHEINFO, seconds; 0xffffffff means forever.
  std::optional<std::uint32_t> preferred;
  std::optional<std::uint32_t> valid;
  // IFA_PROTO; -1 when absent: kernels before 5.18, and addresses added from user space
  // (the kernel leaves out IFAPROT_UNSPEC).
  int proto = -1;
};

struct RouteInfo {
  std::uint8_t dstLength = 0;
  std::uint32_t table = 0;    // RTA_TABLE when present, else rtm_table
  std::uint8_t protocol = 0;  // RTPROT_*
  std::uint8_t type = 0;      // RTN_*
  Address16 gateway{};        // RTA_GATEWAY, or the first RTA_MULTIPATH next hop
  bool hasGateway = false;
  std::uint32_t oif = 0;      // RTA_OIF, or the first next hop's interface
};

struct LinkInfo {
  std::uint32_t index = 0;
  std::string name;
};

// One dump request answered by the kernel: the raw bytes of every reply datagram, or
// an error text.
struct Dump {
  Bytes bytes;
  std::string error;  // empty on success
};

// RTM_GETADDR / RTM_GETROUTE / RTM_GETLINK with NLM_F_DUMP for the family (AF_INET6 or
// AF_UNSPEC), waiting at most `timeout` for each reply datagram.
Dump dump(std::uint16_t type, std::uint8_t family, std::chrono::milliseconds timeout);

// Decoders: messages of other types or families, and truncated ones, are skipped.
std::vector<AddrInfo> decodeAddresses(const Bytes& dumpBytes);
std::vector<RouteInfo> decodeRoutes(const Bytes& dumpBytes);
std::vector<LinkInfo> decodeLinks(const Bytes& dumpBytes);

// The IPv6 default route a plain socket would use: table main, destination length 0,
// type unicast (not unreachable / blackhole / prohibit). The first one in dump order.
std::optional<RouteInfo> findDefaultRoute(const std::vector<RouteInfo>& routes);
// RTPROT_* as a word: "ra" (RTPROT_RA, from a router advertisement), "static" (set by a
// tool or config), "boot" (ip route add without proto), "dhcp", "kernel", else "proto <n>".
std::string routeOrigin(std::uint8_t protocol);

}  // namespace posture::agent::netlink
