#include "agent/probes/parsers/windows_firewall.h"

#include <doctest/doctest.h>

#include <vector>

using namespace posture::agent;
using namespace posture::agent::parsers;

TEST_CASE("combineFirewallProfiles: all three profiles on and blocking") {
  std::vector<FwProfileReading> r = {{kFwProfileDomain, true, kFwActionBlock},
                                     {kFwProfilePrivate, true, kFwActionBlock},
                                     {kFwProfilePublic, true, kFwActionBlock}};
  FirewallResult out;
  combineFirewallProfiles(r, kFwProfilePrivate, out);
  CHECK(out.backend == "windows");
  CHECK(out.enabled == Tristate::On);
  CHECK(out.defaultDenyInput == Tristate::On);
  REQUIRE(out.profiles.size() == 3);
  CHECK(out.profiles[0].name == "domain");
  CHECK(out.profiles[1].name == "private");
  CHECK(out.profiles[2].name == "public");
  CHECK_FALSE(out.profiles[0].active);
  CHECK(out.profiles[1].active);
  CHECK_FALSE(out.profiles[2].active);
}

TEST_CASE("combineFirewallProfiles: one profile off makes the firewall off") {
  std::vector<FwProfileReading> r = {{1, true, 0}, {2, false, 0}, {4, true, 1}};
  FirewallResult out;
  combineFirewallProfiles(r, 1u | 4u, out);
  CHECK(out.enabled == Tristate::Off);
  CHECK(out.defaultDenyInput == Tristate::Off);
  CHECK(out.profiles[1].enabled == Tristate::Off);
  CHECK(out.profiles[1].defaultDenyInput == Tristate::Off);  // a disabled profile blocks nothing
  CHECK(out.profiles[2].defaultDenyInput == Tristate::Off);  // allow
  CHECK(out.profiles[0].active);
  CHECK(out.profiles[2].active);
}

TEST_CASE("combineFirewallProfiles: unreadable values stay unknown") {
  std::vector<FwProfileReading> r = {
      {1, true, 0}, {2, std::nullopt, std::nullopt}, {4, true, std::nullopt}};
  FirewallResult out;
  combineFirewallProfiles(r, std::nullopt, out);
  CHECK(out.enabled == Tristate::Unknown);
  CHECK(out.defaultDenyInput == Tristate::Unknown);
  CHECK(out.profiles[1].enabled == Tristate::Unknown);
  CHECK(out.profiles[2].defaultDenyInput == Tristate::Unknown);
  CHECK_FALSE(out.profiles[0].active);

  FirewallResult none;
  combineFirewallProfiles({}, std::nullopt, none);
  CHECK(none.enabled == Tristate::Unknown);
  CHECK(none.profiles.empty());
}

TEST_CASE("profileName") {
  CHECK(profileName(kFwProfileDomain) == "domain");
  CHECK(profileName(0x8) == "profile 0x8");
}
