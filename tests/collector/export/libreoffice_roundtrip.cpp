// The exports through LibreOffice (libreoffice --headless --convert-to), the way an
// auditor's spreadsheet reads them: the XLSX export converted to CSV, and the CSV export
// converted to XLSX and back, keep commas, quotes, newlines and Vietnamese diacritics.
// Each run uses a private LibreOffice profile, so parallel runs do not collide.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

#include "collector/export/csv.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/collector/export/export_fixture.h"
#include "tests/collector/export/xlsx_reader.h"

using namespace posture;
namespace fs = std::filesystem;

namespace {
using Rows = std::vector<std::vector<std::string>>;

// UTF-8, comma, double quote, first line 1; for export: "save as shown", and every sheet
// (-1) to its own FILE-SHEET.csv.
constexpr const char* kCsvImport = "Text - txt - csv (StarCalc):44,34,76,1";
constexpr const char* kCsvExportAllSheets =
    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1";

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

util::ProcessResult runCollector(std::vector<std::string> args) {
  args.insert(args.begin(), POSTURE_COLLECTOR_BIN);
  return util::runProcess(args, std::chrono::seconds(60));
}

// With the Bình Sơn policy only, to keep the workbook small.
fs::path exportTo(const test::ExportFixture& fx, const std::string& format) {
  fs::path policies = fx.path("policies");
  fs::create_directories(policies);
  fs::copy_file(fs::path(POSTURE_SOURCE_DIR) / "policies/binh-son-2022.yaml",
                policies / "binh-son-2022.yaml", fs::copy_options::overwrite_existing);
  fs::path out = fx.path("danh-sach." + format);
  auto r = runCollector({"export", "--data-dir", fx.data.string(), "--policies", policies.string(),
                         "--format", format, "--out", out.string()});
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

const std::vector<std::string>* rowOf(const Rows& rows, const std::string& agentId) {
  for (const auto& r : rows) {
    if (r.size() > 2 && r[2] == agentId) return &r;
  }
  return nullptr;
}
}  // namespace

TEST_CASE("LibreOffice round trip of the XLSX and CSV exports keeps the tricky text") {
  REQUIRE_MESSAGE(!office().empty(),
                  "LibreOffice is not installed (scripts/install-deps.sh: libreoffice-calc-nogui)");
  test::ExportFixture fx;
  fx.report("a1", "BS-TC", test::kTrickyHostname, 1, test::noonDaysAgo(1), false);
  fx.report("a2", "BS-TC", "pc-02, \"máy chủ\"", 1, test::noonDaysAgo(2), true);
  fx.report("a3", "DC", "pc-03", 1, test::noonDaysAgo(1), true);
  fs::path xlsx = exportTo(fx, "xlsx");
  fs::path csv = exportTo(fx, "csv");
  Rows original = readCsv(csv);
  REQUIRE(original.size() == 4);
  const auto& header = original[0];
  Office lo;

  SUBCASE("XLSX export -> CSV: every sheet opens; the endpoints sheet matches the CSV export") {
    auto files = lo.convert(xlsx, kCsvExportAllSheets, fx.path("xlsx-to-csv"));
    CHECK(files.size() >= 3);  // About, at least one target, endpoints
    Rows endpoints = readCsv(endingWith(files, "Endpoints.csv"));
    REQUIRE(endpoints.size() == original.size());
    // Headers: the same bilingual text, the time columns saying their zone.
    for (std::size_t c = 0; c < header.size(); ++c) {
      CAPTURE(c);
      CHECK(endpoints[0][c] == (c == 5 || c == 6 ? header[c] + " (UTC+7)" : header[c]));
    }
    // Text, times shown dd/mm/yyyy hh:mm and check results: identical to the CSV export.
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
        CHECK((*got)[c] == (*want)[c]);
      }
    }
    CHECK((*rowOf(endpoints, "a1"))[1] == test::kTrickyHostname);
    CHECK((*rowOf(endpoints, "a1"))[3] == test::kTrickyUnitName);
    CHECK((*rowOf(endpoints, "a2"))[1] == "pc-02, \"máy chủ\"");

    Rows about = readCsv(endingWith(files, "About.csv"));
    bool document = false, ca = false;
    for (const auto& r : about) {
      document |= r.size() >= 2 && r[0] == "Tài liệu / Document" &&
                  r[1] == "Danh sách tuân thủ an toàn thông tin";
      ca |= r.size() >= 2 && r[1] == fx.identity.caFingerprint;
    }
    CHECK(document);
    CHECK(ca);
    bool trickyUnitInSummary = false;
    for (const auto& f : files) {
      if (!f.filename().string().starts_with("danh-sach-CT")) continue;
      for (const auto& r : readCsv(f))
        trickyUnitInSummary |= r.size() > 1 && r[1] == test::kTrickyUnitName;
    }
    CHECK(trickyUnitInSummary);
  }

  SUBCASE("CSV export -> XLSX -> CSV: every cell comes back identical") {
    auto toXlsx = lo.convert(csv, "xlsx", fx.path("csv-to-xlsx"), kCsvImport);
    const fs::path& book = endingWith(toXlsx, ".xlsx");
    test::XlsxReader reader(*util::readFile(book));
    REQUIRE(reader.sheetNames().size() == 1);
    Rows cells = reader.rows(reader.sheetNames()[0]);
    REQUIRE(cells.size() == original.size());
    for (std::size_t r = 0; r < original.size(); ++r) {
      CAPTURE(r);
      auto row = cells[r];
      row.resize(original[r].size());
      CHECK(row == original[r]);
    }
    auto back = lo.convert(book, kCsvExportAllSheets, fx.path("xlsx-to-csv-again"));
    REQUIRE(back.size() == 1);
    Rows again = readCsv(back[0]);
    CHECK(again == original);
    CHECK((*rowOf(again, "a1"))[1] == test::kTrickyHostname);
    CHECK((*rowOf(again, "a1"))[3] == test::kTrickyUnitName);
  }
  MESSAGE("LibreOffice conversions took " << lo.seconds << " s in all");
}
