// The exports through LibreOffice (libreoffice --headless --convert-to), the way an
// auditor's spreadsheet reads them: the XLSX export converted to CSV, and the CSV export
// converted to XLSX and back, keep commas, quotes, newlines and Vietnamese diacritics, and
// every date reads as the same day whatever the spreadsheet's locale. The exporting
// collector runs on a pinned clock (faketime, 6 December 2026) and the reports carry fixed
// times whose day is 12 or less, so a day/month mix-up cannot pass by luck.
// Each run uses a private LibreOffice profile, so parallel runs do not collide.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "collector/export/csv.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/collector/export/export_fixture.h"
#include "tests/collector/export/xlsx_reader.h"
#include "tests/support/faketime.h"

using namespace posture;
namespace fs = std::filesystem;

namespace {
using Rows = std::vector<std::vector<std::string>>;

// UTF-8, comma, double quote, first line 1, then the locale (LCID) the spreadsheet reads
// numbers and dates with; for export: "save as shown", and every sheet (-1) to its own
// FILE-SHEET.csv.
std::string csvImport(int lcid) { return "Text - txt - csv (StarCalc):44,34,76,1,," + std::to_string(lcid); }
constexpr const char* kCsvExportAllSheets =
    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1";
// en-US reads a slashed date month first, vi-VN and en-GB day first, de-DE not at all.
constexpr std::pair<int, const char*> kLocales[] = {
    {1033, "en-US"}, {1066, "vi-VN"}, {2057, "en-GB"}, {1031, "de-DE"}};

std::string office() {
  for (const char* name : {"libreoffice", "soffice"}) {
    std::string path = util::findExecutable(name);
    if (!path.empty()) return path;
  }
  return {};
}

struct Office {
  test::TempDir profile{"posture-lo-profile-"};
  std::string bin = office();
  double seconds = 0;  // total conversion time, reported at the end

  // Converts `in` into `outDir`; returns the produced files.
  std::vector<fs::path> convert(const fs::path& in, const std::string& to, const fs::path& outDir,
                                const std::string& infilter = {}) {
    fs::create_directories(outDir);
    // runProcess gives children the C locale, in which LibreOffice cannot write file names
    // with Vietnamese letters (the per-sheet CSV files are named after the sheets).
    std::vector<std::string> argv = {
        "env",        "LC_ALL=C.UTF-8",
        bin,          "-env:UserInstallation=file://" + profile.path().string(),
        "--headless", "--norestore"};
    if (!infilter.empty()) argv.push_back("--infilter=" + infilter);
    for (std::string a :
         {std::string("--convert-to"), to, std::string("--outdir"), outDir.string(), in.string()}) {
      argv.push_back(a);
    }
    auto start = std::chrono::steady_clock::now();
    auto r = util::runProcess(argv, std::chrono::seconds(300));
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    seconds += s;
    MESSAGE("LibreOffice " << in.filename().string() << " -> " << to.substr(0, to.find(':')) << ": "
                           << s << " s");
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(util::succeeded(r));
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(outDir)) out.push_back(e.path());
    REQUIRE_FALSE(out.empty());
    return out;
  }
};

// The collector on a clock pinned at test::kPinnedNow (6 December 2026, 12:36:05 UTC+7).
util::ProcessResult runCollector(std::vector<std::string> args) {
  REQUIRE_MESSAGE(!util::findExecutable("faketime").empty(),
                  "faketime is not installed (scripts/install-deps.sh installs it)");
  // libfaketime is preloaded; under AddressSanitizer that needs two options.
  std::string asan = test::asanOptionsUnderFaketime();
  // kPinnedNow in UTC, the zone faketime is given.
  std::vector<std::string> argv = {"env",      "TZ=UTC", "ASAN_OPTIONS=" + asan,
                                   "faketime", "-f",     "@2026-12-06 05:36:05",
                                   POSTURE_COLLECTOR_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return util::runProcess(argv, std::chrono::seconds(60));
}

// With the Bình Sơn policy only, to keep the workbook small.
fs::path exportTo(const test::ExportFixture& fx, const std::string& format,
                  const std::vector<std::string>& extra = {}) {
  fs::path policies = fx.path("policies");
  fs::create_directories(policies);
  fs::copy_file(fs::path(POSTURE_SOURCE_DIR) / "policies/binh-son-2022.yaml",
                policies / "binh-son-2022.yaml", fs::copy_options::overwrite_existing);
  fs::path out = fx.path("danh-sach." + format);
  std::vector<std::string> args = {"export",   "--data-dir", fx.data.string(),
                                   "--policies", policies.string(), "--format",
                                   format,     "--out",      out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = runCollector(args);
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  return out;
}

Rows readCsv(const fs::path& p) {
  auto text = util::readFile(p);
  REQUIRE(text.has_value());
  return collector::parseCsv(*text);
}

const fs::path& endingWith(const std::vector<fs::path>& files, const std::string& suffix) {
  for (const auto& f : files) {
    if (f.filename().string().ends_with(suffix)) return f;
  }
  std::string names;
  for (const auto& f : files) names += " '" + f.filename().string() + "'";
  FAIL("no converted file ending with " << suffix << " among" << names);
  return files.front();
}

// "2026-12-03 09:07:05" or "2026-12-03": the ISO 8601 forms the CSV export writes, in
// Vietnam time. Returns the spreadsheet serial of that wall time (days since 1899-12-30).
std::optional<double> isoSerial(const std::string& cell) {
  static const std::regex iso(R"((\d{4}-\d{2}-\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?)");
  std::smatch m;
  if (!std::regex_match(cell, m, iso)) return std::nullopt;
  auto day = util::parseDate(m[1].str());
  if (!day) return std::nullopt;
  double s = m[2].matched ? std::stoi(m[2]) * 3600 + std::stoi(m[3]) * 60 + std::stoi(m[4]) : 0;
  return static_cast<double>(*day) + 25569.0 + s / util::kSecondsPerDay;
}

// The same value: the same text, or a Vietnamese decimal number ("5,57") that a
// decimal-comma locale (vi-VN, de-DE) read as the number it is and wrote back with a point.
bool sameValue(const std::string& got, const std::string& want) {
  if (got == want) return true;
  static const std::regex decimal(R"(-?\d+,\d{1,2})");
  if (!std::regex_match(want, decimal)) return false;
  std::string point = want;
  point[point.find(',')] = '.';
  try {
    std::size_t used = 0;
    double g = std::stod(got, &used);
    return used == got.size() && std::fabs(g - std::stod(point)) < 1e-9;
  } catch (const std::exception&) {
    return false;
  }
}

// Every cell the same value (a spreadsheet pads short rows with empty cells); the first
// difference is reported.
bool sameRows(const Rows& got, const Rows& want) {
  if (got.size() != want.size()) {
    MESSAGE("rows: " << got.size() << " != " << want.size());
    return false;
  }
  for (std::size_t r = 0; r < got.size(); ++r) {
    for (std::size_t c = 0; c < std::max(got[r].size(), want[r].size()); ++c) {
      std::string g = c < got[r].size() ? got[r][c] : "";
      std::string w = c < want[r].size() ? want[r][c] : "";
      if (!sameValue(g, w)) {
        MESSAGE("row " << r << " cell " << c << ": '" << g << "' != '" << w << "'");
        return false;
      }
    }
  }
  return true;
}

// The dd/mm/yyyy hh:mm the XLSX export's date cells show, from the CSV's ISO cell.
std::string shownAs(const std::string& iso) {
  return iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4) + " " +
         iso.substr(11, 5);
}

const std::vector<std::string>* rowOf(const Rows& rows, const std::string& agentId) {
  for (const auto& r : rows) {
    if (r.size() > 2 && r[2] == agentId) return &r;
  }
  return nullptr;
}
}  // namespace

TEST_CASE("LibreOffice round trip of the XLSX and CSV exports keeps the tricky text and dates") {
  REQUIRE_MESSAGE(!office().empty(),
                  "LibreOffice is not installed (scripts/install-deps.sh: libreoffice-calc-nogui)");
  test::ExportFixture fx;
  fx.report("a1", "BS-TC", test::kTrickyHostname, 1, test::kDayTwelveOrLess, false,
            test::kDayTwelveOrLess - 65);
  fx.report("a2", "BS-TC", "pc-02, \"máy chủ\"", 1, test::kMonthEnd, true);
  fx.report("a3", "DC", "pc-03", 1, test::kNewYear, true);
  REQUIRE(util::formatIso8601(test::kPinnedNow) == "2026-12-06T05:36:05Z");
  fs::path xlsx = exportTo(fx, "xlsx");
  fs::path csv = exportTo(fx, "csv");
  Rows original = readCsv(csv);
  REQUIRE(original.size() == 4);
  const auto& header = original[0];
  // The pinned report times, as the CSV writes them.
  CHECK((*rowOf(original, "a1"))[5] == "2026-12-03 09:07:05");
  CHECK((*rowOf(original, "a1"))[6] == "2026-12-03 09:06:00");
  CHECK((*rowOf(original, "a2"))[5] == "2026-11-30 23:59:59");
  CHECK((*rowOf(original, "a3"))[5] == "2026-01-01 00:00:05");
  Office lo;

  SUBCASE("XLSX export -> CSV: every sheet opens; the endpoints sheet matches the CSV export") {
    auto files = lo.convert(xlsx, kCsvExportAllSheets, fx.path("xlsx-to-csv"));
    CHECK(files.size() >= 3);  // About, at least one target, endpoints
    Rows endpoints = readCsv(endingWith(files, "Endpoints.csv"));
    REQUIRE(endpoints.size() == original.size());
    CHECK(endpoints[0] == header);  // the time columns name their zone in both
    // Text and check results: identical to the CSV export. Times are date cells that
    // LibreOffice shows dd/mm/yyyy hh:mm: the same day and minute as the CSV's ISO text.
    // (Number facts are numeric cells, shown unrounded; the CSV rounds them.)
    std::size_t firstCheck = 0;
    while (header[firstCheck].find("[binh-son-2022/") == std::string::npos) ++firstCheck;
    for (const char* agent : {"a1", "a2", "a3"}) {
      CAPTURE(agent);
      const auto* want = rowOf(original, agent);
      const auto* got = rowOf(endpoints, agent);
      REQUIRE(want);
      REQUIRE(got);
      for (std::size_t c = 0; c < header.size(); ++c) {
        if (c >= 8 && c < firstCheck) continue;
        CAPTURE(header[c]);
        CHECK((*got)[c] == (c == 5 || c == 6 ? shownAs((*want)[c]) : (*want)[c]));
      }
    }
    CHECK((*rowOf(endpoints, "a1"))[5] == "03/12/2026 09:07");
    CHECK((*rowOf(endpoints, "a1"))[1] == test::kTrickyHostname);
    CHECK((*rowOf(endpoints, "a1"))[3] == test::kTrickyUnitName);
    CHECK((*rowOf(endpoints, "a2"))[1] == "pc-02, \"máy chủ\"");

    Rows about = readCsv(endingWith(files, "About.csv"));
    bool document = false, ca = false, generated = false;
    for (const auto& r : about) {
      document |= r.size() >= 2 && r[0] == "Tài liệu / Document" &&
                  r[1] == "Danh sách tuân thủ an toàn thông tin";
      ca |= r.size() >= 2 && r[1] == fx.identity.caFingerprint;
      generated |= r.size() >= 2 && r[0] == "Thời điểm xuất (UTC+7) / Generated at (UTC+7)" &&
                   r[1] == "06/12/2026 12:36:05";
    }
    CHECK(document);
    CHECK(ca);
    CHECK(generated);
    bool trickyUnitInSummary = false;
    for (const auto& f : files) {
      if (!f.filename().string().starts_with("danh-sach-CT")) continue;
      for (const auto& r : readCsv(f))
        trickyUnitInSummary |= r.size() > 1 && r[1] == test::kTrickyUnitName;
    }
    CHECK(trickyUnitInSummary);
  }

  SUBCASE("CSV export -> XLSX -> CSV in four locales: dates are real and the same day; every cell comes back identical") {
    fs::path withMeta = exportTo(fx, "csv", {"--csv-metadata"});
    Rows meta = readCsv(withMeta);
    bool generated = false;
    for (const auto& r : meta)
      generated |= r.size() == 2 && r[0] == "Thời điểm xuất (UTC+7) / Generated at (UTC+7)" &&
                   r[1] == "2026-12-06 12:36:05";
    CHECK(generated);
    for (const auto& [lcid, name] : kLocales) {
      std::string locale = name;
      CAPTURE(locale);
      fs::path dir = fx.path(std::string("csv-to-xlsx-") + locale);
      auto toXlsx = lo.convert(withMeta, "xlsx", dir, csvImport(lcid));
      const fs::path& book = endingWith(toXlsx, ".xlsx");
      test::XlsxReader reader(*util::readFile(book));
      REQUIRE(reader.sheetNames().size() == 1);
      Rows cells = reader.rows(reader.sheetNames()[0]);
      REQUIRE(cells.size() == meta.size());
      int dates = 0;
      for (std::size_t r = 0; r < meta.size(); ++r) {
        CAPTURE(r);
        auto row = cells[r];
        row.resize(meta[r].size());
        for (std::size_t c = 0; c < meta[r].size(); ++c) {
          CAPTURE(meta[r][c]);
          if (auto serial = isoSerial(meta[r][c])) {
            // A real date cell holding the same instant (to the second).
            ++dates;
            REQUIRE_FALSE(row[c].empty());
            CHECK(std::fabs(std::stod(row[c]) - *serial) < 0.5 / util::kSecondsPerDay);
          } else {
            CHECK(sameValue(row[c], meta[r][c]));
          }
        }
      }
      CHECK(dates == 2 + 2 * 3);  // generated and evaluated at; two times per endpoint
      auto back = lo.convert(book, kCsvExportAllSheets, dir / "back");
      REQUIRE(back.size() == 1);
      Rows again = readCsv(back[0]);
      CHECK(sameRows(again, meta));
      CHECK((*rowOf(again, "a1"))[1] == test::kTrickyHostname);
      CHECK((*rowOf(again, "a1"))[3] == test::kTrickyUnitName);
      CHECK((*rowOf(again, "a1"))[5] == "2026-12-03 09:07:05");
    }
  }

  SUBCASE("control: the old dd/mm/yyyy form reads as another day in a month-first locale") {
    // Why the export stopped writing it; and proof that this test tells the two apart.
    fs::path old = fx.path("old-form.csv");
    util::writeFileAtomic(old, "t\r\n03/12/2026 09:07\r\n2026-12-03 09:07:05\r\n");
    auto serialIn = [&](int lcid, const std::string& name) {
      auto out = lo.convert(old, "xlsx", fx.path(name), csvImport(lcid));
      Rows cells = test::XlsxReader(*util::readFile(endingWith(out, ".xlsx")))
                       .rows("old-form");
      REQUIRE(cells.size() == 3);
      return std::make_pair(cells[1][0], cells[2][0]);
    };
    auto us = serialIn(1033, "old-en-US");
    auto vn = serialIn(1066, "old-vi-VN");
    CHECK(std::floor(std::stod(us.first)) == 46093);  // 12 March 2026
    CHECK(std::floor(std::stod(vn.first)) == 46359);  // 3 December 2026
    CHECK(std::floor(std::stod(us.second)) == 46359);
    CHECK(std::floor(std::stod(vn.second)) == 46359);
  }
  MESSAGE("LibreOffice conversions took " << lo.seconds << " s in all");
}
