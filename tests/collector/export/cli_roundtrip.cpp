// `posture-collector export` and `export verify` as a user runs them, with the real binary
// on a data directory built through the library.
#include <doctest/doctest.h>

#include <filesystem>

#include "collector/export/csv.h"
#include "common/util/json.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/collector/export/export_fixture.h"
#include "tests/collector/export/xlsx_reader.h"

using namespace posture;
namespace fs = std::filesystem;

namespace {
util::ProcessResult runCollector(std::vector<std::string> args) {
  args.insert(args.begin(), POSTURE_COLLECTOR_BIN);
  return util::runProcess(args, std::chrono::seconds(60));
}

std::vector<std::string> exportArgs(const test::ExportFixture& fx, const std::string& format,
                                    const fs::path& out) {
  return {"export",
          "--data-dir",
          fx.data.string(),
          "--policies",
          std::string(POSTURE_SOURCE_DIR) + "/policies",
          "--format",
          format,
          "--out",
          out.string()};
}
}  // namespace

TEST_CASE(
    "export csv|xlsx|json writes the file and its manifest; verify passes, then catches changes") {
  test::ExportFixture fx;
  fx.report("a1", "BS-TC", test::kTrickyHostname, 1, test::noonDaysAgo(1), true);
  fx.report("a2", "DC", "pc-02", 1, test::noonDaysAgo(1), false);
  for (std::string format : {"csv", "xlsx", "json"}) {
    CAPTURE(format);
    fs::path out = fx.path("danh-sach." + format);
    auto r = runCollector(exportArgs(fx, format, out));
    INFO(r.err);
    REQUIRE(r.exitCode == 0);
    CHECK(r.err.find("Đã xuất 2 thiết bị đầu cuối") != std::string::npos);
    REQUIRE(fs::exists(out));
    fs::path manifest = out;
    manifest += ".manifest.json";
    REQUIRE(fs::exists(manifest));

    auto v = runCollector(
        {"export", "verify", out.string(), "--ca-fingerprint", fx.identity.caFingerprint});
    INFO(v.out);
    CHECK(v.exitCode == 0);
    CHECK(v.out.find("VERDICT: VALID") != std::string::npos);
    CHECK(v.out.find("KẾT LUẬN: HỢP LỆ") != std::string::npos);
    // --data-dir pins the CA of that collector.
    CHECK(
        runCollector({"export", "verify", out.string(), "--data-dir", fx.data.string()}).exitCode ==
        0);
    // --manifest names a manifest kept elsewhere.
    fs::path moved = fx.path("elsewhere.json");
    fs::copy_file(manifest, moved, fs::copy_options::overwrite_existing);
    CHECK(runCollector({"export", "verify", out.string(), "--manifest", moved.string()}).exitCode ==
          0);

    auto wrong =
        runCollector({"export", "verify", out.string(), "--ca-fingerprint", std::string(64, 'a')});
    CHECK(wrong.exitCode == 1);
    CHECK(wrong.out.find("VERDICT: INVALID — wrong CA") != std::string::npos);

    std::string bytes = *util::readFile(out);
    bytes[bytes.size() - 2] = static_cast<char>(bytes[bytes.size() - 2] ^ 0x20);
    util::writeFileAtomic(out, bytes);
    auto altered = runCollector(
        {"export", "verify", out.string(), "--ca-fingerprint", fx.identity.caFingerprint});
    CHECK(altered.exitCode == 1);
    CHECK(altered.out.find("VERDICT: INVALID — the file was altered") != std::string::npos);
    CHECK(altered.out.find("tệp đã bị thay đổi") != std::string::npos);

    std::string m = *util::readFile(manifest);
    m.replace(m.find("\"row_count\": 2"), 14, "\"row_count\": 3");
    util::writeFileAtomic(manifest, m);
    auto edited = runCollector({"export", "verify", out.string()});
    CHECK(edited.exitCode == 1);
    CHECK(edited.out.find("the manifest was altered") != std::string::npos);
  }
}

TEST_CASE("export --unit and --as-of select the subtree and the day; the metadata says so") {
  test::ExportFixture fx;
  fx.report("a1", "BS-TC", "pc-01", 1, test::noonDaysAgo(5), true);
  fx.report("a1", "BS-TC", "pc-01", 2, test::noonDaysAgo(1), false);
  fx.report("a2", "DC", "pc-02", 1, test::noonDaysAgo(5), true);
  std::string day = util::formatDate(util::vietnamDay(util::unixNow()) - 3);
  fs::path out = fx.path("bs.json");
  auto args = exportArgs(fx, "json", out);
  for (std::string a : std::vector<std::string>{"--unit", "BS", "--as-of", day, "--lang", "en"})
    args.push_back(a);
  auto r = runCollector(args);
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  auto doc = util::parseJson(*util::readFile(out));
  CHECK(doc.at("meta").at("filters").at("unit").asString() == "BS");
  CHECK(doc.at("meta").at("filters").at("as_of").asString() == day);
  CHECK(doc.at("meta").at("filters").at("as_of_basis").asString() == "received");
  CHECK(doc.at("meta").at("filters").at("language").asString() == "en");
  REQUIRE(doc.at("endpoints").size() == 1);
  CHECK(doc.at("endpoints")
            .items()[0]
            .at("checks")
            .at("binh-son-2022/endpoint-protected")
            .asString() == "met");
  auto manifest = util::parseJson(*util::readFile(fx.path("bs.json.manifest.json")));
  CHECK(manifest.at("export") == doc.at("meta"));

  // The CSV can carry the metadata block; the XLSX always has its About sheet.
  fs::path csv = fx.path("meta.csv");
  auto c = exportArgs(fx, "csv", csv);
  c.push_back("--csv-metadata");
  REQUIRE(runCollector(c).exitCode == 0);
  auto rows = collector::parseCsv(*util::readFile(csv));
  CHECK(rows[0] ==
        std::vector<std::string>{"Tài liệu / Document", "Danh sách tuân thủ an toàn thông tin"});
}

TEST_CASE("export --format report-2290 writes the figures, machine rows only with --machines") {
  test::ExportFixture fx;
  fx.report("a1", "BS-TC", "pc-01", 1, test::noonDaysAgo(5), true);
  fx.report("a1", "BS-TC", "pc-01", 2, test::noonDaysAgo(1), false);
  fx.report("a2", "DC", "pc-02", 1, test::noonDaysAgo(1), true);
  fs::path out = fx.path("bao-cao-2290.json");
  auto r = runCollector(exportArgs(fx, "report-2290", out));
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(r.err.find("Đã xuất báo cáo 2290: 2 máy, 4 đơn vị") != std::string::npos);
  auto doc = util::parseJson(*util::readFile(out));
  CHECK(doc.find("machines") == nullptr);
  CHECK(doc.at("total").at("NumberMachine").asInt() == 2);
  CHECK(doc.at("total").at("AutoProtect").asInt() == 1);  // a1's latest report is off
  CHECK(doc.at("total").at("EnableFirewall").asInt() == 2);
  CHECK(doc.at("total").at("NumberMachineNotUpdateOn15Day").asInt() == 0);
  auto manifest = util::parseJson(*util::readFile(fx.path("bao-cao-2290.json.manifest.json")));
  CHECK(manifest.at("file").at("format").asString() == "report-2290");
  CHECK(manifest.at("export") == doc.at("meta"));

  auto v = runCollector(
      {"export", "verify", out.string(), "--ca-fingerprint", fx.identity.caFingerprint});
  INFO(v.out);
  CHECK(v.exitCode == 0);
  CHECK(v.out.find("VERDICT: VALID") != std::string::npos);
  std::string bytes = *util::readFile(out);
  auto at = bytes.find("\"AutoProtect\": 1");
  REQUIRE(at != std::string::npos);
  bytes[at + 15] = '2';
  util::writeFileAtomic(out, bytes);
  auto altered = runCollector(
      {"export", "verify", out.string(), "--ca-fingerprint", fx.identity.caFingerprint});
  CHECK(altered.exitCode == 1);
  CHECK(altered.out.find("VERDICT: INVALID — the file was altered") != std::string::npos);

  // --machines, --unit, --as-of and --lang: the subtree's rows as of that day, in English.
  std::string day = util::formatDate(util::vietnamDay(util::unixNow()) - 3);
  auto args = exportArgs(fx, "report-2290", out);
  for (std::string a : {"--machines", "--unit", "BS", "--as-of", day.c_str(), "--lang", "en"})
    args.push_back(a);
  auto m = runCollector(args);
  INFO(m.err);
  REQUIRE(m.exitCode == 0);
  doc = util::parseJson(*util::readFile(out));
  CHECK(doc.at("meta").at("filters").at("unit").asString() == "BS");
  CHECK(doc.at("meta").at("filters").at("as_of").asString() == day);
  CHECK(doc.at("total").at("UnitName").asString() == "Binh Son district");
  REQUIRE(doc.at("machines").size() == 1);
  const auto& row = doc.at("machines").items()[0];
  CHECK(row.at("AgentId").asString() == "a1");
  CHECK(row.at("AutoProtect").asBool());  // the report of five days ago
  CHECK(runCollector({"export", "verify", out.string(), "--data-dir", fx.data.string()})
            .exitCode == 0);
}

TEST_CASE("export refuses bad options before writing anything") {
  test::ExportFixture fx;
  fs::path out = fx.path("x.csv");
  auto bad = [&](std::vector<std::string> extra, const std::string& message) {
    auto args = exportArgs(fx, "csv", out);
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = runCollector(args);
    CAPTURE(r.err);
    CHECK(r.exitCode != 0);
    CHECK(r.err.find(message) != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  };
  bad({"--format", "pdf"}, "unsupported --format 'pdf'");
  bad({"--as-of", "2024-02-30"}, "--as-of must be a date");
  bad({"--as-of-by", "collected"}, "--as-of-by needs --as-of");
  bad({"--unit", "NOWHERE"}, "no unit NOWHERE");
  bad({"--as-of", "2999-01-01"}, "is in the future");
  bad({"--machines"}, "--machines is for --format report-2290");
  bad({"--format", "report-2291"}, "(csv, xlsx, json or report-2290)");
  bad({"--format", "report-2290", "--unit", "NOWHERE"}, "no unit NOWHERE");
  bad({"--format", "report-2290", "--csv-metadata"}, "--csv-metadata is for --format csv");
  auto v = runCollector({"export", "verify"});
  CHECK(v.exitCode == 2);
  CHECK(v.err.find("give exactly one FILE") != std::string::npos);
}

TEST_CASE("exports written before the ISO 8601 dates still verify, and a changed byte is caught") {
  // Written by the collector of commit b6c755c ("05/11/2026 09:10" in the CSV and in
  // generated_at_vi); see data/before-iso-dates/README.md.
  const fs::path dir = fs::path(POSTURE_SOURCE_DIR) / "tests/collector/export/data/before-iso-dates";
  const std::string ca = "76dfdbc6a7438906e6c1dbdb205de3947216be8cd9960f8109b502e54bd6f06f";
  test::TempDir tmp("posture-old-export-");
  for (std::string name : {"danh-sach-2026-11-05.csv", "danh-sach-2026-11-05.json"}) {
    CAPTURE(name);
    fs::path file = dir / name;
    REQUIRE(fs::exists(file));
    auto v = runCollector({"export", "verify", file.string(), "--ca-fingerprint", ca});
    INFO(v.out);
    CHECK(v.exitCode == 0);
    CHECK(v.out.find("VERDICT: VALID") != std::string::npos);
    // The time is shown from generated_at, in both zones, whatever the old *_vi said.
    CHECK(v.out.find("Generated at: 2026-11-05T02:10:00Z (2026-11-05T09:10:00+07:00)") !=
          std::string::npos);

    fs::path copy = tmp.path() / name;
    fs::copy_file(file, copy);
    fs::path manifest = file;
    manifest += ".manifest.json";
    fs::path manifestCopy = copy;
    manifestCopy += ".manifest.json";
    fs::copy_file(manifest, manifestCopy);
    std::string bytes = *util::readFile(copy);
    auto at = bytes.find("05/11/2026");
    REQUIRE(at != std::string::npos);
    bytes[at + 1] = '6';  // 06/11: one day later
    util::writeFileAtomic(copy, bytes);
    auto altered = runCollector({"export", "verify", copy.string(), "--ca-fingerprint", ca});
    CHECK(altered.exitCode == 1);
    CHECK(altered.out.find("VERDICT: INVALID — the file was altered") != std::string::npos);
  }
}
