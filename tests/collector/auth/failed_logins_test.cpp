// Failed logins in aggregate: one audit row per (name, source group) per window, with the
// count and the reasons; closed windows only, all of them on the final flush; nothing
// dropped on a database error; bounded memory with an overflow row.
#include "collector/auth/failed_logins.h"

#include <doctest/doctest.h>

#include "collector/audit/audit.h"
#include "common/util/json.h"
#include "collector/storage/storage.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using namespace posture::collector::auth;

namespace {
std::vector<AuditEntry> failedRows(db::Connection& db) {
  std::vector<AuditEntry> out;
  for (auto& e : listAudit(db, "user:")) {
    if (e.action == "user.login_failed") out.push_back(std::move(e));
  }
  return out;
}
}  // namespace

TEST_CASE("300 failures of one (name, source) in a window are one row with count 300") {
  test::TempDir dir("posture-failed-");
  auto db = openDatabase(dir.path());
  FailedLogins f(300);
  for (int i = 0; i < 300; ++i) {
    f.add("admin", "127.0.0.2", "127.0.0.2",
          i < 5     ? "bad_password"
          : i < 290 ? "locked"
                    : "busy",
          1000 + i / 10);
  }
  f.add("admin", "127.0.0.1", "127.0.0.1", "bad_password", 1010);
  CHECK(f.open() == 2);
  CHECK(f.flush(*db, 1299) == 0);  // the windows are still open
  CHECK(failedRows(*db).empty());
  CHECK(f.flush(*db, 1300) == 1);  // 127.0.0.2's began at 1000
  auto rows = failedRows(*db);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].actor == "anonymous");
  CHECK(rows[0].object == "user:admin");
  CHECK(rows[0].at == 1029);
  CHECK(rows[0].after ==
        "{\"source\":\"127.0.0.2\",\"address\":\"127.0.0.2\",\"count\":300,\"first\":1000,\"last\":"
        "1029,"
        "\"window_seconds\":300,\"reasons\":{\"bad_password\":5,\"busy\":10,\"locked\":285}}");
  CHECK(f.open() == 1);
  // A clean shutdown writes what is still open.
  CHECK(f.flush(*db, 1301, true) == 1);
  CHECK(f.open() == 0);
  CHECK(failedRows(*db).size() == 2);
  // After a written window, the next failure starts a new one.
  f.add("admin", "127.0.0.2", "127.0.0.2", "bad_password", 2000);
  CHECK(f.flush(*db, 2300) == 1);
  CHECK(failedRows(*db).size() == 3);
}

TEST_CASE("IPv6 failures are counted per /64 group; the first address is kept for the record") {
  test::TempDir dir("posture-failed6-");
  auto db = openDatabase(dir.path());
  FailedLogins f;
  f.add("minh", "2001:db8:1:2::/64", "2001:db8:1:2::7", "unknown_user", 100);
  f.add("minh", "2001:db8:1:2::/64", "2001:db8:1:2::8", "unknown_user", 101);
  CHECK(f.flush(*db, 102, true) == 1);
  auto rows = failedRows(*db);
  REQUIRE(rows.size() == 1);
  auto after = util::parseJson(rows[0].after);
  CHECK(after.at("source").asString() == "2001:db8:1:2::/64");
  CHECK(after.at("address").asString() == "2001:db8:1:2::7");
  CHECK(after.at("count").asInt() == 2);
}

TEST_CASE("a database error drops nothing; a spray of names cannot grow memory past the bound") {
  test::TempDir dir("posture-failed-err-");
  auto db = openDatabase(dir.path());
  FailedLogins f(300, 3);
  for (int i = 0; i < 10; ++i)
    f.add("n" + std::to_string(i), "10.0.0.1", "10.0.0.1", "unknown_user", 100);
  CHECK(f.open() == 4);  // three names and the overflow
  {
    db::Connection readOnly(dir.path() / "posture.db", db::Connection::Mode::ReadOnly);
    CHECK_THROWS(f.flush(readOnly, 1000, true));
  }
  CHECK(f.open() == 4);
  CHECK(f.flush(*db, 1000, true) == 4);
  std::int64_t total = 0;
  bool overflow = false;
  for (const auto& r : failedRows(*db)) {
    total += util::parseJson(r.after).at("count").asInt();
    overflow = overflow || (r.object == "user:*" && util::parseJson(r.after).at("count").asInt() == 7);
  }
  CHECK(total == 10);
  CHECK(overflow);
}
