#include "agent/probes/parsers/ipv6_readiness.h"

#include <doctest/doctest.h>

#include <string>

using namespace posture::agent;
using posture::agent::parsers::computeReadiness;

namespace {

Ipv6Address addr(const char* text, AddressScope scope, bool tentative = false) {
  Ipv6Address a;
  a.address = text;
  a.prefixLength = 64;
  a.scope = scope;
  a.tentative = tentative;
  return a;
}

// A host that reaches every level; each case below removes one condition.
Ipv6Result ready() {
  Ipv6Result r;
  r.enabled = Tristate::On;
  r.interfaces = {{"lo", {addr("::1", AddressScope::Loopback)}},
                  {"eth0",
                   {addr("fe80::1", AddressScope::LinkLocal), addr("2001:db8::10", AddressScope::Global)}}};
  r.defaultRoute = Tristate::On;
  r.defaultGateway = "fe80::1";
  r.resolvers = {"2001:db8::53"};
  r.collectorAaaa = {ProbeStatus::Ok, "collector.example.vn", {"2001:db8::100"}, ""};
  r.collectorConnect = {ProbeStatus::Ok, "[2001:db8::100]:8443", {}, ""};
  return r;
}

bool hasReason(const Ipv6Readiness& r, const std::string& text) {
  for (const auto& s : r.reasons) {
    if (s.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("IPv6 readiness levels 0 to 4 with the reason for the next level") {
  struct Row {
    const char* name;
    void (*change)(Ipv6Result&);
    unsigned level;
    AddressScope best;
    const char* reason;  // nullptr: no reason expected
  };
  const Row rows[] = {
      {"disabled", [](Ipv6Result& r) { r.enabled = Tristate::Off; }, 0, AddressScope::Unspecified,
       "IPv6 is disabled"},
      {"unknown state", [](Ipv6Result& r) { r.enabled = Tristate::Unknown; }, 0, AddressScope::Unspecified,
       "could not be read"},
      {"link-local only", [](Ipv6Result& r) { r.interfaces[1].addresses.pop_back(); }, 1,
       AddressScope::Unspecified, "no routable IPv6 address"},
      {"global address still tentative",
       [](Ipv6Result& r) { r.interfaces[1].addresses.back().tentative = true; }, 1, AddressScope::Unspecified,
       "no routable IPv6 address"},
      {"no default route", [](Ipv6Result& r) { r.defaultRoute = Tristate::Off; }, 2, AddressScope::Global,
       "no IPv6 default route"},
      {"no resolver", [](Ipv6Result& r) { r.resolvers.clear(); }, 2, AddressScope::Global,
       "no IPv6 DNS resolver"},
      {"ULA with no route",
       [](Ipv6Result& r) {
         r.interfaces[1].addresses.back() = addr("fd00::2", AddressScope::UniqueLocal);
         r.defaultRoute = Tristate::Off;
       },
       2, AddressScope::UniqueLocal, "no IPv6 default route"},
      {"no collector configured",
       [](Ipv6Result& r) {
         r.collectorAaaa = {ProbeStatus::Unavailable, "", {}, "no collector configured"};
         r.collectorConnect = {ProbeStatus::Unavailable, "", {}, "no collector configured"};
       },
       3, AddressScope::Global, "no collector configured"},
      {"no AAAA record",
       [](Ipv6Result& r) { r.collectorAaaa = {ProbeStatus::Error, "c.example.vn", {}, "No address associated with hostname"}; },
       3, AddressScope::Global, "AAAA lookup failed: No address associated"},
      {"connection refused",
       [](Ipv6Result& r) { r.collectorConnect = {ProbeStatus::Error, "", {}, "Connection refused"}; }, 3,
       AddressScope::Global, "Connection refused"},
      {"fully ready", [](Ipv6Result&) {}, 4, AddressScope::Global, nullptr},
      {"global preferred over ULA",
       [](Ipv6Result& r) { r.interfaces[1].addresses.push_back(addr("fd00::2", AddressScope::UniqueLocal)); }, 4,
       AddressScope::Global, nullptr},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    Ipv6Result r = ready();
    row.change(r);
    auto got = computeReadiness(r);
    CHECK(got.level == row.level);
    CHECK(got.bestScope == row.best);
    if (row.reason) {
      CHECK(hasReason(got, row.reason));
    } else {
      CHECK(got.reasons.empty());
    }
  }
}

TEST_CASE("IPv6 readiness lists every missing condition of the next level") {
  Ipv6Result r = ready();
  r.defaultRoute = Tristate::Off;
  r.resolvers.clear();
  auto got = computeReadiness(r);
  CHECK(got.level == 2);
  CHECK(got.reasons.size() == 2);
  CHECK(hasReason(got, "default route"));
  CHECK(hasReason(got, "resolver"));
}

TEST_CASE("An address whose duplicate address detection failed is not routable") {
  Ipv6Result r = ready();
  r.interfaces[1].addresses[1].dadFailed = true;
  auto out = computeReadiness(r);
  CHECK(out.level == 1);
  CHECK(hasReason(out, "no routable IPv6 address"));
}

TEST_CASE("A deprecated global address still counts, and a ULA-only host says so") {
  Ipv6Result r = ready();
  r.interfaces[1].addresses[1].deprecated = true;
  CHECK(computeReadiness(r).level == 4);
  r.interfaces[1].addresses[1] = addr("fd00:db8::10", AddressScope::UniqueLocal);
  auto out = computeReadiness(r);
  CHECK(out.level == 4);
  CHECK(out.bestScope == AddressScope::UniqueLocal);
}
