#include "agent/probes/clamav_database.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include "tests/support/temp_dir.h"

using posture::test::TempDir;

using namespace posture::agent;
namespace fs = std::filesystem;

namespace {


void writeDatabase(const fs::path& file, std::string header) {
  header.resize(512, ' ');
  std::ofstream out(file, std::ios::binary);
  out << header << std::string(64, '\x1f');  // followed by the (irrelevant) compressed body
}

constexpr std::int64_t kStime = 1728894943;  // 2024-10-14 08:35:43 UTC

}  // namespace

TEST_CASE("readClamavDatabases reads version and time of a hand-made daily.cvd") {
  TempDir dir;
  writeDatabase(dir.path() / "daily.cvd",
                "ClamAV-VDB:14 Oct 2024 04-35 -0400:27427:2067891:90:0123456789abcdef0123456789abcdef:"
                "AbCdEfGhIj:raynman:" + std::to_string(kStime));
  auto dbs = readClamavDatabases(dir.path());
  CHECK(dbs.directoryReadable);
  CHECK(dbs.errors.empty());
  REQUIRE(dbs.daily);
  CHECK(dbs.daily->header.version == 27427);
  CHECK(dbs.daily->header.time == kStime);
  CHECK(dbs.daily->path == (dir.path() / "daily.cvd").string());

  ProbeOutcome outcome;
  auto fresh = clamavProduct(dbs, dir.path(), kStime + 86400, Tristate::Off, outcome);
  CHECK(fresh.name == "ClamAV");
  CHECK(fresh.signatureVersion == "27427");
  CHECK(fresh.signatureTime == kStime);
  CHECK(fresh.upToDate == Tristate::On);
  CHECK(fresh.managed == Tristate::Unknown);
  CHECK(fresh.realTimeProtection == Tristate::Off);
  CHECK(fresh.source == (dir.path() / "daily.cvd").string());

  auto stale = clamavProduct(dbs, dir.path(), kStime + kClamavMaxAgeSeconds + 1, Tristate::Off, outcome);
  CHECK(stale.upToDate == Tristate::Off);
}

TEST_CASE("readClamavDatabases prefers the newer of daily.cld and daily.cvd and reads main") {
  TempDir dir;
  writeDatabase(dir.path() / "daily.cvd", "ClamAV-VDB:x:27000:1:90:m:d:b:1700000000");
  writeDatabase(dir.path() / "daily.cld", "ClamAV-VDB:x:27430:1:90:m:d:b:1729000000");
  writeDatabase(dir.path() / "main.cvd", "ClamAV-VDB:x:62:1:90:m:d:b:1632000000");
  auto dbs = readClamavDatabases(dir.path());
  REQUIRE(dbs.daily);
  CHECK(dbs.daily->header.version == 27430);
  CHECK(dbs.daily->path.ends_with("daily.cld"));
  CHECK(dbs.all.size() == 2);
}

TEST_CASE("clamavProduct explains a missing or corrupt database instead of inventing one") {
  TempDir dir;
  ProbeOutcome empty;
  auto none = clamavProduct(readClamavDatabases(dir.path()), dir.path(), kStime, Tristate::Off, empty);
  CHECK(none.signatureVersion.empty());
  CHECK_FALSE(none.signatureTime);
  CHECK(none.upToDate != Tristate::On);
  CHECK(empty.message.find("no signature database found at " + dir.path().string()) != std::string::npos);

  writeDatabase(dir.path() / "daily.cvd", "not a database");
  auto dbs = readClamavDatabases(dir.path());
  CHECK_FALSE(dbs.daily);
  REQUIRE(dbs.errors.size() == 1);
  CHECK(dbs.errors[0].find("daily.cvd") != std::string::npos);

  ProbeOutcome missing;
  auto gone = clamavProduct(readClamavDatabases(dir.path() / "absent"), dir.path() / "absent", kStime,
                            Tristate::Off, missing);
  CHECK(gone.upToDate == Tristate::Unknown);
  CHECK(missing.message.find("not found") != std::string::npos);
}
