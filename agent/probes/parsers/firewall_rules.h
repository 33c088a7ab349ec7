#pragma once
// Firewall rule sets as printed by `nft list ruleset` and `iptables-save`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posture::agent::parsers {

struct RulesetSummary {
  std::uint32_t ruleCount = 0;
  bool hasInputChain = false;     // a chain on the input hook (nft) or the filter INPUT chain
  bool defaultDenyInput = false;  // that chain drops what no rule accepts
  // nft only: which address families a default-deny input chain covers (an inet table
  // both, an ip table IPv4, an ip6 table IPv6). iptables-save is one family per tool.
  bool denyIpv4 = false;
  bool denyIpv6 = false;
  std::vector<std::string> malformed;
};

// Counts rules of chains in ip/ip6/inet tables and finds input base chains that have
// "policy drop" or end with an unconditional drop/reject. Set and map elements, chain
// declarations and comments are not rules.
RulesetSummary parseNftRuleset(std::string_view text);

// Counts "-A" rules in every table; the *filter INPUT chain denies by default when its
// policy is DROP or its last rule is an unconditional "-j DROP"/"-j REJECT".
RulesetSummary parseIptablesSave(std::string_view text);

// `ufw status verbose`: "Status: active" and "Default: deny (incoming), allow (outgoing),
// disabled (routed)". Unset fields were not found.
struct UfwStatus {
  std::optional<bool> active;
  std::optional<std::string> incoming;  // deny, reject, allow
};
UfwStatus parseUfwStatus(std::string_view text);

// `firewall-cmd --info-zone=<zone>`: the "target:" line (default, ACCEPT, DROP,
// %%REJECT%%); nullopt when absent.
std::optional<std::string> parseFirewalldZoneTarget(std::string_view text);

// firewalld's zone targets: "default" rejects what no zone rule accepts (firewalld.zone(5)),
// as do DROP and %%REJECT%%; only ACCEPT lets it through.
bool firewalldTargetDenies(std::string_view target);

}  // namespace posture::agent::parsers
