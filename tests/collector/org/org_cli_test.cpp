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
                       doctest::Contains("--reference"), util::ArgsError);
  CHECK_THROWS_AS(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "5", "--reference", "X"}), util::ArgsError);
  CHECK_THROWS_WITH_AS(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "3", "--reference", "X", "--date", "2025-02-30"}),
                       doctest::Contains("--date"), util::ArgsError);
  CHECK_THROWS_WITH_AS(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "2", "--reference", "VNPT"}),
                       doctest::Contains("--until"), util::ArgsError);
  CHECK(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "3", "--reference", "Trung tâm CNTT", "--document", "12/BC", "--date", "2025-06-01"}) == 0);
  CHECK(run("layer set", {"--data-dir", d, "--unit", "BS", "--layer", "3", "--period-months", "24"}) == 0);
  {
    auto db = openDatabase(dir.path());
    const auto* l3 = loadOrg(*db).findLayer("BS", 3);
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
  CHECK(run("system add", {"--data-dir", d, "--code", "BS-QLVB", "--unit", "BS", "--name-vi", "Quản lý văn bản", "--level", "3", "--shared",
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
