#include "agent/probes/parsers/windows_firewall.h"

#include <cstdio>

namespace posture::agent::parsers {
namespace {

// On when all are On, Off when any is Off, Unknown otherwise (and for none).
Tristate all(const std::vector<Tristate>& values) {
  if (values.empty()) return Tristate::Unknown;
  bool unknown = false;
  for (auto v : values) {
    if (v == Tristate::Off) return Tristate::Off;
    if (v == Tristate::Unknown) unknown = true;
  }
  return unknown ? Tristate::Unknown : Tristate::On;
}

}  // namespace

std::string profileName(std::uint32_t profile) {
  switch (profile) {
    case kFwProfileDomain:
      return "domain";
    case kFwProfilePrivate:
      return "private";
    case kFwProfilePublic:
      return "public";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "profile 0x%x", static_cast<unsigned>(profile));
      return buf;
    }
  }
}

void combineFirewallProfiles(const std::vector<FwProfileReading>& readings,
                             std::optional<std::uint32_t> currentProfileTypes,
                             FirewallResult& out) {
  out.backend = "windows";
  std::vector<Tristate> enabled, deny;
  for (const auto& r : readings) {
    FirewallProfile p;
    p.name = profileName(r.profile);
    p.enabled = !r.enabled ? Tristate::Unknown : *r.enabled ? Tristate::On : Tristate::Off;
    if (r.enabled == false) {
      p.defaultDenyInput = Tristate::Off;
    } else if (r.defaultInboundAction) {
      p.defaultDenyInput = *r.defaultInboundAction == kFwActionBlock
                               ? (r.enabled ? Tristate::On : Tristate::Unknown)
                               : Tristate::Off;
    }
    p.active = currentProfileTypes && (*currentProfileTypes & r.profile) != 0;
    enabled.push_back(p.enabled);
    deny.push_back(p.defaultDenyInput);
    out.profiles.push_back(std::move(p));
  }
  out.enabled = all(enabled);
  out.defaultDenyInput = all(deny);
}

}  // namespace posture::agent::parsers
