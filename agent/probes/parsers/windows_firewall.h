#pragma once
// Windows Defender Firewall state from INetFwPolicy2, combined the way the report reads
// it. Pure, tested on Linux.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/probes/firewall.h"

namespace posture::agent::parsers {

// NET_FW_PROFILE_TYPE2 (icftypes.h): DOMAIN 1, PRIVATE 2, PUBLIC 4.
constexpr std::uint32_t kFwProfileDomain = 0x1;
constexpr std::uint32_t kFwProfilePrivate = 0x2;
constexpr std::uint32_t kFwProfilePublic = 0x4;
// NET_FW_ACTION (icftypes.h): BLOCK 0, ALLOW 1.
constexpr int kFwActionBlock = 0;
constexpr int kFwActionAllow = 1;

// What INetFwPolicy2 said for one profile; unset when that call failed.
struct FwProfileReading {
  std::uint32_t profile = 0;                // one NET_FW_PROFILE2_* bit
  std::optional<bool> enabled;              // get_FirewallEnabled
  std::optional<int> defaultInboundAction;  // get_DefaultInboundAction
};

// "domain", "private", "public", else "profile 0x<n>".
std::string profileName(std::uint32_t profile);

// Fills backend ("windows"), profiles (in the order read; active from
// currentProfileTypes, the get_CurrentProfileTypes bitmask), enabled (On only when every
// profile is on, Off when one is off, Unknown when none is off but one is unknown) and
// defaultDenyInput (the same rule over "default inbound action is block", counted only
// for enabled profiles: a disabled profile blocks nothing).
void combineFirewallProfiles(const std::vector<FwProfileReading>& readings,
                             std::optional<std::uint32_t> currentProfileTypes, FirewallResult& out);

}  // namespace posture::agent::parsers
