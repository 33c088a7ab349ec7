#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "agent/probes/probe_context.h"

namespace posture::agent {

struct FirewallResult {
  ProbeOutcome outcome;
  Tristate enabled = Tristate::Unknown;
  std::string backend;  // nftables, iptables, ufw
  Tristate defaultDenyInput = Tristate::Unknown;
  std::optional<std::uint32_t> ruleCount;
};

FirewallResult probeFirewall(const ProbeContext& context);

}  // namespace posture::agent
