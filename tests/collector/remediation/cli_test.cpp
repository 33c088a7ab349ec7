// `posture-collector remediation`: its files in each format and language, and its refusals.
#include "collector/remediation/cli.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "collector/export/csv.h"
#include "common/util/args.h"
#include "common/util/files.h"
#include "tests/collector/export/export_fixture.h"

using namespace posture;
using namespace posture::collector;

namespace {
int run(std::vector<std::string> argv) {
  for (const auto& c : remediationCommands()) {
    if (c.words == std::vector<std::string>{"remediation"}) return c.run(argv);
  }
  FAIL("no remediation command");
  return -1;
}

std::string policies() { return (std::filesystem::path(POSTURE_SOURCE_DIR) / "policies").string(); }
}  // namespace

TEST_CASE("remediation command: CSV, text and XLSX of a unit; bad options name themselves") {
  test::ExportFixture fx;
  fx.report("a1", "BS-TC", "pc-01", 1, test::noonDaysAgo(1), false);
  fx.report("a2", "BS", "pc-02", 1, test::noonDaysAgo(1), true);
  fx.report("a4", "DC", "pc-04", 1, test::noonDaysAgo(1), false);
  fx.db.reset();
  std::string d = fx.data.string();
  std::vector<std::string> base = {"--data-dir", d, "--policies", policies(), "--unit", "BS"};
  auto with = [&](std::vector<std::string> more) {
    auto v = base;
    v.insert(v.end(), more.begin(), more.end());
    return v;
  };

  auto csvPath = fx.path("list.csv");
  REQUIRE(run(with({"--format", "csv", "--out", csvPath.string()})) == 0);
  auto csv = util::readFile(csvPath);
  REQUIRE(csv);
  CHECK(csv->starts_with("\xEF\xBB\xBF"));
  auto rows = parseCsv(*csv);
  REQUIRE(rows.size() >= 3);
  CHECK(rows[0][0] == "Việc cần làm / Action");
  bool antivirus = false, outside = false;
  for (const auto& r : rows) {
    antivirus |= r[1] == "antivirus" && r[4] == "pc-01" && r[0] == "Cài đặt hoặc bật phần mềm phòng, chống mã độc";
    outside |= r[4] == "pc-04";  // DC is not under BS
  }
  CHECK(antivirus);
  CHECK_FALSE(outside);

  auto textPath = fx.path("list.txt");
  REQUIRE(run(with({"--format", "text", "--lang", "en", "--out", textPath.string()})) == 0);
  auto text = util::readFile(textPath);
  REQUIRE(text);
  CHECK(text->find("Đơn vị / Unit: BS — Binh Son district (with its subtree)") != std::string::npos);
  CHECK(text->find("== Install or enable anti-malware (1) ==") != std::string::npos);
  CHECK(text->find("pc-01  [BS-TC]  Real-time protection off (BKAV Pro)") != std::string::npos);
  CHECK(text->find("Limit: 7 days (binh-son-2022/endpoint-protected)") != std::string::npos);

  auto xlsxPath = fx.path("list.xlsx");
  REQUIRE(run(with({"--format", "xlsx", "--out", xlsxPath.string()})) == 0);
  auto xlsx = util::readFile(xlsxPath);
  REQUIRE(xlsx);
  CHECK(xlsx->starts_with("PK"));

  CHECK_THROWS_WITH_AS(run({"--data-dir", d, "--policies", policies(), "--unit", "NOPE"}),
                       doctest::Contains("--unit"), util::ArgsError);
  CHECK_THROWS_WITH_AS(run(with({"--format", "pdf", "--out", csvPath.string()})),
                       doctest::Contains("--format"), util::ArgsError);
  CHECK_THROWS_WITH_AS(run(with({"--format", "csv"})), doctest::Contains("--out"), util::ArgsError);
}
