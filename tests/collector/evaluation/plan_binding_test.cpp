// Plans bound to their units (`applies_to`): a district's plan counts, alerts and shows only
// in its own subtree; a plan whose units are absent is "not applicable here", once.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "collector/evaluation/endpoint.h"
#include "collector/evaluation/model.h"
#include "collector/export/export.h"
#include "collector/org/org.h"
#include "collector/policy/policy.h"
#include "collector/status/status.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;

namespace {
const std::filesystem::path kSource(POSTURE_SOURCE_DIR);

// Real-time protection off and the firewall off: every local plan's checks fail.
StoredEndpoint failing(const std::string& id, const std::string& unit, std::uint64_t seq,
                       std::int64_t now) {
  posture::v1::Report r;
  r.set_sequence(seq);
  r.mutable_collected_at()->set_seconds(now);
  r.mutable_identity()->set_hostname(id);
  r.mutable_identity()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  auto* av = r.mutable_antivirus();
  av->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  auto* p = av->add_products();
  p->set_name("BKAV Pro Internet Security");
  p->set_real_time_protection(posture::v1::TRISTATE_OFF);
  p->mutable_signature_time()->set_seconds(now - 30 * 86400);
  auto* fw = r.mutable_firewall();
  fw->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  fw->set_enabled(posture::v1::TRISTATE_OFF);
  return {id, unit, id, seq, now, now, r.SerializeAsString()};
}

std::string policyOf(const std::string& rule) { return rule.substr(0, rule.find('/')); }

std::size_t policyIndex(const std::vector<policy::Policy>& v, const std::string& id) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].id == id) return i;
  FAIL("no policy " << id);
  return 0;
}

std::size_t countOf(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A local plan bound to district D1, with one check and one per-unit target.
const char* kBound = R"(policy:
  id: d1-plan
  version: 1
  title: {vi: "Kế hoạch D1", en: "D1 plan"}
  applies_to: [D1]
checks:
  - id: firewall
    title: {vi: "Tường lửa", en: "Firewall"}
    severity: high
    predicate: {fact: firewall.enabled, op: eq, value: true}
    remediation: {vi: "Bật", en: "Turn on"}
targets:
  - id: firewall-share
    title: {vi: "Tỷ lệ tường lửa", en: "Firewall share"}
    measure: {share_of_endpoints: {fact: firewall.enabled, op: eq, value: true}}
    scope: [unit, overall]
    milestones: [{by: 2020-12-31, at_least: 100}]
    severity: high
    source: {file: 000_0c422011ef2b1f6d.txt, line: 218, quote: "x"}
)";

ModelOptions twoDistricts() {
  ModelOptions o;
  o.parents = {{"P", ""}, {"D1", "P"}, {"D1-A", "D1"}, {"D2", "P"}};
  return o;
}
}  // namespace

TEST_CASE("applies_to: a district's plan counts and alerts in its subtree only") {
  auto policies = std::make_shared<std::vector<policy::Policy>>();
  policies->push_back(policy::loadPolicyText(kBound, "d1.yaml"));
  FleetModel m(policies, twoDistricts());
  // 2026-12-06 03:00 UTC: a day of 12 or less, and 10:00 in Vietnam.
  std::int64_t now = *util::parseRfc3339("2026-12-06T03:00:00Z");
  auto alerts = m.rebuild({failing("a", "D1-A", 1, now), failing("b", "D2", 1, now),
                           failing("c", "ELSEWHERE", 1, now)},
                          now);
  std::set<std::string> subjects;
  for (const auto& w : alerts) subjects.insert(w.rule + " " + w.subject);
  // The target alert once, at the unit the plan applies to (issue 17): not at D1-A, not
  // for the fleet.
  CHECK(subjects == std::set<std::string>{"d1-plan/firewall endpoint:a",
                                          "d1-plan/firewall-share unit:D1"});
  CHECK(m.applies(0, "D1"));
  CHECK(m.applies(0, "D1-A"));
  CHECK_FALSE(m.applies(0, "D2"));
  CHECK_FALSE(m.applies(0, "P"));  // an ancestor: the plan is not the province's
  CHECK_FALSE(m.applies(0, "ELSEWHERE"));
  CHECK(m.applies(0, ""));
  auto t = std::size_t{0};
  CHECK(m.count(t, "").total == 1);  // only a, in D1's subtree
  CHECK(m.count(t, "D2").total == 0);

  // The same endpoint moves to D2: its alert clears, the target no longer counts it.
  auto delta = m.update(failing("a", "D2", 2, now + 60), now + 60);
  CHECK(std::count(delta.clear.begin(), delta.clear.end(),
                   std::pair<std::string, std::string>{"d1-plan/firewall", "endpoint:a"}) == 1);
  for (const auto& w : delta.raise) CHECK(w.rule.rfind("d1-plan/", 0) != 0);
  CHECK(m.count(t, "").total == 0);

  // The status shows the plan's rows at D1 and D1-A (and the whole), never at P or D2.
  auto status = renderModelStatus(m, now + 60, {}, false);
  CHECK(status.find("Applies to: D1") != std::string::npos);
  CHECK(status.find("    D1 ") != std::string::npos);
  CHECK(status.find("    D2 ") == std::string::npos);
  CHECK(status.find("    P ") == std::string::npos);
}

TEST_CASE("applies_to: a plan whose units are absent is not applicable here, said once") {
  auto policies = std::make_shared<std::vector<policy::Policy>>();
  policies->push_back(policy::loadPolicyText(kBound, "d1.yaml"));
  ModelOptions o;
  o.parents = {{"P", ""}, {"D2", "P"}};
  FleetModel m(policies, o);
  std::int64_t now = *util::parseRfc3339("2026-12-31T16:59:59Z");  // 23:59:59 in Vietnam
  auto alerts = m.rebuild({failing("b", "D2", 1, now)}, now);
  CHECK(alerts.empty());
  CHECK_FALSE(m.applies(0, ""));
  for (bool vi : {true, false}) {
    auto status = renderModelStatus(m, now, {}, vi);
    CHECK(countOf(status, vi ? "Không áp dụng ở đây" : "Not applicable here") == 1);
    CHECK(status.find("firewall-share") == std::string::npos);  // no target rows
  }
  // Once a report arrives from D1, the plan applies again.
  auto delta = m.update(failing("x", "D1", 1, now), now);
  CHECK(m.applies(0, ""));
  CHECK_FALSE(delta.raise.empty());
}

TEST_CASE("the shipped plans on the sample Bình Sơn tree: no other district's plan is seen") {
  test::TempDir dir("posture-binding-");
  auto db = openDatabase(dir.path());
  org::importOrgFile(*db, kSource / "examples/org/binh-son.yaml", "test", util::unixNow());
  auto orgModel = std::make_shared<const org::OrgModel>(org::loadOrg(*db));
  auto policies = std::make_shared<const std::vector<policy::Policy>>(
      policy::loadPolicyDirectory(kSource / "policies"));
  ModelOptions o;
  o.org = orgModel;
  FleetModel m(policies, o);
  std::int64_t now = *util::parseRfc3339("2026-12-01T17:00:00Z");  // midnight in Vietnam
  std::vector<StoredEndpoint> fleet;
  for (const char* unit : {"BS-VP", "BS-TC", "BS-BT", "BS-BC"})
    for (int i = 0; i < 3; ++i) fleet.push_back(failing(std::string(unit) + "-" + std::to_string(i), unit, 1, now));
  auto alerts = m.rebuild(fleet, now);
  std::set<std::string> raisedBy;
  for (const auto& w : alerts) raisedBy.insert(policyOf(w.rule));
  CHECK(raisedBy == std::set<std::string>{"national-baseline", "binh-son-2022"});

  const auto& v = *policies;
  for (const char* absent : {"duc-co-2023", "thanh-ha-2022", "an-khuong-2024"}) {
    CAPTURE(absent);
    CHECK_FALSE(m.applies(policyIndex(v, absent), ""));
  }
  CHECK(m.applies(policyIndex(v, "binh-son-2022"), "BS-BT"));
  CHECK_FALSE(m.applies(policyIndex(v, "binh-son-2022"), "QNG"));
  CHECK(m.applies(policyIndex(v, "national-baseline"), "QNG"));
  auto status = renderModelStatus(m, now, {}, true);
  CHECK(countOf(status, "Không áp dụng ở đây") == 3);

  // The endpoint page evaluates only the plans of the endpoint's unit.
  std::vector<std::string> chain = {"BS-VP", "BS", "QNG"};
  auto page = evaluateReport(fleet[0].report, v, now, &chain);
  for (std::size_t p = 0; p < v.size(); ++p) {
    CAPTURE(v[p].id);
    bool here = v[p].id == "national-baseline" || v[p].id == "binh-son-2022";
    CHECK(page.checks[p].empty() == !here);
  }

  // The auditors' export: check cells of another district's plan read "not applicable",
  // and its targets have no rows.
  ExportSource src{fleet, policies, orgModel, "fp"};
  ExportFilters filters;
  filters.vietnamese = false;
  auto e = buildComplianceExport(src, filters, now);
  REQUIRE(!e.endpoints.empty());
  for (std::size_t c = 0; c < e.checks.size(); ++c) {
    CAPTURE(e.checks[c].policyId);
    bool here = e.checks[c].policyId == "national-baseline" || e.checks[c].policyId == "binh-son-2022";
    CHECK(e.endpoints[0].checks[c].has_value() == here);
  }
  auto cells = endpointCells(e, e.endpoints[0]);
  CHECK(std::count(cells.begin(), cells.end(), std::string("Not applicable")) > 0);
  for (const auto& t : e.targets) {
    CAPTURE(t.policyId);
    CHECK((t.policyId == "national-baseline" || t.policyId == "binh-son-2022"));
  }
}

TEST_CASE("a plan without applies_to raises its target alert once, for the fleet, naming at most 10 units") {
  // The same plan, unbound: it applies everywhere, so its target alert is the fleet's.
  std::string text = kBound;
  text.erase(text.find("  applies_to: [D1]\n"), std::string("  applies_to: [D1]\n").size());
  auto policies = std::make_shared<std::vector<policy::Policy>>();
  policies->push_back(policy::loadPolicyText(text, "fleet.yaml"));
  ModelOptions o;
  o.parents = {{"P", ""}};
  for (int i = 0; i < 12; ++i) o.parents["U" + std::to_string(10 + i)] = "P";
  FleetModel m(policies, o);
  std::int64_t now = *util::parseRfc3339("2026-12-06T03:00:00Z");
  std::vector<StoredEndpoint> fleet;
  for (int i = 0; i < 12; ++i) fleet.push_back(failing("e" + std::to_string(i), "U" + std::to_string(10 + i), 1, now));
  auto alerts = m.rebuild(fleet, now);
  std::vector<WantedAlert> targets;
  for (const auto& w : alerts) {
    if (w.rule == "d1-plan/firewall-share") targets.push_back(w);
  }
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].subject == "fleet");
  CHECK(targets[0].unitCode == "");
  CHECK(targets[0].detail ==
        "fleet: 0/12 = 0.0% < 100.0% required since 2020-12-31; units missing: P (0/12), U10 (0/1), "
        "U11 (0/1), U12 (0/1), U13 (0/1), U14 (0/1), U15 (0/1), U16 (0/1), U17 (0/1), U18 (0/1) and 3 more");

  // Incremental: fixing one unit's machine refreshes the one alert; fixing all clears it.
  auto fixed = [&](const std::string& id, const std::string& unit, std::uint64_t seq) {
    auto e = failing(id, unit, seq, now);
    posture::v1::Report r;
    r.ParseFromString(e.report);
    r.mutable_firewall()->set_enabled(posture::v1::TRISTATE_ON);
    e.report = r.SerializeAsString();
    return e;
  };
  auto delta = m.update(fixed("e0", "U10", 2), now + 60);
  std::size_t raised = 0;
  for (const auto& w : delta.raise) {
    if (w.rule != "d1-plan/firewall-share") continue;
    ++raised;
    CHECK(w.subject == "fleet");
    CHECK(w.detail.find("U10 (") == std::string::npos);
    CHECK(w.detail.find("and 2 more") != std::string::npos);
  }
  CHECK(raised == 1);
  std::size_t cleared = 0;
  for (int i = 1; i < 12; ++i) {
    auto d = m.update(fixed("e" + std::to_string(i), "U" + std::to_string(10 + i), 2), now + 60);
    for (const auto& c : d.clear) cleared += c.first == "d1-plan/firewall-share";
    for (const auto& w : d.raise) CHECK(w.subject != "unit:U" + std::to_string(10 + i));
  }
  CHECK(cleared == 1);
}
