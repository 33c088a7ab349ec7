#include "tests/bench/fleet_generator.h"

#include <doctest/doctest.h>

#include <map>
#include <set>

namespace {

using posture::bench::FleetGenerator;
namespace pb = posture::v1;

constexpr std::int64_t kNow = 1717000000;  // a fixed clock keeps reports comparable
const std::vector<std::string> kUnits{"BS-UBND", "BS-TCKH", "BS-TNMT", "BS-XA-BINHCHAU"};

std::string agentId(std::size_t i) { return "agent-" + std::to_string(i); }

bool allProbesSet(const pb::Report& r) {
  for (auto status : {r.identity().probe().status(), r.antivirus().probe().status(),
                      r.patches().probe().status(), r.ipv6().probe().status(),
                      r.firewall().probe().status()}) {
    if (status == pb::PROBE_STATUS_UNSPECIFIED) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("the same seed gives the same fleet, another seed another one") {
  FleetGenerator a(42, kUnits), b(42, kUnits), c(43, kUnits);
  int differing = 0;
  for (std::size_t i = 0; i < 200; ++i) {
    auto pa = a.profile(i);
    auto ra = a.report(pa, agentId(i), 3, kNow).SerializeAsString();
    auto rb = b.report(b.profile(i), agentId(i), 3, kNow).SerializeAsString();
    CHECK(ra == rb);
    if (c.report(c.profile(i), agentId(i), 3, kNow).SerializeAsString() != ra) ++differing;
  }
  CHECK(differing > 150);
}

TEST_CASE("hostnames follow the unit and number") {
  CHECK(posture::bench::hostnameFor("BS-UBND", 23, false) == "BS-UBND-PC023");
  CHECK(posture::bench::hostnameFor("bs.tckh", 2, true) == "BS-TCKH-SV02");
  FleetGenerator g(7, kUnits);
  CHECK(g.profile(0).unitCode == "BS-UBND");
  CHECK(g.profile(5).unitCode == "BS-TCKH");
  std::set<std::string> names;
  for (std::size_t i = 0; i < 1000; ++i) names.insert(g.profile(i).hostname);
  CHECK(names.size() == 1000);
}

TEST_CASE("a seeded fleet of 1000 has the intended shares") {
  FleetGenerator g(2024, kUnits);
  std::map<std::string, int> perUnit;
  int windows = 0, linux = 0, noProduct = 0, realTimeOff = 0, stale = 0, pendingSecurity = 0,
      reboot = 0, firewallOff = 0, notOk = 0;
  int level[5] = {};
  std::set<std::string> products;
  for (std::size_t i = 0; i < 1000; ++i) {
    auto p = g.profile(i);
    auto r = g.report(p, agentId(i), 1, kNow);
    ++perUnit[r.identity().unit_code()];
    (r.identity().os_name().starts_with("Windows") ? windows : linux)++;
    const auto& av = r.antivirus();
    if (av.probe().status() == pb::PROBE_STATUS_OK && av.products_size() == 0) ++noProduct;
    if (av.products_size() > 0) {
      bool anyOn = false;
      std::int64_t newest = 0;
      for (const auto& prod : av.products()) {
        products.insert(prod.name());
        anyOn = anyOn || prod.real_time_protection() == pb::TRISTATE_ON;
        newest = std::max<std::int64_t>(newest, prod.signature_time().seconds());
      }
      if (!anyOn) ++realTimeOff;
      if (kNow - newest > 7 * 86400) ++stale;
    }
    if (r.patches().pending_security_updates() > 0) ++pendingSecurity;
    if (r.patches().reboot_required() == pb::TRISTATE_ON) ++reboot;
    if (r.firewall().enabled() == pb::TRISTATE_OFF) ++firewallOff;
    if (r.ipv6().probe().status() == pb::PROBE_STATUS_OK) {
      REQUIRE(r.ipv6().readiness_level() <= 4);
      ++level[r.ipv6().readiness_level()];
      if (r.ipv6().readiness_level() < 4) CHECK(r.ipv6().readiness_reasons_size() > 0);
      if (r.ipv6().readiness_level() >= 2) {
        CHECK((r.ipv6().best_scope() == pb::ADDRESS_SCOPE_GLOBAL ||
               r.ipv6().best_scope() == pb::ADDRESS_SCOPE_UNIQUE_LOCAL));
      }
    }
    for (auto s : {av.probe().status(), r.patches().probe().status(), r.firewall().probe().status(),
                   r.ipv6().probe().status()}) {
      if (s != pb::PROBE_STATUS_OK) ++notOk;
    }
  }
  CHECK(perUnit.size() == kUnits.size());
  for (const auto& [unit, n] : perUnit) CHECK(n == 250);
  CHECK(windows > 700);
  CHECK(linux > 100);
  CHECK(noProduct >= 50);   // about 8%
  CHECK(noProduct <= 120);
  CHECK(realTimeOff >= 40);  // about 7%
  CHECK(realTimeOff <= 110);
  CHECK(stale >= 60);        // about 10%
  CHECK(stale <= 140);
  CHECK(pendingSecurity >= 200);
  CHECK(reboot > 80);
  CHECK(firewallOff > 50);
  CHECK(notOk > 10);  // unknowns exist, so policies see them
  for (int l = 0; l < 5; ++l) CHECK(level[l] > 80);
  CHECK(products.count("BKAV Pro Internet Security") == 1);
  CHECK(products.count("Kaspersky Endpoint Security for Windows") == 1);
  CHECK(products.count("Microsoft Defender Antivirus") == 1);
  CHECK(products.count("ClamAV") == 1);
}

TEST_CASE("every report parses back and has every probe status set") {
  FleetGenerator g(9, kUnits);
  for (std::size_t i = 0; i < 500; ++i) {
    auto p = g.profile(i);
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
      auto r = g.report(p, agentId(i), seq, kNow + static_cast<std::int64_t>(seq) * 300);
      std::string wire = r.SerializeAsString();
      pb::Report back;
      REQUIRE(back.ParseFromString(wire));
      CHECK(back.sequence() == seq);
      CHECK(back.identity().agent_id() == agentId(i));
      CHECK(back.identity().hostname() == p.hostname);
      CHECK(back.collected_at().seconds() == kNow + static_cast<std::int64_t>(seq) * 300);
      CHECK(allProbesSet(back));
      for (const auto* probe : {&back.antivirus().probe(), &back.patches().probe(),
                                &back.ipv6().probe(), &back.firewall().probe()}) {
        if (probe->status() != pb::PROBE_STATUS_OK) CHECK(!probe->message().empty());
      }
    }
  }
}

TEST_CASE("later reports of an endpoint drift but keep their identity") {
  FleetGenerator g(11, kUnits);
  int changed = 0;
  for (std::size_t i = 0; i < 100; ++i) {
    auto p = g.profile(i);
    auto first = g.report(p, agentId(i), 1, kNow);
    auto later = g.report(p, agentId(i), 2, kNow + 600);
    CHECK(first.identity().SerializeAsString() == later.identity().SerializeAsString());
    if (first.antivirus().SerializeAsString() != later.antivirus().SerializeAsString()) ++changed;
  }
  CHECK(changed > 50);
}
