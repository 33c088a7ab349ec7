// The XLSX export read back from its zip: an About sheet with the metadata, one summary
// sheet per target, the endpoints sheet with bilingual headers, and text that keeps its
// commas, quotes, newlines and diacritics.
#include "collector/export/xlsx.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "collector/export/export.h"
#include "tests/collector/export/export_fixture.h"
#include "tests/collector/export/xlsx_reader.h"

using namespace posture;
using namespace posture::collector;

namespace {
// On a pinned clock (6 December 2026), with report times whose day is 12 or less, a
// month's end and a year's first seconds.
ComplianceExport sample(test::ExportFixture& fx, ExportFilters f = {}) {
  fx.report("a1", "BS-TC", test::kTrickyHostname, 1, test::kDayTwelveOrLess, false,
            test::kDayTwelveOrLess - 65);
  fx.report("a2", "BS-TC", "pc-02", 1, test::kMonthEnd, true);
  fx.report("a3", "DC", "pc-03", 1, test::kNewYear, true);
  auto policies = std::make_shared<const std::vector<policy::Policy>>(
      std::vector<policy::Policy>{policy::loadPolicyFile(std::filesystem::path(POSTURE_SOURCE_DIR) /
                                                         "policies/binh-son-2022.yaml")});
  return buildComplianceExport(*fx.db, policies, f, fx.identity.caFingerprint, test::kPinnedNow);
}

// The spreadsheet serial of a Unix time shown in Vietnam time (days since 1899-12-30).
double serialOf(std::int64_t unix) {
  return static_cast<double>(unix + util::kVietnamOffsetSeconds) / util::kSecondsPerDay + 25569.0;
}

std::string cellAt(const std::map<std::pair<int, int>, std::string>& cells, int r, int c) {
  auto it = cells.find({r, c});
  return it == cells.end() ? std::string() : it->second;
}
}  // namespace

TEST_CASE("XLSX: About, one sheet per target, endpoints; bilingual; tricky text intact") {
  test::ExportFixture fx;
  auto e = sample(fx);
  std::string bytes = renderXlsx(e);
  REQUIRE(bytes.starts_with("PK"));
  test::XlsxReader book(bytes);

  auto names = book.sheetNames();
  REQUIRE(names.size() == 2 + e.targets.size());
  CHECK(names.front() == kXlsxAboutSheet);
  CHECK(names.back() == kXlsxEndpointsSheet);
  for (std::size_t i = 0; i < e.targets.size(); ++i) {
    CHECK(names[i + 1] == xlsxTargetSheetName(i, e.targets[i]));
    CHECK(names[i + 1].size() <= 31);
  }

  // About: every metadata line, label and value; times are real date cells.
  auto about = book.rows(kXlsxAboutSheet);
  auto aboutFormats = book.numberFormats(kXlsxAboutSheet);
  auto lines = metadataLines(e);
  int timeLines = 0;
  for (const auto& l : lines) {
    CAPTURE(l.label);
    auto r = std::find_if(about.begin(), about.end(),
                          [&](const auto& r) { return r.size() >= 2 && r[0] == l.label; });
    REQUIRE(r != about.end());
    if (l.instant) {
      ++timeLines;
      CHECK(std::stod((*r)[1]) == doctest::Approx(serialOf(*l.instant)).epsilon(1e-12));
      CHECK(aboutFormats[{static_cast<int>(r - about.begin()), 1}] == "dd/mm/yyyy hh:mm:ss");
    } else {
      CHECK((*r)[1] == l.value);
    }
  }
  CHECK(timeLines == 2);  // generated at, evaluated at
  CHECK(std::any_of(lines.begin(), lines.end(), [](const MetadataLine& l) {
    return l.label == "Thời điểm xuất (UTC+7) / Generated at (UTC+7)" &&
           l.value == "2026-12-06 12:36:05";
  }));
  bool policyLine = std::any_of(about.begin(), about.end(), [](const auto& r) {
    return r.size() >= 2 && r[1].starts_with("binh-son-2022 v2");
  });
  CHECK(policyLine);

  // A target sheet: header row 7, then one row per unit and the fleet.
  std::size_t share = 0;
  while (e.targets[share].targetId != "endpoints-protected-share") ++share;
  auto cells = book.cells(names[share + 1]);
  CHECK(cellAt(cells, 0, 0).find("Tỷ lệ thiết bị đầu cuối được cài đặt giải pháp bảo vệ") !=
        std::string::npos);
  CHECK(cellAt(cells, 0, 0).find("Share of endpoints with a protection solution") !=
        std::string::npos);
  CHECK(cellAt(cells, 1, 1) == "binh-son-2022 v2 / endpoints-protected-share");
  CHECK(cellAt(cells, 6, 0) == "Đơn vị / Unit");
  CHECK(cellAt(cells, 6, 4) == "Tỷ lệ / Value");
  CHECK(cellAt(cells, 6, 9) == "Kết quả / Result");
  const auto& rows = e.targets[share].rows;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    int r = 7 + static_cast<int>(i);
    CHECK(cellAt(cells, r, 0) == (rows[i].unitCode.empty() ? "TOÀN BỘ" : rows[i].unitCode));
    CHECK(std::stod(cellAt(cells, r, 3)) == rows[i].total);
    CHECK(cellAt(cells, r, 9) == std::string(policy::targetStatusName(rows[i].status, true)));
  }
  auto tc = std::find_if(rows.begin(), rows.end(), [](auto& r) { return r.unitCode == "BS-TC"; });
  REQUIRE(tc != rows.end());
  int tcRow = 7 + static_cast<int>(tc - rows.begin());
  CHECK(cellAt(cells, tcRow, 1) == test::kTrickyUnitName);
  CHECK(std::stod(cellAt(cells, tcRow, 4)) == doctest::Approx(0.5));  // 50 %, a percent cell
  CHECK(std::stod(cellAt(cells, tcRow, 5)) == doctest::Approx(1.0));  // milestone 100 %

  // Endpoints: the CSV header (the time columns name their zone), tricky text.
  auto ep = book.rows(kXlsxEndpointsSheet);
  auto header = endpointHeader(e);
  REQUIRE(ep.size() == e.endpoints.size() + 1);
  REQUIRE(ep[0].size() == header.size());
  CHECK(ep[0] == header);
  CHECK(header[5] == "Báo cáo lần cuối (UTC+7) / Last report (UTC+7)");
  CHECK(header[6] == "Thời điểm thu thập (UTC+7) / Collected at (UTC+7)");
  auto a1 =
      std::find_if(ep.begin(), ep.end(), [](auto& r) { return r.size() > 2 && r[2] == "a1"; });
  REQUIRE(a1 != ep.end());
  CHECK((*a1)[1] == test::kTrickyHostname);
  CHECK((*a1)[3] == test::kTrickyUnitName);
  std::size_t check = 8 + e.facts.size();
  CHECK((*a1)[check] == "Chưa đạt");
  // Times are real date cells (days since 1899-12-30) in Vietnam time, shown dd/mm/yyyy hh:mm,
  // so a spreadsheet sorts and filters them as dates.
  auto formats = book.numberFormats(kXlsxEndpointsSheet);
  for (const auto& expected : std::vector<std::pair<std::string, std::int64_t>>{
           {"a1", test::kDayTwelveOrLess}, {"a2", test::kMonthEnd}, {"a3", test::kNewYear}}) {
    // Named copies, not a structured binding: clang 14 cannot capture one in a lambda.
    const std::string& agent = expected.first;
    const std::int64_t received = expected.second;
    CAPTURE(agent);
    auto row =
        std::find_if(ep.begin(), ep.end(), [&](auto& r) { return r.size() > 2 && r[2] == agent; });
    REQUIRE(row != ep.end());
    int r = static_cast<int>(row - ep.begin());
    CHECK(std::stod((*row)[5]) == doctest::Approx(serialOf(received)).epsilon(1e-12));
    CHECK(formats[{r, 5}] == "dd/mm/yyyy hh:mm");
    CHECK(formats[{r, 6}] == "dd/mm/yyyy hh:mm");
  }
  CHECK(std::stod((*a1)[6]) == doctest::Approx(serialOf(test::kDayTwelveOrLess - 65)).epsilon(1e-12));
  // 3 December is day 46359 (3.0 < fraction), never 12 March (46093).
  CHECK(std::floor(std::stod((*a1)[5])) == 46359);
}

TEST_CASE("XLSX: the unit filter shows in About and leaves other units out") {
  test::ExportFixture fx;
  ExportFilters f;
  f.unitCode = "DC";
  f.vietnamese = false;
  auto e = sample(fx, f);
  test::XlsxReader book(renderXlsx(e));
  auto ep = book.rows(kXlsxEndpointsSheet);
  REQUIRE(ep.size() == 2);
  CHECK(ep[1][0] == "DC");
  CHECK(ep[1][3] == "Duc Co district");
  auto about = book.rows(kXlsxAboutSheet);
  bool unitLine = std::any_of(about.begin(), about.end(), [](const auto& r) {
    return r.size() >= 2 && r[0] == "Phạm vi đơn vị / Unit filter" &&
           r[1] == "DC — Duc Co district (with its subtree)";
  });
  CHECK(unitLine);
}

TEST_CASE("XLSX sheet names follow Excel's rules") {
  ExportTarget t;
  t.policyId = "a-very-long-policy-identifier-2024";
  t.targetId = "x/y:z";
  CHECK(xlsxTargetSheetName(11, t) == "CT12 x_y_z");
  t.targetId = "a-target-id-much-longer-than-thirty-one-characters";
  auto name = xlsxTargetSheetName(11, t);
  CHECK(name.size() == 31);
  CHECK(name.starts_with("CT12 a-target-id"));
  CHECK(name.find_first_of("[]:*?/\\'") == std::string::npos);
}
