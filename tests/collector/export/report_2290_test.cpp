// The national anti-malware report (Công văn 2290): the counting rules one machine at a time
// (15 Vietnam calendar days, around midnight UTC+7), the figures of a fleet per unit and in
// total (the total is the sum of the units' own machines; each unit counts its subtree), the
// JSON with machine rows only when asked, --as-of, and the signed manifest.
#include "collector/export/report_2290.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "collector/export/manifest.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "posture/v1/federation.pb.h"
#include "tests/collector/export/export_fixture.h"

using namespace posture;
using namespace posture::collector;
namespace v1 = posture::v1;

namespace {
constexpr std::int64_t kDay = util::kSecondsPerDay;

struct Spec {
  std::string os = "Windows 10 Pro", osVersion = "22H2";
  v1::Tristate realTime = v1::TRISTATE_ON;
  v1::Tristate firewall = v1::TRISTATE_ON;
  std::optional<std::int64_t> signature;  // the newest signature time; nullopt: none given
  bool antivirus = true;                  // false: the probe finds no product
  bool antivirusProbeOk = true;
};

// A report as an agent sends it. A second, older product is there so that the newest
// signature is the one that counts.
v1::Report reportOf(const Spec& s, std::int64_t collectedAt) {
  v1::Report r;
  r.mutable_identity()->set_os_name(s.os);
  r.mutable_identity()->set_os_version(s.osVersion);
  r.mutable_identity()->mutable_probe()->set_status(v1::PROBE_STATUS_OK);
  r.mutable_collected_at()->set_seconds(collectedAt);
  auto* av = r.mutable_antivirus();
  av->mutable_probe()->set_status(s.antivirusProbeOk ? v1::PROBE_STATUS_OK
                                                     : v1::PROBE_STATUS_ERROR);
  if (s.antivirus) {
    auto* p = av->add_products();
    p->set_name("BKAV Pro");
    p->set_real_time_protection(s.realTime);
    if (s.signature) p->mutable_signature_time()->set_seconds(*s.signature);
    auto* old = av->add_products();
    old->set_name("Windows Defender");
    old->set_real_time_protection(v1::TRISTATE_OFF);
    if (s.signature) old->mutable_signature_time()->set_seconds(*s.signature - 30 * kDay);
  }
  auto* fw = r.mutable_firewall();
  fw->mutable_probe()->set_status(v1::PROBE_STATUS_OK);
  fw->set_enabled(s.firewall);
  return r;
}

// One machine through the pure rule, its report received an hour before `now`.
Machine2290 machineAt(const Spec& s, std::int64_t now, std::int64_t receivedAt = 0) {
  if (receivedAt == 0) receivedAt = now - 3600;
  auto report = reportOf(s, receivedAt);
  StoredEndpoint e{"a1", "BS", "pc-01", 1, receivedAt, receivedAt, report.SerializeAsString()};
  return machine2290(e, &report, policy::factsFromReport(report, now), now,
                     kDefaultStaleAfterSeconds);
}

void store(test::ExportFixture& fx, const std::string& agent, const std::string& unit,
           std::uint64_t sequence, std::int64_t receivedAt, const Spec& s) {
  fx.store(agent, unit, "pc-" + agent, sequence, receivedAt, receivedAt,
           reportOf(s, receivedAt).SerializeAsString());
}

// The fleet of the figures test, seen at kPinnedNow (2026-12-06 12:36:05 UTC+7):
//   QNG    q1  Windows 10 Pro, protected, firewall on, signatures 1 day old
//   BS     b1  Windows 11 Pro, real-time off, firewall on, signatures of 2026-11-20 (16 days)
//   BS-TC  t1  Windows 10 Pro, protected, firewall off, signatures of 2026-11-21 (15 days)
//          t2  Ubuntu, no anti-malware, firewall unknown
//          t3  an unreadable report
//   DC     d1  Windows 10 Pro, protected, firewall on, last report 10 days ago (stale)
//          d2  Windows 10 Pro, anti-malware probe failed, last report 16 days ago
//   LAB    x1  Windows 10 Pro, protected, firewall off (a unit seen only in reports)
void fleet(test::ExportFixture& fx) {
  const std::int64_t now = test::kPinnedNow;
  const std::int64_t recent = now - 3600;
  store(fx, "q1", "QNG", 1, recent, {.signature = now - kDay});
  store(fx, "b1", "BS", 1, recent,
        {.os = "Windows 11 Pro",
         .realTime = v1::TRISTATE_OFF,
         .signature = test::vietnamTime("2026-11-20", 8, 0, 0)});
  store(fx, "t1", "BS-TC", 1, recent,
        {.firewall = v1::TRISTATE_OFF, .signature = test::vietnamTime("2026-11-21", 8, 0, 0)});
  store(
      fx, "t2", "BS-TC", 1, recent,
      {.os = "Ubuntu", .osVersion = "22.04", .firewall = v1::TRISTATE_UNKNOWN, .antivirus = false});
  fx.store("t3", "BS-TC", "pc-t3", 1, recent, recent, "not a report");
  store(fx, "d1", "DC", 1, now - 10 * kDay, {.signature = now - 10 * kDay});
  store(fx, "d2", "DC", 1, now - 16 * kDay, {.antivirusProbeOk = false});
  store(fx, "x1", "LAB", 1, recent, {.firewall = v1::TRISTATE_OFF, .signature = now - kDay});
}

const Unit2290& unitOf(const Report2290& r, const std::string& code) {
  for (const auto& u : r.units) {
    if (u.code == code) return u;
  }
  FAIL("no unit " << code);
  return r.units.front();
}

const Machine2290& machineOf(const Report2290& r, const std::string& agent) {
  for (const auto& m : r.machines) {
    if (m.agentId == agent) return m;
  }
  FAIL("no machine " << agent);
  return r.machines.front();
}

std::size_t reason(NotUpdated why) { return static_cast<std::size_t>(why) - 1; }
}  // namespace

TEST_CASE("signatures 16 Vietnam calendar days old are not updated, 15 are, even around midnight") {
  // 2026-12-03 (a day of 12 or less) at 00:30 UTC+7 is still 2 December in UTC, and at
  // 23:50 it is 3 December in both; both days count the same in Vietnam time.
  for (std::int64_t now :
       {test::vietnamTime("2026-12-03", 0, 30, 0), test::vietnamTime("2026-12-03", 23, 50, 0)}) {
    CAPTURE(util::formatIsoVietnam(now));
    // 2026-11-17, late: 16 days. Counted in UTC days it would be 15 at 00:30; counted in
    // whole 24 hours it would be 15 at 23:50.
    auto old = machineAt({.signature = test::vietnamTime("2026-11-17", 23, 55, 0)}, now);
    CHECK(old.daysSinceUpdate == 16);
    CHECK(old.notUpdated == NotUpdated::SignaturesTooOld);
    // 2026-11-18, early: 15 days. In whole 24 hours it is more than 15 days at 00:30.
    auto fresh = machineAt({.signature = test::vietnamTime("2026-11-18", 0, 5, 0)}, now);
    CHECK(fresh.daysSinceUpdate == 15);
    CHECK(fresh.notUpdated == NotUpdated::No);
    CHECK(fresh.lastUpdate == test::vietnamTime("2026-11-18", 0, 5, 0));
  }
}

TEST_CASE("no anti-malware, an unknown signature time and a report older than 15 days count") {
  const std::int64_t now = test::kDayTwelveOrLess;
  CHECK(machineAt({.antivirus = false}, now).notUpdated == NotUpdated::NoAntiMalware);
  CHECK(machineAt({.signature = std::nullopt}, now).notUpdated == NotUpdated::SignatureAgeUnknown);
  CHECK(machineAt({.signature = now, .antivirusProbeOk = false}, now).notUpdated ==
        NotUpdated::SignatureAgeUnknown);
  // The last report: 16 Vietnam days before, even with signatures of that day (which are 16
  // days old too), the report's age is the reason given; 15 days is still in time.
  std::int64_t day16 = now - 16 * kDay, day15 = now - 15 * kDay;
  auto gone = machineAt({.signature = day16}, now, day16);
  CHECK(gone.notUpdated == NotUpdated::ReportTooOld);
  CHECK(gone.stale);
  auto late = machineAt({.signature = day15}, now, day15);
  CHECK(late.notUpdated == NotUpdated::No);
  CHECK(late.stale);  // older than the 7 days of --stale-after: counted as off, not as old
  // Unreadable: every fact unknown.
  StoredEndpoint e{"a9", "BS", "pc-09", 1, now - 60, now - 60, "garbage"};
  auto unreadable = machine2290(e, nullptr, policy::Facts{}, now, kDefaultStaleAfterSeconds);
  CHECK(unreadable.notUpdated == NotUpdated::SignatureAgeUnknown);
  CHECK_FALSE(unreadable.autoProtect.has_value());
  CHECK(unreadable.osName.empty());
}

TEST_CASE("each unit counts its subtree; the total is the sum of the units' own machines") {
  test::ExportFixture fx;
  fleet(fx);
  auto r = buildReport2290(*fx.db, {}, false, fx.identity.caFingerprint, test::kPinnedNow);
  CHECK(r.evaluatedAt == test::kPinnedNow);
  std::vector<std::string> codes;
  for (const auto& u : r.units) codes.push_back(u.code);
  CHECK(codes == std::vector<std::string>{"DC", "LAB", "QNG", "BS", "BS-TC"});

  CHECK(r.total.machines == 8);
  CHECK(r.total.autoProtect == 3);     // q1, t1, x1 (d1 is stale, b1 off, t2/t3 unknown)
  CHECK(r.total.enableFirewall == 2);  // q1, b1 (d1/d2 stale, t1/x1 off, t2/t3 unknown)
  CHECK(r.total.notUpdated == 4);      // b1, t2, t3, d2
  CHECK(r.total.notUpdatedBy[reason(NotUpdated::SignaturesTooOld)] == 1);
  CHECK(r.total.notUpdatedBy[reason(NotUpdated::NoAntiMalware)] == 1);
  CHECK(r.total.notUpdatedBy[reason(NotUpdated::SignatureAgeUnknown)] == 1);
  CHECK(r.total.notUpdatedBy[reason(NotUpdated::ReportTooOld)] == 1);
  CHECK(r.total.stale == 2);
  using Counts = std::map<std::string, std::uint32_t>;
  Counts os{{"", 1}, {"Ubuntu", 1}, {"Windows 10 Pro", 5}, {"Windows 11 Pro", 1}};
  CHECK(r.total.osNames == os);
  CHECK(machineOf(r, "t1").notUpdated == NotUpdated::No);  // 15 days
  CHECK(machineOf(r, "b1").daysSinceUpdate == 16);
  CHECK(machineOf(r, "b1").unitNameVi == "Huyện Bình Sơn");

  Figures2290 sumOfOwn;
  for (const auto& u : r.units) sumOfOwn.add(u.own);
  CHECK(sumOfOwn == r.total);
  // A unit's subtree: its own machines and its children's subtrees.
  for (const auto& u : r.units) {
    CAPTURE(u.code);
    Figures2290 expected = u.own;
    for (const auto& child : r.units) {
      if (child.parent == u.code) expected.add(child.subtree);
    }
    CHECK(u.subtree == expected);
  }
  CHECK(unitOf(r, "BS-TC").own.machines == 3);
  CHECK(unitOf(r, "BS").own.machines == 1);
  CHECK(unitOf(r, "BS").subtree.machines == 4);
  CHECK(unitOf(r, "QNG").subtree.machines == 5);
  CHECK(unitOf(r, "QNG").subtree.notUpdated == 3);
  CHECK(unitOf(r, "LAB").subtree.machines == 1);

  SUBCASE("--unit takes the unit's subtree; its total is that unit's figures") {
    ExportFilters f;
    f.unitCode = "BS";
    auto bs = buildReport2290(*fx.db, f, false, fx.identity.caFingerprint, test::kPinnedNow);
    REQUIRE(bs.units.size() == 2);
    CHECK(bs.unitNameVi == "Huyện Bình Sơn");
    CHECK(bs.total == unitOf(r, "BS").subtree);
    CHECK(bs.machines.size() == 4);
  }
  SUBCASE("an unknown unit is refused, naming it") {
    ExportFilters f;
    f.unitCode = "NOWHERE";
    CHECK_THROWS_WITH_AS(buildReport2290(*fx.db, f, false, "", test::kPinnedNow),
                         doctest::Contains("no unit NOWHERE"), ExportError);
  }
}

TEST_CASE("the JSON carries the 2290 names, labels in the chosen language, machines when asked") {
  test::ExportFixture fx;
  fleet(fx);
  auto r = buildReport2290(*fx.db, {}, false, fx.identity.caFingerprint, test::kPinnedNow);
  auto doc = util::parseJson(renderReport2290(r));
  CHECK(doc.find("machines") == nullptr);
  const auto& total = doc.at("total");
  CHECK(total.at("NumberMachine").asInt() == 8);
  CHECK(total.at("AutoProtect").asInt() == 3);
  CHECK(total.at("EnableFirewall").asInt() == 2);
  CHECK(total.at("NumberMachineNotUpdateOn15Day").asInt() == 4);
  CHECK(total.at("NotUpdatedOn15DayByReason").at("NoAntiMalware").asInt() == 1);
  CHECK(total.at("UnitName").asString() == "Tất cả đơn vị");
  const auto& os = total.at("OperatingSystems").items();
  REQUIRE(os.size() == 4);
  CHECK(os.front().at("OSName").asString() == "Windows 10 Pro");
  CHECK(os.front().at("NumberMachine").asInt() == 5);
  CHECK(os.back().at("OSName").isNull());  // unknown: last among equals
  CHECK(doc.at("labels").at("AutoProtect").asString() == "Số máy bật bảo vệ thời gian thực");
  CHECK(doc.at("meta").at("row_count").asInt() == 0);
  CHECK(doc.at("meta").at("machine_count").asInt() == 8);
  CHECK(doc.at("meta").at("filters").at("machines").asBool() == false);

  // The units' own figures add up to the total, as a reader of the file can check.
  std::int64_t machines = 0, notUpdated = 0;
  for (const auto& u : doc.at("units").items()) {
    machines += u.at("Own").at("NumberMachine").asInt();
    notUpdated += u.at("Own").at("NumberMachineNotUpdateOn15Day").asInt();
  }
  CHECK(machines == 8);
  CHECK(notUpdated == 4);
  for (const auto& u : doc.at("units").items()) {
    if (u.at("UnitCode").asString() != "BS") continue;
    CHECK(u.at("ParentUnitCode").asString() == "QNG");
    CHECK(u.at("UnitName").asString() == "Huyện Bình Sơn");
    CHECK(u.at("NumberMachine").asInt() == 4);
    CHECK(u.at("Own").at("NumberMachine").asInt() == 1);
  }

  ExportFilters en;
  en.vietnamese = false;
  auto withRows = buildReport2290(*fx.db, en, true, fx.identity.caFingerprint, test::kPinnedNow);
  auto rows = util::parseJson(renderReport2290(withRows));
  CHECK(rows.at("labels").at("AutoProtect").asString() == "Machines with real-time protection on");
  CHECK(rows.at("meta").at("row_count").asInt() == 8);
  REQUIRE(rows.at("machines").size() == 8);
  bool seen = false;
  for (const auto& m : rows.at("machines").items()) {
    if (m.at("AgentId").asString() != "b1") continue;
    seen = true;
    CHECK(m.at("HostName").asString() == "pc-b1");
    CHECK(m.at("UnitCode").asString() == "BS");
    CHECK(m.at("UnitName").asString() == "Binh Son district");
    CHECK(m.at("OSName").asString() == "Windows 11 Pro");
    CHECK(m.at("AutoProtect").asBool() == false);
    CHECK(m.at("EnableFirewall").asBool() == true);
    CHECK(m.at("LastUpdate").asString() == "2026-11-20T01:00:00Z");
    CHECK(m.at("LastUpdateDay").asString() == "2026-11-20");
    CHECK(m.at("DaysSinceUpdate").asInt() == 16);
    CHECK(m.at("LastReport").asString() == util::formatIso8601(test::kPinnedNow - 3600));
    CHECK(m.at("NotUpdatedOn15Day").asBool());
    CHECK(m.at("NotUpdatedReason").asString() == "SignaturesOlderThan15Days");
  }
  CHECK(seen);
}

TEST_CASE("--as-of counts each machine's report of that day, aged at that day's end") {
  test::ExportFixture fx;
  // a1 was protected on 25 November and is not since 5 December.
  store(fx, "a1", "BS", 1, test::vietnamTime("2026-11-25", 12, 0, 0),
        {.signature = test::vietnamTime("2026-11-24", 12, 0, 0)});
  store(fx, "a1", "BS", 2, test::vietnamTime("2026-12-05", 12, 0, 0),
        {.realTime = v1::TRISTATE_OFF, .signature = test::vietnamTime("2026-12-05", 8, 0, 0)});
  // a2's only report carries signatures of 15 November: 13 days old at the end of 28
  // November, 21 days old on 6 December.
  store(fx, "a2", "BS", 1, test::vietnamTime("2026-11-25", 12, 0, 0),
        {.signature = test::vietnamTime("2026-11-15", 12, 0, 0)});

  ExportFilters f;
  f.asOfDay = util::parseDate("2026-11-28");
  auto then = buildReport2290(*fx.db, f, true, "", test::kPinnedNow);
  CHECK(then.evaluatedAt == endOfVietnamDay(*f.asOfDay));
  CHECK(then.total.machines == 2);
  CHECK(then.total.autoProtect == 2);
  CHECK(then.total.notUpdated == 0);
  CHECK(machineOf(then, "a2").daysSinceUpdate == 13);
  CHECK(report2290MetadataJson(then).at("filters").at("as_of").asString() == "2026-11-28");

  auto now = buildReport2290(*fx.db, {}, true, "", test::kPinnedNow);
  CHECK(now.total.machines == 2);
  CHECK(now.total.autoProtect == 0);  // a1 is off, a2 is stale (11 days)
  CHECK(now.total.notUpdated == 1);
  CHECK(machineOf(now, "a2").notUpdated == NotUpdated::SignaturesTooOld);

  f.asOfDay = util::parseDate("2026-11-24");  // before any report
  CHECK(buildReport2290(*fx.db, f, false, "", test::kPinnedNow).total.machines == 0);
  f.asOfDay = util::parseDate("2026-12-07");
  CHECK_THROWS_WITH_AS(buildReport2290(*fx.db, f, false, "", test::kPinnedNow),
                       doctest::Contains("is in the future"), ExportError);
}

TEST_CASE("the 2290 report's signed manifest verifies; one changed byte fails") {
  test::ExportFixture fx;
  fleet(fx);
  std::int64_t now = util::unixNow();
  auto signer = loadOrCreateExportSigner(fx.data, now);
  auto r = buildReport2290(*fx.db, {}, true, fx.identity.caFingerprint, now);
  std::string bytes = renderReport2290(r);
  auto file = fx.path("bao-cao-2290.json");
  util::writeFileAtomic(file, bytes);
  auto manifest =
      signManifest(file.filename().string(), bytes, std::string(kReport2290Format),
                   std::string(kReport2290MediaType), report2290MetadataJson(r), signer, now);
  util::writeFileAtomic(manifestPathFor(file), util::writeJson(manifest));
  auto ok = verifyExport(file, manifestPathFor(file), fx.identity.caFingerprint);
  CAPTURE(renderVerifyResult(ok, file));
  CHECK(ok.ok);
  CHECK(ok.format == "report-2290");
  CHECK(ok.rowCount == 8);

  auto at = bytes.find("\"NumberMachine\": 8");
  REQUIRE(at != std::string::npos);
  bytes[at + 17] = '9';
  util::writeFileAtomic(file, bytes);
  auto altered = verifyExport(file, manifestPathFor(file), fx.identity.caFingerprint);
  CHECK_FALSE(altered.ok);
  CHECK(altered.fileAltered);
}

TEST_CASE(
    "a summary child's pushed counts join their units' own figures, the subtrees and the total") {
  test::ExportFixture fx;
  fleet(fx);
  ExportFilters all;
  auto source = loadExportSource(*fx.db, all, "", test::kPinnedNow);
  auto without = buildReport2290(source, all, false, test::kPinnedNow);

  Figures2290 pushed;  // 3 machines of BS-TC counted by a child: 2 protected, 1 stale
  pushed.machines = 3;
  pushed.autoProtect = 2;
  pushed.enableFirewall = 1;
  pushed.stale = 1;
  pushed.notUpdated = 1;
  pushed.notUpdatedBy[reason(NotUpdated::ReportTooOld)] = 1;
  pushed.osNames = {{"Windows 11 Pro", 2}, {"", 1}};
  // The wire form gives the same figures back.
  CHECK(figuresOf(federatedReport2290("BS-TC", pushed)) == pushed);

  Figures2290ByUnit byUnit{{"BS-TC", pushed}, {"NOWHERE", pushed}};
  auto with = buildReport2290(source, all, false, test::kPinnedNow, byUnit);
  CHECK(with.pushedMachines == 3);  // a unit outside the selection adds nothing
  Figures2290 expected = without.total;
  expected.add(pushed);
  CHECK(with.total == expected);
  expected = unitOf(without, "BS").subtree;
  expected.add(pushed);
  CHECK(unitOf(with, "BS").subtree == expected);
  CHECK(unitOf(with, "BS-TC").own.machines == 6);
  CHECK(unitOf(with, "DC").subtree == unitOf(without, "DC").subtree);
  CHECK(with.machines.size() == without.machines.size());  // no machine rows for them
  CHECK(report2290MetadataJson(with).at("pushed_machine_count").asInt() == 3);
  CHECK(report2290MetadataJson(with).at("machine_count").asInt() == 11);

  ExportFilters dc;
  dc.unitCode = "DC";
  CHECK(buildReport2290(source, dc, false, test::kPinnedNow, byUnit).pushedMachines == 0);
}
