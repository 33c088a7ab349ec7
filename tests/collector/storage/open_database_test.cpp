// openDatabase makes the data directory and the database private, and does it without
// disturbing another connection of the same process: closing any descriptor of a SQLite
// file drops every POSIX lock the process holds on it (a corruption seen in the console
// tests while this was written).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "collector/storage/storage.h"
#include "common/util/process.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;

namespace {
int modeOf(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 07777);
}
}  // namespace

TEST_CASE("a second openDatabase keeps the first connection's write lock") {
  REQUIRE_MESSAGE(!util::findExecutable("sqlite3").empty(), "sqlite3 (scripts/install-deps.sh)");
  test::TempDir dir("posture-open-");
  auto first = openDatabase(dir.path());
  db::Transaction tx(*first);
  first->exec("INSERT INTO change_counters(name, value) VALUES ('agents', 1) "
              "ON CONFLICT(name) DO UPDATE SET value = 7");
  auto second = openDatabase(dir.path());  // e.g. the console opening its pool
  // Another process cannot write while the first connection's transaction is open.
  auto other = util::runProcess({"sqlite3", "-cmd", ".timeout 0",
                                 (dir.path() / "posture.db").string(), "BEGIN IMMEDIATE; COMMIT;"});
  CHECK(other.exitCode != 0);
  CHECK_MESSAGE(other.err.find("locked") != std::string::npos, other.err);
  tx.commit();
  auto after = util::runProcess({"sqlite3", (dir.path() / "posture.db").string(),
                                 "SELECT value FROM change_counters WHERE name = 'agents'"});
  CHECK(after.out == "7\n");
}

TEST_CASE("the data directory and the database are private whatever their modes were") {
  test::TempDir dir("posture-open-");
  auto data = dir.path() / "data";
  std::filesystem::create_directories(data);
  ::chmod(data.c_str(), 0777);
  auto db = openDatabase(data);
  CHECK(modeOf(data) == 0750);  // others lose everything, the group its write
  CHECK(modeOf(data / "posture.db") == 0600);
  auto fresh = dir.path() / "fresh" / "data";
  openDatabase(fresh);
  CHECK(modeOf(fresh) == 0700);
}
