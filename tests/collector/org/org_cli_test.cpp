// The organization commands: strict options, add versus set, layer set keeping stored
// fields, audit of every change.
#include <doctest/doctest.h>

#include "collector/audit/audit.h"
#include "collector/org/cli.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/util/args.h"
#include "common/util/time.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using namespace posture::collector::org;

namespace {
int run(const std::string& words, std::vector<std::string> argv) {
  for (const auto& c : orgCommands()) {
    std::string name;
    for (const auto& w : c.words) name += (name.empty() ? "" : " ") + w;
    if (name == words) return c.run(argv);
  }
  FAIL("no command " << words);
  return -1;
}
}  // namespace

TEST_CASE("org unit, layer and system commands") {
  test::TempDir dir("posture-org-cli-");
  std::string d = dir.path().string();

  CHECK(run("unit add", {"--data-dir", d, "--code", "QNG", "--name-vi", "Tỉnh Quảng Ngãi", "--kind", "province"}) == 0);
  CHECK(run("unit add", {"--data-dir", d, "--code", "BS", "--name-vi", "Huyện Bình Sơn", "--kind", "district", "--parent", "QNG"}) == 0);
  CHECK_THROWS_AS(run("unit add", {"--data-dir", d, "--code", "BS", "--name-vi", "X", "--kind", "district"}), OrgError);
  CHECK_THROWS_WITH_AS(run("unit add", {"--data-dir", d, "--code", "X", "--name-vi", "X", "--kind", "town"}),
                       doctest::Contains("--kind"), util::ArgsError);
  CHECK_THROWS_WITH_AS(run("unit add", {"--data-dir", d, "--code", "X", "--kind", "commune"}),
                       doctest::Contains("name-vi"), util::ArgsError);
  CHECK_THROWS_AS(run("unit add", {"--data-dir", d, "--code", "X", "--name-vi", "X", "--kind", "commune", "--colour", "red"}),
                  util::ArgsError);
  CHECK_THROWS_WITH(run("unit add", {"--data-dir", d, "--code", "X", "--name-vi", "X", "--kind", "commune", "--parent", "NOPE"}),
                    doctest::Contains("parent unit 'NOPE' does not exist"));
  CHECK(run("unit set", {"--data-dir", d, "--code", "BS", "--name-vi", "Huyện Bình Sơn", "--kind", "district", "--parent", "QNG", "--name-en", "Bình Sơn"}) == 0);

  // layer set: a new record needs its reference; later calls change only what they name.
  CHECK_THROWS_WITH_AS(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "3", "--date", "2025-06-01"}),
                       doctest::Contains("--assessor"), util::ArgsError);
  CHECK_THROWS_AS(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "5", "--reference", "X"}), util::ArgsError);
  CHECK_THROWS_WITH_AS(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "3", "--reference", "X", "--date", "2025-02-30"}),
                       doctest::Contains("--date"), util::ArgsError);
  CHECK_THROWS_WITH_AS(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "2", "--reference", "VNPT"}),
                       doctest::Contains("--until"), util::ArgsError);
  CHECK(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "3", "--reference", "Trung tâm CNTT", "--document", "12/BC", "--date", "2025-06-01"}) == 0);
  CHECK(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "3", "--period-months", "24"}) == 0);
  {
    auto db = openDatabase(dir.path());
    auto model = loadOrg(*db);  // findLayer points into it: keep it alive
    const auto* l3 = model.findLayer("BS", 3);
    REQUIRE(l3 != nullptr);
    CHECK(l3->reference == "Trung tâm CNTT");
    CHECK(l3->document == "12/BC");
    CHECK(l3->date == *util::parseDate("2025-06-01"));
    CHECK(l3->periodMonths == 24);
    CHECK_FALSE(l3->recordedBy.empty());
    auto audit = listAudit(*db, "layer:BS:3");
    REQUIRE(audit.size() == 2);
    CHECK(audit[0].action == "layer.set");
    CHECK(audit[0].before.find("\"period_months\":12") != std::string::npos);
    CHECK(audit[0].after.find("\"period_months\":24") != std::string::npos);
    CHECK(audit[1].before.empty());
  }

  // Systems.
  CHECK_THROWS_AS(run("system add", {"--data-dir", d, "--code", "S", "--unit", "BS", "--name-vi", "X", "--level", "6"}), util::ArgsError);
  CHECK_THROWS_WITH_AS(run("system add", {"--data-dir", d, "--code", "S", "--unit", "NOPE", "--name-vi", "X", "--level", "2"}),
                       doctest::Contains("--unit"), util::ArgsError);
  CHECK_THROWS_WITH_AS(run("system add", {"--data-dir", d, "--code", "S", "--unit", "BS", "--name-vi", "X", "--level", "3", "--assessment-date", "2025-06-01"}),
                       doctest::Contains("--assessor"), util::ArgsError);
  CHECK(run("system add", {"--data-dir", d, "--code", "BS-QLVB", "--unit", "BS", "--name-vi", "Quản lý văn bản", "--level", "3", "--shared", "yes",
                           "--dossier-decision", "88/QĐ-UBND", "--dossier-date", "2023-02-01", "--assessment-date", "2025-06-01", "--assessor", "Trung tâm CNTT"}) == 0);
  CHECK_THROWS_AS(run("system add", {"--data-dir", d, "--code", "BS-QLVB", "--unit", "BS", "--name-vi", "X", "--level", "2"}), OrgError);
  {
    auto db = openDatabase(dir.path());
    auto model = loadOrg(*db);
    REQUIRE(model.systems.size() == 1);
    CHECK(model.systems[0].shared);
    CHECK(model.systems[0].level == 3);
    CHECK(model.systems[0].dossierApprovedDay == util::parseDate("2023-02-01"));
    CHECK_FALSE(model.systems[0].planImplementedDay.has_value());
    CHECK(listAudit(*db, "system:BS-QLVB")[0].action == "system.add");
  }
  CHECK(run("system remove", {"--data-dir", d, "--code", "BS-QLVB"}) == 0);
  CHECK_THROWS_AS(run("system remove", {"--data-dir", d, "--code", "BS-QLVB"}), OrgError);

  CHECK(run("org show", {"--data-dir", d, "--lang", "en"}) == 0);
  CHECK_THROWS_AS(run("org show", {"--data-dir", d, "--lang", "fr"}), util::ArgsError);
  CHECK(run("audit list", {"--data-dir", d, "--object", "unit:", "--limit", "5"}) == 0);
  CHECK_THROWS_AS(run("audit list", {"--data-dir", d, "--limit", "many"}), util::ArgsError);
  CHECK_THROWS_AS(run("org import", {"--data-dir", d}), util::ArgsError);
  {
    auto db = openDatabase(dir.path());
    auto audit = listAudit(*db);
    // 2 unit.add, 1 unit.set, 2 layer.set, 1 system.add, 1 system.remove
    CHECK(audit.size() == 7);
    CHECK(audit[0].action == "system.remove");
    CHECK(audit[0].after.empty());
    CHECK(audit[0].before.find("\"level\":3") != std::string::npos);
  }
}

TEST_CASE("org commands: options named by layer, partial set, shared yes|no, show of a subtree") {
  test::TempDir dir("posture-org-cli-");
  std::string d = dir.path().string();
  auto db = [&] { return openDatabase(dir.path()); };
  REQUIRE(run("unit add", {"--data-dir", d, "--code", "QNG", "--name-vi", "Tỉnh Quảng Ngãi", "--kind", "province"}) == 0);
  REQUIRE(run("unit add", {"--data-dir", d, "--code", "BS", "--name-vi", "Huyện Bình Sơn", "--kind", "district", "--parent", "QNG"}) == 0);
  REQUIRE(run("unit add", {"--data-dir", d, "--code", "BS-VP", "--name-vi", "Văn phòng HĐND-UBND", "--kind", "department", "--parent", "BS"}) == 0);

  // unit set changes only what it names; a new unit through set needs name and kind.
  CHECK(run("unit set", {"--data-dir", d, "--code", "BS-VP", "--name-en", "People's Council and Committee Office"}) == 0);
  {
    auto c = db();
    auto m = loadOrg(*c);
    const Unit* vp = m.findUnit("BS-VP");
    REQUIRE(vp != nullptr);
    CHECK(vp->nameVi == "Văn phòng HĐND-UBND");
    CHECK(vp->parent == "BS");
    CHECK(vp->kind == UnitKind::Department);
    CHECK(vp->nameEn == "People's Council and Committee Office");
    auto audit = listAudit(*c, "unit:BS-VP");
    REQUIRE(audit.size() == 2);
    CHECK(audit[0].action == "unit.set");
    CHECK(audit[0].before.find("\"name_en\":\"\"") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(run("unit set", {"--data-dir", d, "--code", "BS-TC", "--name-en", "Finance"}),
                       doctest::Contains("--name-vi and --kind"), util::ArgsError);
  CHECK_THROWS_WITH(run("unit set", {"--data-dir", d, "--code", "BS", "--parent", "BS-VP"}), doctest::Contains("cycle"));

  // Each layer with its own option names.
  CHECK(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "1", "--officer", "Nguyễn Văn An", "--decision", "123/QĐ-UBND", "--date", "2024-03-01"}) == 0);
  CHECK(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "2", "--provider", "VNPT Quảng Ngãi", "--contract", "45/HĐ", "--until", "2027-12-31"}) == 0);
  CHECK(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "3", "--assessor", "Trung tâm CNTT tỉnh", "--report", "12/BC", "--date", "2025-06-01", "--period-months", "24"}) == 0);
  CHECK(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "4", "--reference", "SOC tỉnh", "--date", "2023-05-01"}) == 0);
  {
    auto m = loadOrg(*db());
    REQUIRE(m.findLayer("BS", 1) != nullptr);
    CHECK(m.findLayer("BS", 1)->reference == "Nguyễn Văn An");
    CHECK(m.findLayer("BS", 1)->document == "123/QĐ-UBND");
    CHECK(m.findLayer("BS", 2)->validUntil == util::parseDate("2027-12-31"));
    CHECK(m.findLayer("BS", 3)->periodMonths == 24);
    CHECK(m.findLayer("BS", 3)->document == "12/BC");
    CHECK_FALSE(m.findLayer("BS", 4)->validUntil.has_value());
  }
  CHECK_THROWS_WITH_AS(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "3", "--officer", "X"}),
                       doctest::Contains("--officer is for layer 1"), util::ArgsError);
  CHECK_THROWS_WITH_AS(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "2", "--date", "2025-01-01"}),
                       doctest::Contains("layer 2 has no --date"), util::ArgsError);
  CHECK_THROWS_WITH_AS(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "1", "--period-months", "6"}),
                       doctest::Contains("--period-months is for layer 3"), util::ArgsError);
  CHECK_THROWS_WITH_AS(run("layer set", {"--data-dir", d, "--unit", "BS-VP", "--layer", "1", "--decision", "1/QĐ", "--date", "2024-01-01"}),
                       doctest::Contains("needs --officer"), util::ArgsError);
  CHECK_THROWS_WITH_AS(run("layer set", {"--data-dir", d, "--unit", "NOPE", "--layer", "1", "--officer", "X", "--date", "2024-01-01"}),
                       doctest::Contains("no unit 'NOPE'"), util::ArgsError);

  // --shared takes yes or no; system set keeps what it does not name.
  CHECK_THROWS_WITH_AS(run("system add", {"--data-dir", d, "--code", "S", "--unit", "BS", "--name-vi", "X", "--level", "2", "--shared", "maybe"}),
                       doctest::Contains("--shared must be yes or no"), util::ArgsError);
  CHECK(run("system add", {"--data-dir", d, "--code", "BS-MOTCUA", "--unit", "BS", "--name-vi", "Một cửa điện tử", "--level", "2", "--shared", "yes"}) == 0);
  CHECK(run("system set", {"--data-dir", d, "--code", "BS-MOTCUA", "--dossier-decision", "89/QĐ-UBND", "--dossier-date", "2023-02-01"}) == 0);
  CHECK(run("system set", {"--data-dir", d, "--code", "BS-MOTCUA", "--dossier-decision", "89/QĐ-UBND", "--dossier-date", "2023-02-01"}) == 0);
  CHECK_THROWS_WITH_AS(run("system set", {"--data-dir", d, "--code", "BS-NEW", "--level", "2"}),
                       doctest::Contains("--unit"), util::ArgsError);
  {
    auto c = db();
    auto m = loadOrg(*c);
    REQUIRE(m.systems.size() == 1);
    CHECK(m.systems[0].shared);
    CHECK(m.systems[0].level == 2);
    CHECK(m.systems[0].nameVi == "Một cửa điện tử");
    CHECK(m.systems[0].dossierApprovedDay == util::parseDate("2023-02-01"));
    auto audit = listAudit(*c, "system:BS-MOTCUA");
    REQUIRE(audit.size() == 2);  // the repeated set changed nothing and wrote no row
    CHECK(audit[0].action == "system.set");
    CHECK(audit[0].before.find("\"dossier_date\":null") != std::string::npos);
    CHECK(audit[0].after.find("\"dossier_date\":\"2023-02-01\"") != std::string::npos);
  }
  CHECK(run("system set", {"--data-dir", d, "--code", "BS-MOTCUA", "--shared", "no"}) == 0);
  CHECK_FALSE(loadOrg(*db()).systems[0].shared);

  // show: the whole tree, one subtree, and a code seen only in reports.
  CHECK(run("org show", {"--data-dir", d}) == 0);
  CHECK(run("org show", {"--data-dir", d, "--unit", "BS", "--lang", "en"}) == 0);
  CHECK(run("org show", {"--data-dir", d, "--unit", "UNKNOWN-1"}) == 0);
}
