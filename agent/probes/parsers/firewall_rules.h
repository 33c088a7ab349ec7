#pragma once
// Firewall rule sets as printed by `nft list ruleset` and `iptables-save`.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace posture::agent::parsers {

struct RulesetSummary {
  std::uint32_t ruleCount = 0;
  bool hasInputChain = false;     // a chain on the input hook (nft) or the filter INPUT chain
  bool defaultDenyInput = false;  // that chain drops what no rule accepts
  std::vector<std::string> malformed;
};

// Counts rules of chains in ip/ip6/inet tables and finds input base chains that have
// "policy drop" or end with an unconditional drop/reject. Set and map elements, chain
// declarations and comments are not rules.
RulesetSummary parseNftRuleset(std::string_view text);

// Counts "-A" rules in every table; the *filter INPUT chain denies by default when its
// policy is DROP or its last rule is an unconditional "-j DROP"/"-j REJECT".
RulesetSummary parseIptablesSave(std::string_view text);

}  // namespace posture::agent::parsers
