// The antivirus probe against Debian's real ClamAV. scripts/install-deps.sh installs
// clamav, clamav-daemon and clamav-freshclam; without them this test fails, on purpose.
//
// Building a database with a known version and build time (ClamAV 1.0-1.4, Debian 12):
// `sigtool --build=daily.cud --unsigned --cvd-version=N` (run in a directory holding
// daily.ndb and a COPYING file) writes an unsigned container: a 512-byte "ClamAV-VDB:"
// header followed by a tar.gz of COPYING, daily.info and daily.ndb. The build time is
// always the current time, so the test rewrites it: the first line of daily.info must
// equal the outer header (libclamav rejects the file as "Corrupted CVD header" otherwise),
// so both are rewritten and the tar.gz re-made with tar. Renaming the container to
// .cld does not work: a .cld's daily.info must carry Talos' digital signature.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "agent/probes/antivirus.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/support/temp_dir.h"

using posture::test::TempDir;

using namespace posture::agent;
using posture::util::findExecutable;
using posture::util::runProcess;
namespace fs = std::filesystem;

namespace {


void writeText(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

std::string readAll(const fs::path& file) {
  auto text = posture::util::readFile(file);
  REQUIRE(text);
  return *text;
}

void requireClamav() {
  for (const char* tool : {"sigtool", "clamscan", "tar"}) {
    INFO("the real ClamAV is required: run scripts/install-deps.sh (apt-get install clamav "
         "clamav-daemon clamav-freshclam); missing: " << tool);
    REQUIRE_FALSE(findExecutable(tool).empty());
  }
}

// Runs argv in dir (through `env -C`, runProcess has no working-directory option).
posture::util::ProcessResult runIn(const fs::path& dir, std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"env", "-C", dir.string()});
  return runProcess(argv, std::chrono::seconds(60));
}

constexpr const char* kBuildTime = "14 Oct 2024 04-35 -0400";
constexpr std::int64_t kStime = 1728894943;  // 2024-10-14 08:35:43 UTC
constexpr int kVersion = 27431;

// Builds <db>/daily.cud with kVersion and kBuildTime and returns nothing; REQUIREs on error.
void buildDatabase(const fs::path& work, const fs::path& db) {
  fs::create_directories(work / "empty");
  // A body signature (ndb: name:target:offset:hex) for the string "posturetestsignature".
  writeText(work / "daily.ndb", "PostureTest.Sig-1:0:*:706f7374757265746573747369676e6174757265\n");
  writeText(work / "COPYING", "Posture test signatures, public domain.\n");
  auto built = runIn(work, {"sh", "-c", "echo posture | sigtool --build=daily.cud --unsigned --cvd-version=" +
                                            std::to_string(kVersion) + " --datadir=" + (work / "empty").string()});
  INFO("sigtool: " << built.out << built.err << built.error);
  REQUIRE(built.exitCode == 0);
  auto cud = readAll(work / "daily.cud");
  REQUIRE(cud.starts_with("ClamAV-VDB:"));

  fs::create_directories(work / "unpacked");
  auto body = work / "body.tar.gz";
  writeText(body, cud.substr(512));
  REQUIRE(runIn(work / "unpacked", {"tar", "xzf", body.string()}).exitCode == 0);
  for (const auto& f : fs::directory_iterator(work / "unpacked")) {
    fs::permissions(f.path(), fs::perms::owner_read | fs::perms::owner_write);
  }
  auto info = readAll(work / "unpacked" / "daily.info");
  auto firstLine = info.substr(0, info.find('\n'));
  // "ClamAV-VDB:time:version:sigs:level:md5:dsig:builder:stime": replace time and stime.
  std::vector<std::string> fields;
  std::stringstream split(firstLine);
  for (std::string f; std::getline(split, f, ':');) fields.push_back(f);
  REQUIRE(fields.size() == 9);
  CHECK(fields[2] == std::to_string(kVersion));
  fields[1] = kBuildTime;
  fields[8] = std::to_string(kStime);
  std::string header;
  for (const auto& f : fields) header += (header.empty() ? "" : ":") + f;
  writeText(work / "unpacked" / "daily.info", header + info.substr(info.find('\n')));
  REQUIRE(runIn(work / "unpacked", {"tar", "--format=ustar", "-czf", body.string(), "COPYING", "daily.info",
                                    "daily.ndb"}).exitCode == 0);
  std::string padded = header;
  padded.resize(512, ' ');
  fs::create_directories(db);
  writeText(db / "daily.cud", padded + readAll(body));
}

}  // namespace

TEST_CASE("the probe reports the version and build time of a sigtool-built database found through clamd.conf") {
  requireClamav();
  TempDir tmp;
  auto db = tmp.path() / "signatures";
  buildDatabase(tmp.path() / "work", db);

  // The database is real: sigtool reads it back and clamscan detects with it.
  auto info = runProcess({"sigtool", "--info", (db / "daily.cud").string()});
  CHECK(info.out.find("Version: " + std::to_string(kVersion)) != std::string::npos);
  CHECK(info.out.find("Build time: 14 Oct 2024 04:35 -0400") != std::string::npos);
  writeText(tmp.path() / "sample.txt", "posturetestsignature\n");
  auto scan = runProcess({"clamscan", "--no-summary", "-d", db.string(), (tmp.path() / "sample.txt").string()},
                         std::chrono::seconds(120));
  INFO("clamscan: " << scan.out << scan.err);
  CHECK(scan.exitCode == 1);  // 1: a virus was found
  CHECK(scan.out.find("PostureTest.Sig-1") != std::string::npos);

  writeText(tmp.path() / "clamd.conf", "# test configuration\nLocalSocket /run/clamav/clamd.ctl\n"
                                       "DatabaseDirectory \"" + db.string() + "\"\n");
  AntivirusOptions options;
  options.clamavConfigs = {tmp.path() / "clamd.conf"};
  options.clamavDefaultDatabaseDir = tmp.path() / "not-used";
  options.otherProducts = false;
  auto r = probeAntivirus(ProbeContext{}, options);
  INFO("message: " << r.outcome.message);
  CHECK(r.outcome.status == ProbeStatus::Ok);
  REQUIRE(r.products.size() == 1);
  const auto& p = r.products[0];
  CHECK(p.name == "ClamAV");
  CHECK(p.signatureVersion == std::to_string(kVersion));
  CHECK(p.signatureTime == kStime);
  // Built in 2024, so older than seven days.
  CHECK(p.upToDate == Tristate::Off);
  CHECK(p.source.find((db / "daily.cud").string()) != std::string::npos);
  CHECK(p.source.find("clamd.conf") != std::string::npos);
  CHECK(p.realTimeProtection != Tristate::Unknown);
  CHECK(p.serviceRunning != Tristate::Unknown);
  CHECK(p.updatesScheduled != Tristate::Unknown);
}

TEST_CASE("with no database at all ClamAV is reported as not protected, with the reason") {
  requireClamav();
  TempDir tmp;
  fs::create_directories(tmp.path() / "empty-db");
  writeText(tmp.path() / "freshclam.conf", "DatabaseDirectory " + (tmp.path() / "empty-db").string() + "\n");
  AntivirusOptions options;
  options.clamavConfigs = {tmp.path() / "missing-clamd.conf", tmp.path() / "freshclam.conf"};
  options.otherProducts = false;
  auto r = probeAntivirus(ProbeContext{}, options);
  REQUIRE(r.products.size() == 1);
  const auto& p = r.products[0];
  CHECK(p.name == "ClamAV");
  CHECK(p.signatureVersion.empty());
  CHECK_FALSE(p.signatureTime);
  CHECK(p.upToDate == Tristate::Off);
  CHECK(r.outcome.message.find("no signature database found at " + (tmp.path() / "empty-db").string()) !=
        std::string::npos);
  CHECK(r.outcome.message.find("not protected") != std::string::npos);
}
