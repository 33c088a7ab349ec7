// The remediation list: each action from known facts, several actions per machine, stale
// and unknown facts, thresholds from the policies in force, the unit subtree, and its
// CSV, text and XLSX forms.
#include "collector/remediation/remediation.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "collector/export/csv.h"
#include "tests/collector/export/export_fixture.h"

using namespace posture;
using namespace posture::collector;

namespace {
constexpr std::int64_t kNow = 1'800'000'000;

// A healthy machine: protected, fresh signatures, no pending update, firewall on, IPv6 4.
policy::Facts healthy() {
  policy::Facts f;
  f.set("antivirus.installed", true);
  f.set("antivirus.real_time", true);
  f.set("antivirus.products", std::string("BKAV Pro"));
  f.set("antivirus.signature_age_days", 1.0);
  f.set("patches.pending_security", 0.0);
  f.set("patches.reboot_required", false);
  f.set("firewall.enabled", true);
  f.set("ipv6.level", 4.0);
  return f;
}

std::vector<RemediationAction> actions(const std::vector<RemediationFinding>& fs) {
  std::vector<RemediationAction> out;
  for (const auto& f : fs) out.push_back(f.action);
  return out;
}

std::vector<RemediationFinding> findings(const policy::Facts& f, RemediationThresholds t = {},
                                         bool decoded = true, bool stale = false,
                                         Ipv6Detail ip = {}) {
  return remediationFindings(f, ip, t, decoded, stale, kNow - 3600, kNow);
}

std::shared_ptr<const std::vector<policy::Policy>> shipped(std::vector<std::string> names) {
  std::vector<policy::Policy> out;
  for (const auto& n : names) {
    out.push_back(policy::loadPolicyFile(std::filesystem::path(POSTURE_SOURCE_DIR) / "policies" / n));
  }
  return std::make_shared<const std::vector<policy::Policy>>(std::move(out));
}

const RemediationGroup& group(const RemediationList& l, RemediationAction a) {
  return l.groups.at(static_cast<std::size_t>(a));
}

std::vector<std::string> hosts(const RemediationGroup& g) {
  std::vector<std::string> out;
  for (const auto& i : g.items) out.push_back(i.hostname);
  return out;
}
}  // namespace

TEST_CASE("a healthy machine needs nothing") { CHECK(findings(healthy()).empty()); }

TEST_CASE("each action from the fact that calls for it") {
  SUBCASE("no anti-malware: install it, and no signature line on top") {
    auto f = healthy();
    f.set("antivirus.installed", false);
    f.set("antivirus.real_time", false);
    f.set("antivirus.signature_age_days", policy::FactValue{});
    auto r = findings(f);
    REQUIRE(actions(r) == std::vector{RemediationAction::Antivirus});
    CHECK(r[0].observedEn == "No anti-malware installed");
  }
  SUBCASE("real-time protection off names the product") {
    auto f = healthy();
    f.set("antivirus.real_time", false);
    auto r = findings(f);
    REQUIRE(actions(r) == std::vector{RemediationAction::Antivirus});
    CHECK(r[0].observedVi == "Bảo vệ thời gian thực đang tắt (BKAV Pro)");
  }
  SUBCASE("signatures older than the limit, with the age and the limit") {
    auto f = healthy();
    f.set("antivirus.signature_age_days", 12.4);
    RemediationThresholds t;
    t.signatureMaxDays = 7;
    auto r = findings(f, t);
    REQUIRE(actions(r) == std::vector{RemediationAction::Signatures});
    CHECK(r[0].observedVi == "12 ngày (ngưỡng 7 ngày)");
    CHECK(r[0].observedEn == "12 days (limit 7 days)");
    f.set("antivirus.signature_age_days", 7.0);  // at the limit is fine
    CHECK(findings(f, t).empty());
    f.set("antivirus.signature_age_days", 7.42);  // over it, not shown as "7 days"
    CHECK(findings(f, t).at(0).observedVi == "7,5 ngày (ngưỡng 7 ngày)");
  }
  SUBCASE("pending security updates, and a restart alone") {
    auto f = healthy();
    f.set("patches.pending_security", 3.0);
    f.set("patches.reboot_required", true);
    auto r = findings(f);
    REQUIRE(actions(r) == std::vector{RemediationAction::Updates});
    CHECK(r[0].observedEn == "3 security updates pending; restart required");
    f.set("patches.pending_security", 0.0);
    r = findings(f);
    REQUIRE(r.size() == 1);
    CHECK(r[0].observedVi == "cần khởi động lại");
  }
  SUBCASE("firewall off") {
    auto f = healthy();
    f.set("firewall.enabled", false);
    f.set("firewall.backend", std::string("windows"));
    auto r = findings(f);
    REQUIRE(actions(r) == std::vector{RemediationAction::Firewall});
    CHECK(r[0].observedEn == "Firewall off (windows)");
  }
  SUBCASE("the next IPv6 step names what the level lacks") {
    auto f = healthy();
    RemediationThresholds t;
    t.ipv6Level = 4;
    f.set("ipv6.level", 0.0);
    CHECK(findings(f, t).at(0).stepEn == "Enable IPv6 on the host");
    f.set("ipv6.level", 1.0);
    CHECK(findings(f, t).at(0).stepEn ==
          "Configure a routable IPv6 address (SLAAC, DHCPv6 or static)");
    f.set("ipv6.level", 2.0);
    Ipv6Detail route;
    route.defaultRoute = true;
    route.resolver = false;
    auto r = findings(f, t, true, false, route);
    CHECK(r.at(0).stepEn == "Configure a DNS resolver reachable over IPv6");
    CHECK(r.at(0).observedEn == "Level 2 (level 4 required)");
    f.set("ipv6.level", 3.0);
    Ipv6Detail aaaa;
    aaaa.collectorAaaa = true;
    aaaa.collectorConnect = false;
    CHECK(findings(f, t, true, false, aaaa).at(0).stepEn ==
          "Allow IPv6 connections to the collector (routing, firewall)");
    // Below the default level 2 only.
    f.set("ipv6.level", 2.0);
    CHECK(findings(f).empty());
  }
}

TEST_CASE("one machine under several actions, in the list's order") {
  auto f = healthy();
  f.set("antivirus.real_time", false);
  f.set("antivirus.signature_age_days", 30.0);
  f.set("patches.pending_security", 2.0);
  f.set("firewall.enabled", false);
  f.set("ipv6.level", 1.0);
  CHECK(actions(findings(f)) ==
        std::vector{RemediationAction::Antivirus, RemediationAction::Signatures,
                    RemediationAction::Updates, RemediationAction::Firewall,
                    RemediationAction::Ipv6});
}

TEST_CASE("unknown facts are neither a pass nor an action: the reporting group says which") {
  policy::Facts f;  // every fact unknown (every probe failed)
  auto r = findings(f);
  REQUIRE(actions(r) == std::vector{RemediationAction::Reporting});
  CHECK(r[0].observedEn ==
        "Unknown: anti-malware, security updates, firewall, IPv6 readiness level");
  // An unreadable report.
  r = findings(healthy(), {}, false);
  REQUIRE(actions(r) == std::vector{RemediationAction::Reporting});
  CHECK(r[0].observedEn == "report unreadable");
}

TEST_CASE("a stale machine: restore reporting, and what its last report established") {
  auto f = healthy();
  f.set("firewall.enabled", false);
  auto r = remediationFindings(f, {}, {}, true, true, kNow - 12 * 86400 - 5, kNow);
  REQUIRE(actions(r) == std::vector{RemediationAction::Firewall, RemediationAction::Reporting});
  CHECK(r[1].observedVi == "Không báo cáo 12 ngày");
  CHECK(r[1].observedEn == "No report for 12 days");
}

TEST_CASE("thresholds: the strictest comparison of the policies in force, or the default") {
  auto bs = shipped({"national-baseline.yaml", "binh-son-2022.yaml"});
  std::vector<const policy::Policy*> both = {&(*bs)[0], &(*bs)[1]};
  auto t = remediationThresholds(both);
  CHECK(t.signatureMaxDays == 7);
  CHECK(t.signatureFrom.starts_with("binh-son-2022/"));
  CHECK(t.pendingSecurityMax == 0);
  CHECK(t.updatesFrom == "binh-son-2022/security-updates-applied");
  CHECK(t.ipv6Level == 2);
  CHECK(t.ipv6From == "binh-son-2022/ipv6-routable");
  auto national = remediationThresholds({&(*bs)[0]});
  CHECK(national.signatureMaxDays == 15);
  CHECK(national.signatureFrom == "national-baseline/updated-within-15-days");
  CHECK(national.ipv6From.empty());  // the default
  CHECK(remediationThresholds({}).signatureMaxDays == 15);
}

TEST_CASE("the list of a unit subtree from stored reports, its files, and an unknown unit") {
  test::ExportFixture fx;
  // a1, a2 in BS-TC (a1 unprotected with 3 pending updates), a3 in BS stale for 10 days,
  // a4 in DC (outside BS), a5 in BS with an unreadable report.
  fx.report("a1", "BS-TC", "pc-01", 1, test::noonDaysAgo(1), false);
  fx.report("a2", "BS-TC", "pc-02", 1, test::noonDaysAgo(1), true);
  fx.report("a3", "BS", "pc-03", 1, test::noonDaysAgo(10), false);
  fx.report("a4", "DC", "pc-04", 1, test::noonDaysAgo(1), false);
  fx.store("a5", "BS", "pc-05", 1, test::noonDaysAgo(1), test::noonDaysAgo(1), "not protobuf");
  auto policies = shipped({"national-baseline.yaml", "binh-son-2022.yaml"});
  // Pinned an hour after today's noon: the reports are a whole number of days old then.
  std::int64_t now = test::noonDaysAgo(0) + 3600;
  auto l = buildRemediation(*fx.db, policies, "BS", 7 * 86400, true, fx.identity.caFingerprint, now);
  CHECK(l.units == std::vector<std::string>{"BS", "BS-TC"});
  CHECK(l.endpoints == 4);
  CHECK(l.unitNameEn == "Binh Son district");
  REQUIRE(l.groups.size() == kRemediationActions.size());
  // Unprotected: real-time off (the fixture's product says so), updates pending.
  CHECK(hosts(group(l, RemediationAction::Antivirus)) == std::vector<std::string>{"pc-03", "pc-01"});
  CHECK(hosts(group(l, RemediationAction::Updates)) == std::vector<std::string>{"pc-03", "pc-01"});
  // pc-03's signatures are 10 days old by now: over Bình Sơn's 7.
  CHECK(hosts(group(l, RemediationAction::Signatures)) == std::vector<std::string>{"pc-03"});
  CHECK(group(l, RemediationAction::Signatures).thresholdEn ==
        "7 days (binh-son-2022/endpoint-protected)");
  // The fixture's reports carry no IPv6 section: unknown, so under reporting with the stale
  // one and the unreadable one.
  const auto& rep = group(l, RemediationAction::Reporting);
  CHECK(hosts(rep) == std::vector<std::string>{"pc-03", "pc-05", "pc-01", "pc-02"});
  CHECK(rep.items[0].stale);
  CHECK(rep.items[0].observedVi == "Không báo cáo 10 ngày");
  CHECK(rep.items[1].observedEn == "report unreadable");
  CHECK(hosts(group(l, RemediationAction::Firewall)).empty());
  CHECK(l.machinesToFix == 4);

  SUBCASE("CSV: BOM, bilingual header, one row per action and machine, in Vietnamese") {
    std::string csv = renderRemediationCsv(l);
    CHECK(csv.starts_with("\xEF\xBB\xBF"));
    auto rows = parseCsv(csv);
    REQUIRE(rows.size() == 1 + 2 + 2 + 1 + 4);
    CHECK(rows[0][0] == "Việc cần làm / Action");
    CHECK(rows[1][0] == "Cài đặt hoặc bật phần mềm phòng, chống mã độc");
    CHECK(rows[1][1] == "antivirus");
    CHECK(rows[1][4] == "pc-03");
    CHECK(rows[1][10] == "có");  // stale
  }
  SUBCASE("text in English names every group, its limit and its machines") {
    auto en = buildRemediation(*fx.db, policies, "BS-TC", 7 * 86400, false,
                               fx.identity.caFingerprint, now);
    std::string text = renderRemediationText(en);
    CHECK(text.find("== Install security updates and restart (1) ==") != std::string::npos);
    CHECK(text.find("pc-01  [BS-TC]  3 security updates pending") != std::string::npos);
    CHECK(text.find("== Turn on the firewall (0) ==") != std::string::npos);
    CHECK(text.find("pc-03") == std::string::npos);  // BS is above BS-TC
  }
  SUBCASE("XLSX: a zip workbook") {
    std::string x = renderRemediationXlsx(l);
    CHECK(x.starts_with("PK"));
    CHECK(x.size() > 2000);
  }
  SUBCASE("an unknown unit is refused, naming it") {
    CHECK_THROWS_WITH_AS(buildRemediation(*fx.db, policies, "NOPE", 7 * 86400, true, "", now),
                         doctest::Contains("NOPE"), ExportError);
  }
}
