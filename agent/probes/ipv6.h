#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/probes/probe_context.h"

namespace posture::agent {

enum class AddressScope { Unspecified, Loopback, LinkLocal, UniqueLocal, Global, Other };

enum class AddressOrigin {
  Unknown,
  LinkLayer,  // link-local derived from the interface
  Slaac,
  Dhcpv6,
  Static,
  Temporary,  // privacy extension (RFC 8981)
  Dynamic,    // autoconfigured, SLAAC or DHCPv6 not distinguishable
};

struct Ipv6Address {
  std::string address;  // canonical text form (RFC 5952)
  std::uint32_t prefixLength = 0;
  AddressScope scope = AddressScope::Unspecified;
  AddressOrigin origin = AddressOrigin::Unknown;
  bool deprecated = false;
  bool tentative = false;
  bool dadFailed = false;  // duplicate address detection failed: the address is unusable
  // Seconds left, from IFA_CACHEINFO; unset when forever (permanent) or read from /proc.
  std::optional<std::uint32_t> validLifetime;
  std::optional<std::uint32_t> preferredLifetime;
  std::uint32_t kernelFlags = 0;  // IFA_F_* as read, for the record
  int kernelProto = -1;           // IFA_PROTO (kernel >= 5.18); -1 when not sent (or unspecified)
};

struct Ipv6Interface {
  std::string name;
  std::vector<Ipv6Address> addresses;
  // /proc/sys/net/ipv6/conf/<name>/disable_ipv6; Unknown when it could not be read.
  Tristate enabled = Tristate::Unknown;
};

struct LookupCheck {
  ProbeStatus status = ProbeStatus::Unavailable;
  std::string name;
  std::vector<std::string> addresses;
  std::string message;
};

struct Ipv6Readiness {
  std::uint32_t level = 0;             // 0-4, see shared/domain.md
  std::vector<std::string> reasons;    // why the next level was not reached
  AddressScope bestScope = AddressScope::Unspecified;
};

struct Ipv6Result {
  ProbeOutcome outcome;
  Tristate enabled = Tristate::Unknown;
  std::vector<Ipv6Interface> interfaces;
  Tristate defaultRoute = Tristate::Unknown;
  std::string defaultGateway;
  std::string defaultRouteDevice;
  // Who installed the default route: "ra" (router advertisement), "static", "boot",
  // "dhcp", "kernel" or "proto <n>"; empty when there is none or it was read from /proc.
  std::string defaultRouteOrigin;
  // Where addresses and routes were read from: "netlink" or "/proc".
  std::string source;
  std::vector<std::string> resolvers;  // IPv6 addresses only
  LookupCheck collectorAaaa;
  LookupCheck collectorConnect;
  Ipv6Readiness readiness;
};

Ipv6Result probeIpv6(const ProbeContext& context);

}  // namespace posture::agent
