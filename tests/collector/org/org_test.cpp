// The organization model: strict import, atomic and idempotent, audited; the four layers.
#include <doctest/doctest.h>

#include "collector/audit/audit.h"
#include "collector/org/layers.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using namespace posture::collector::org;

namespace {
std::string importError(db::Connection& db, const std::string& yaml) {
  try {
    importOrgText(db, yaml, "org.yaml", "lan", 1000);
  } catch (const OrgError& e) {
    return e.what();
  }
  return "(imported without error)";
}

const char* kGood = R"(units:
  - {code: QNG, kind: province, name_vi: "Tỉnh Quảng Ngãi"}
  - code: BS
    parent: QNG
    kind: district
    name_vi: "Huyện Bình Sơn"
    layers:
      1: {officer: "Nguyễn Văn An", decision: "123/QĐ-UBND", date: 2024-03-01}
      2: {provider: "VNPT", contract: "45/HĐ", until: 2026-12-31}
      3: {assessor: "Trung tâm CNTT tỉnh", report: "12/BC", date: 2025-06-01}
      4: {reference: "SOC tỉnh", date: 2023-05-01}
  - {code: BS-VP, parent: BS, kind: department, name_vi: "Văn phòng"}
systems:
  - {code: S1, unit: BS, name_vi: "Quản lý văn bản", level: 3, shared: true, dossier_date: 2023-02-01}
)";

std::int64_t day(const char* iso) { return *util::parseDate(iso); }
}  // namespace

TEST_CASE("bad organization files are refused with file, line, column and reason") {
  test::TempDir dir("posture-org-");
  auto db = openDatabase(dir.path());
  struct Case {
    const char* yaml;
    const char* expected;
  };
  // Positions counted by hand (1-based line and column).
  const Case cases[] = {
      {"units:\n  - {code: A, kind: town, name_vi: X}\n", "org.yaml:2:21: kind must be province, district, commune or department"},
      {"units:\n  - {code: A, kind: commune, name_vi: X, colour: red}\n", "org.yaml:2:42: unknown key 'colour' in unit"},
      {"units:\n  - {code: A, kind: commune}\n", "org.yaml:2:5: unit is missing required key 'name_vi'"},
      {"units:\n  - {code: 'A B', kind: commune, name_vi: X}\n", "org.yaml:2:12: unit code 'A B' must be 1-64 letters"},
      {"units:\n  - {code: A, kind: commune, name_vi: X}\n  - {code: A, kind: commune, name_vi: Y}\n", "org.yaml:3:12: unit 'A' is listed twice"},
      {"units:\n  - {code: A, kind: commune, name_vi: X, parent: NOPE}\n", "org.yaml:2:5: unit A: parent unit 'NOPE' does not exist"},
      {"units:\n  - {code: A, kind: commune, name_vi: X, parent: B}\n  - {code: B, kind: commune, name_vi: Y, parent: A}\n", "org.yaml:2:5: unit A: its parents form a cycle"},
      {"units:\n  - code: A\n    kind: commune\n    name_vi: X\n    layers:\n      3: {assessor: Z, date: 2025-02-30}\n", "org.yaml:6:30: 'date' must be a real date written YYYY-MM-DD"},
      {"units:\n  - code: A\n    kind: commune\n    name_vi: X\n    layers:\n      5: {reference: Z}\n", "org.yaml:6:7: unknown key '5' in layers"},
      {"units:\n  - code: A\n    kind: commune\n    name_vi: X\n    layers:\n      2: {provider: Z}\n", "org.yaml:6:10: layer 2 needs 'until'"},
      {"units:\n  - {code: A, kind: commune, name_vi: X}\nsystems:\n  - {code: S, unit: A, name_vi: Y, level: 6}\n", "org.yaml:4:43: 'level' must be a whole number from 1 to 5, got '6'"},
      {"units:\n  - {code: A, kind: commune, name_vi: X}\nsystems:\n  - {code: S, unit: A, name_vi: Y, level: 2, shared: yes}\n", "org.yaml:4:54: 'shared' must be true or false, got 'yes'"},
      {"systems:\n  - {code: S, unit: NOPE, name_vi: Y, level: 2}\n", "org.yaml:2:5: system S: unknown unit 'NOPE'"},
      {"units:\n  - {code: A, kind: commune, name_vi: {x: 1}}\n", "org.yaml:2:39: 'name_vi' must be text"},
      {"units:\n  - {code: A, kind: commune, name_vi: X, kind: district}\n", "org.yaml:2:42: duplicate key 'kind' in unit"},
      {"units: {code: A}\n", "org.yaml:1:8: units must be a list"},
      {"units:\n  - code: A\n    kind: commune\n    name_vi: X\n    layers:\n      3: {assessor: Z, date: 2025-01-01, period_months: twelve}\n", "org.yaml:6:57: 'period_months' must be a whole number from 1 to 120, got 'twelve'"},
      {"units:\n  - code: A\n    kind: commune\n    name_vi: X\n    layers:\n      1: {officer: Z, date: 01/03/2024}\n", "org.yaml:6:29: 'date' must be a real date written YYYY-MM-DD"},
      {"units:\n  - {code: A, kind: commune, name_vi: X}\nsystems:\n  - {code: S, unit: A, name_vi: Y, level: 2}\n  - {code: S, unit: A, name_vi: Z, level: 2}\n", "org.yaml:5:12: system 'S' is listed twice"},
      {"units:\n  - {code: A, kind: commune, name_vi: X}\nsystems:\n  - {code: S, unit: A, name_vi: Y, level: 2, dossier_date: 2023-13-01}\n", "org.yaml:4:60: 'dossier_date' must be a real date written YYYY-MM-DD"},
      {"units:\n  - {code: A, kind: commune, name_vi: X, parent: A}\n", "org.yaml:2:5: unit A: its parents form a cycle"},
      {"colour: red\n", "org.yaml:1:1: unknown key 'colour' in the file"},
      {"units: [\n", "org.yaml:"},
      {"", "org.yaml:1:1: the file is empty"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    std::string error = importError(*db, c.yaml);
    CHECK_MESSAGE(error.find(c.expected) == 0, error);
  }
  // The same through a file on disk: the message starts with the file's path.
  auto file = dir.write("bad.yaml", cases[0].yaml);
  CHECK_THROWS_WITH(importOrgFile(*db, file, "lan", 1000),
                    (file.string() + ":2:21: kind must be province, district, commune or department").c_str());
  CHECK_THROWS_WITH(importOrgFile(*db, dir.path() / "missing.yaml", "lan", 1000), doctest::Contains("cannot be read"));
  // Nothing of any refused file was written.
  CHECK(loadOrg(*db).units.empty());
  CHECK(listAudit(*db).empty());
}

TEST_CASE("import is atomic, idempotent and audited") {
  test::TempDir dir("posture-org-");
  auto db = openDatabase(dir.path());
  auto first = importOrgText(*db, kGood, "org.yaml", "lan", 1000);
  CHECK(first.added == 8);  // 3 units, 4 layer records, 1 system
  CHECK(listAudit(*db).size() == 8);
  auto again = importOrgText(*db, kGood, "org.yaml", "lan", 2000);
  CHECK(again.added == 0);
  CHECK(again.changed == 0);
  CHECK(again.unchanged == 8);
  CHECK(listAudit(*db).size() == 8);  // nothing changed, nothing audited

  // A file whose last entry is bad changes nothing, not even its good first entries.
  std::string bad = kGood;
  bad.replace(bad.find("Văn phòng"), std::string("Văn phòng").size(), "VP mới");
  bad += "  - {code: S2, unit: BS, name_vi: X, level: 9}\n";
  CHECK(importError(*db, bad).find("'level' must be a whole number") != std::string::npos);
  CHECK(loadOrg(*db).findUnit("BS-VP")->nameVi == "Văn phòng");
  CHECK(listAudit(*db).size() == 8);

  // A real change is audited with before and after.
  Unit vp = *loadOrg(*db).findUnit("BS-VP");
  vp.nameEn = "Office";
  CHECK(putUnit(*db, vp, "minh", 3000));
  CHECK_FALSE(putUnit(*db, vp, "minh", 3001));
  auto audit = listAudit(*db, "unit:BS-VP");
  REQUIRE(audit.size() == 2);
  CHECK(audit[0].action == "unit.set");
  CHECK(audit[0].actor == "minh");
  CHECK(audit[0].before.find("\"name_en\":\"\"") != std::string::npos);
  CHECK(audit[0].after.find("\"name_en\":\"Office\"") != std::string::npos);
  CHECK(removeSystem(*db, "S1", "minh", 3002));
  CHECK(listAudit(*db, "system:S1")[0].after.empty());
  CHECK_THROWS_AS(removeSystem(*db, "S1", "minh", 3003), OrgError);

  // Moving a unit under its own descendant is refused.
  Unit bs = *loadOrg(*db).findUnit("BS");
  bs.parent = "BS-VP";
  CHECK_THROWS_WITH(putUnit(*db, bs, "minh", 3004), doctest::Contains("would make a cycle"));
  auto parents = loadOrg(*db).parents();
  CHECK(parents["BS-VP"] == "BS");
  CHECK(parents["BS"] == "QNG");
}

TEST_CASE("the sample organization imports") {
  test::TempDir dir("posture-org-");
  auto db = openDatabase(dir.path());
  auto r = importOrgFile(*db, std::string(POSTURE_SOURCE_DIR) + "/examples/org/binh-son.yaml", "lan", 1000);
  CHECK(r.added == 17);  // 6 units, 8 layer records, 3 systems
  auto model = loadOrg(*db);
  for (const char* code : {"QNG", "BS", "BS-VP", "BS-TC", "BS-BT", "BS-BC"}) CHECK(model.findUnit(code) != nullptr);
  CHECK(model.parents()["BS-BC"] == "BS");
  // Layer 3 of the district expired in 2025: a gap the sample shows; the other three hold.
  auto v = evaluateLayers(model, "BS", day("2026-11-24"), Layer2Telemetry{10, 10, 90});
  CHECK(v[0].pass);
  CHECK(v[1].pass);
  CHECK_FALSE(v[2].pass);
  CHECK(v[3].pass);
  const InfoSystem* qlvb = nullptr;
  for (const auto& s : model.systems) {
    if (s.code == "BS-QLVB") qlvb = &s;
  }
  REQUIRE(qlvb != nullptr);
  CHECK(qlvb->shared);
  CHECK(qlvb->level == 3);
  bool unapprovedLevel2 = false;
  for (const auto& s : model.systems) unapprovedLevel2 |= s.level == 2 && !s.dossierApprovedDay;
  CHECK(unapprovedLevel2);
  auto again = importOrgFile(*db, std::string(POSTURE_SOURCE_DIR) + "/examples/org/binh-son.yaml", "lan", 2000);
  CHECK(again.unchanged == 17);
}

TEST_CASE("four layers: records, expiry, independence and layer-2 telemetry") {
  test::TempDir dir("posture-org-");
  auto db = openDatabase(dir.path());
  importOrgText(*db, kGood, "org.yaml", "lan", 1000);
  auto model = loadOrg(*db);
  Layer2Telemetry nine{9, 10, 90}, eight{8, 10, 90}, none{0, 0, 90};

  auto v = evaluateLayers(model, "BS", day("2026-01-15"), nine);
  CHECK(v[0].pass);
  CHECK(v[1].pass);  // contract until 2026-12-31, 9/10 = 90%
  CHECK(v[2].pass);  // assessed 2025-06-01, 12 months: due 2026-06-01
  CHECK(v[3].pass);
  CHECK(v[2].evidenceVi.find("01/06/2025") != std::string::npos);

  CHECK(v[1].evidenceVi == "Lớp 2: 9/10 máy được bảo vệ và quản trị tập trung (90%) ≥ 90%; VNPT, hợp đồng 45/HĐ đến 31/12/2026");
  CHECK(v[0].evidenceVi == "Lớp 1: Nguyễn Văn An, quyết định 123/QĐ-UBND ngày 01/03/2024");
  CHECK(v[2].evidenceVi == "Lớp 3: đánh giá độc lập ngày 01/06/2025 bởi Trung tâm CNTT tỉnh, còn hiệu lực 12 tháng (hết hạn 01/06/2026)");
  // No upstream link: the top of its hierarchy, judged by its record (link_health_test).
  CHECK(v[3].evidenceVi.find("theo hồ sơ: máy chủ thu thập này không đẩy số liệu lên cấp trên") != std::string::npos);
  CHECK(v[3].evidenceEn.find("by the record") != std::string::npos);

  v = evaluateLayers(model, "BS", day("2026-01-15"), eight);
  CHECK_FALSE(v[1].pass);  // 8/10 < 90%
  CHECK(v[1].evidenceVi.rfind("Lớp 2: 8/10 máy được bảo vệ và quản trị tập trung (80%) < 90%", 0) == 0);
  CHECK(v[1].evidenceEn.rfind("Layer 2: 8/10 endpoints protected and centrally managed (80%) < 90%", 0) == 0);
  v = evaluateLayers(model, "BS", day("2026-01-15"), none);
  CHECK_FALSE(v[1].pass);
  CHECK(v[1].evidenceEn.find("no endpoint has reported") != std::string::npos);
  CHECK(evaluateLayers(model, "BS", day("2026-01-15"), Layer2Telemetry{7, 8, 87.5})[1].pass);
  CHECK(evaluateLayers(model, "BS", day("2026-01-15"), Layer2Telemetry{7, 8, 87.5})[1].evidenceVi.find("(87.5%) ≥ 87.5%") != std::string::npos);

  // The layer-3 record expires after its period: a gap, not a pass.
  v = evaluateLayers(model, "BS", day("2026-06-02"), nine);
  CHECK_FALSE(v[2].pass);
  CHECK(v[2].evidenceEn.find("older than its 12 months") != std::string::npos);
  CHECK(evaluateLayers(model, "BS", day("2026-06-01"), nine)[2].pass);  // due day still valid
  // And layer 2 after the contract's end, even with every endpoint protected.
  v = evaluateLayers(model, "BS", day("2027-01-01"), Layer2Telemetry{10, 10, 90});
  CHECK_FALSE(v[1].pass);
  CHECK(v[1].evidenceVi.find("hợp đồng 45/HĐ đã hết hạn 31/12/2026") != std::string::npos);
  // Layer 4 with a validity that has ended.
  LayerRecord l4 = *model.findLayer("BS", 4);
  l4.validUntil = day("2025-12-31");
  putLayer(*db, l4, "lan", 1500);
  CHECK_FALSE(evaluateLayers(loadOrg(*db), "BS", day("2026-01-15"), nine)[3].pass);
  CHECK(evaluateLayers(loadOrg(*db), "BS", day("2025-12-31"), nine)[3].pass);

  // Not independent: the assessor is the monitoring provider.
  LayerRecord l3 = *model.findLayer("BS", 3);
  l3.reference = "VNPT";
  putLayer(*db, l3, "lan", 2000);
  v = evaluateLayers(loadOrg(*db), "BS", day("2026-01-15"), nine);
  CHECK_FALSE(v[2].pass);
  CHECK(v[2].evidenceEn.find("not independent") != std::string::npos);
  CHECK(v[2].evidenceVi.find("không độc lập") != std::string::npos);
  // Written with other case and spacing, still the same party.
  l3.reference = "  vnpt ";
  putLayer(*db, l3, "lan", 2001);
  CHECK_FALSE(evaluateLayers(loadOrg(*db), "BS", day("2026-01-15"), nine)[2].pass);
  // An independent assessor passes again.
  l3.reference = "Trung tâm CNTT tỉnh";
  putLayer(*db, l3, "lan", 2002);
  CHECK(evaluateLayers(loadOrg(*db), "BS", day("2026-01-15"), nine)[2].pass);

  // A unit without records fails every layer, saying so.
  v = evaluateLayers(model, "BS-VP", day("2026-01-15"), nine);
  for (const auto& l : v) CHECK_FALSE(l.pass);
  CHECK(v[0].evidenceVi == "Lớp 1: chưa có hồ sơ cán bộ chuyên trách tại chỗ");
}

TEST_CASE("tree: ancestors and subtree, unknown codes are roots") {
  OrgModel m;
  m.units = {{"QNG", "", "Tỉnh Quảng Ngãi", "", UnitKind::Province},
             {"BS", "QNG", "Huyện Bình Sơn", "", UnitKind::District},
             {"BS-VP", "BS", "Văn phòng HĐND-UBND", "", UnitKind::Department},
             {"BS-TC", "BS", "Phòng Tài chính - Kế hoạch", "", UnitKind::Department},
             {"BS-BT", "BS", "UBND xã Bình Thạnh", "", UnitKind::Commune},
             {"BS-BT.T1", "BS-BT", "Thôn 1", "", UnitKind::Commune},
             {"DQ", "QNG", "Huyện Đức Phổ", "", UnitKind::District}};
  CHECK(m.ancestors("BS-BT.T1") == std::vector<std::string>{"BS-BT", "BS", "QNG"});
  CHECK(m.ancestors("BS-VP") == std::vector<std::string>{"BS", "QNG"});
  CHECK(m.ancestors("QNG").empty());
  CHECK(m.subtree("BS") == std::vector<std::string>{"BS", "BS-BT", "BS-BT.T1", "BS-TC", "BS-VP"});
  CHECK(m.subtree("QNG").size() == 7);
  CHECK(m.subtree("BS-TC") == std::vector<std::string>{"BS-TC"});
  // A unit code seen in reports but absent from the tree: an unknown root, no crash.
  CHECK(m.findUnit("X-99") == nullptr);
  CHECK(m.ancestors("X-99").empty());
  CHECK(m.subtree("X-99") == std::vector<std::string>{"X-99"});
  for (const auto& v : evaluateLayers(m, "X-99", day("2026-01-01"), Layer2Telemetry{10, 10, 90})) CHECK_FALSE(v.pass);
  // A hand-built model with a cycle terminates.
  m.units.push_back({"C1", "C2", "c1", "", UnitKind::Commune});
  m.units.push_back({"C2", "C1", "c2", "", UnitKind::Commune});
  CHECK(m.ancestors("C1") == std::vector<std::string>{"C2"});
  CHECK(m.subtree("C1") == std::vector<std::string>{"C1", "C2"});
  // The same through the database.
  test::TempDir dir("posture-org-");
  auto db = openDatabase(dir.path());
  importOrgText(*db, kGood, "org.yaml", "lan", 1000);
  auto stored = loadOrg(*db);
  CHECK(stored.ancestors("BS-VP") == std::vector<std::string>{"BS", "QNG"});
  CHECK(stored.subtree("QNG") == std::vector<std::string>{"QNG", "BS", "BS-VP"});
}

TEST_CASE("calendar months") {
  CHECK(addMonths(day("2025-06-01"), 12) == day("2026-06-01"));
  CHECK(addMonths(day("2024-01-31"), 1) == day("2024-02-29"));
  CHECK(addMonths(day("2023-01-31"), 1) == day("2023-02-28"));
  CHECK(addMonths(day("2025-11-30"), 3) == day("2026-02-28"));
  CHECK(formatDayVi(day("2026-03-05")) == "05/03/2026");
}
