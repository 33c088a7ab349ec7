#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/probes/probe_context.h"

namespace posture::agent {

struct FirewallProfile {
  std::string name;  // "domain", "private", "public"
  Tristate enabled = Tristate::Unknown;
  Tristate defaultDenyInput = Tristate::Unknown;
  bool active = false;  // a connected network is in this profile
};

struct FirewallResult {
  ProbeOutcome outcome;
  Tristate enabled = Tristate::Unknown;
  std::string backend;  // nftables, iptables, ufw
  Tristate defaultDenyInput = Tristate::Unknown;
  std::optional<std::uint32_t> ruleCount;
  std::vector<FirewallProfile> profiles;  // Windows: one per profile
};

FirewallResult probeFirewall(const ProbeContext& context);

}  // namespace posture::agent
