// The console's housekeeping thread: expired sessions are purged without anybody presenting
// them, closed failed-login windows are written, and stop() writes the open ones. Time is
// an injected clock; the thread is only waited for (no duration is asserted).
#include "collector/console/housekeeping.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "collector/audit/audit.h"
#include "collector/auth/sessions.h"
#include "collector/storage/storage.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using namespace posture::collector::auth;
using namespace posture::collector::console;

namespace {
constexpr Argon2Params kCheap{1, 8, 1};
constexpr const char* kPw = "đồng-hồ-mặt-trời-42";

std::int64_t count(db::Connection& db, const std::string& sql) {
  auto st = db.prepare(sql);
  st.step();
  return st.getInt(0);
}

// Polls `done` until it holds or a generous deadline passes (the thread runs every 10 ms).
template <typename F>
bool eventually(F done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}
}  // namespace

TEST_CASE("expired sessions are purged by the thread, with their audit rows, without a request") {
  test::TempDir dir("posture-housekeeping-");
  auto db = openDatabase(dir.path());
  addUser(*db, "minh", Role::Soc, kPw, "root", 100, kCheap);
  auto old = createSession(*db, "minh", "10.0.0.5", "", 1000);
  auto kept = createSession(*db, "minh", "10.0.0.5", "", 1000 + kSessionIdleTimeout);
  std::atomic<std::int64_t> now{1000};
  Logins logins({}, kCheap);
  Housekeeping h(dir.path(), logins, std::chrono::milliseconds(10), [&] { return now.load(); });

  // Before expiry the thread runs and leaves both.
  auto passes = h.passes();
  REQUIRE(eventually([&] { return h.passes() >= passes + 2; }));
  CHECK(count(*db, "SELECT count(*) FROM sessions") == 2);

  now = 1000 + kSessionIdleTimeout;  // `old` is now idle for 30 minutes
  REQUIRE(eventually([&] { return count(*db, "SELECT count(*) FROM sessions") == 1; }));
  CHECK(lookupSession(*db, kept.token, now));
  CHECK(count(*db,
              "SELECT count(*) FROM audit_log WHERE action = 'user.session_expired' "
              "AND object = 'user:minh' AND after = '{\"sessions\":1}'") == 1);
}

TEST_CASE("failed-login windows are written when they close, and every open one at stop()") {
  test::TempDir dir("posture-housekeeping-audit-");
  auto db = openDatabase(dir.path());
  addUser(*db, "admin", Role::Admin, kPw, "root", 100, kCheap);
  std::atomic<std::int64_t> now{1000};
  Logins logins({}, kCheap);
  {
    Housekeeping h(dir.path(), logins, std::chrono::milliseconds(10), [&] { return now.load(); });
    for (int i = 0; i < 30; ++i) logins.login(*db, "admin", "wrong", "127.0.0.2", 1000);
    logins.login(*db, "ghost", "wrong", "127.0.0.3", 1100);
    auto passes = h.passes();
    REQUIRE(eventually([&] { return h.passes() >= passes + 2; }));
    CHECK(count(*db, "SELECT count(*) FROM audit_log WHERE action = 'user.login_failed'") == 0);

    now = 1000 + kFailedLoginWindow;  // the first window closes, the ghost's is still open
    REQUIRE(eventually([&] {
      return count(*db, "SELECT count(*) FROM audit_log WHERE action = 'user.login_failed'") == 1;
    }));
    CHECK(count(*db,
                "SELECT count(*) FROM audit_log WHERE object = 'user:admin' "
                "AND json_extract(after, '$.count') = 30") == 1);
    CHECK(logins.failures().open() == 1);
  }  // stop(): the last pass writes the ghost's window too
  CHECK(logins.failures().open() == 0);
  CHECK(count(*db,
              "SELECT count(*) FROM audit_log WHERE object = 'user:ghost' "
              "AND json_extract(after, '$.reasons.unknown_user') = 1") == 1);
}
