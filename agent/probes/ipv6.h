#pragma once
#include <cstdint>
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
};

struct Ipv6Interface {
  std::string name;
  std::vector<Ipv6Address> addresses;
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
  std::vector<std::string> resolvers;  // IPv6 addresses only
  LookupCheck collectorAaaa;
  LookupCheck collectorConnect;
  Ipv6Readiness readiness;
};

Ipv6Result probeIpv6(const ProbeContext& context);

}  // namespace posture::agent
