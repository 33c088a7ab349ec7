// Console login (auth::Logins): right, wrong, unknown and disabled; locks per (name, source
// group) so a flood from one place does not lock the owner out elsewhere; refusals before
// any Argon2 work; failures audited in aggregate, nothing written per failure; the Argon2
// bound under concurrent logins.
#include "collector/auth/login.h"

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "collector/audit/audit.h"
#include "common/util/json.h"
#include "collector/storage/storage.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using namespace posture::collector::auth;

namespace {
constexpr Argon2Params kCheap{1, 8, 1};
constexpr const char* kPw = "đồng-hồ-mặt-trời-42";
using Outcome = LoginResult::Outcome;

std::int64_t auditCount(db::Connection& db) {
  auto st = db.prepare("SELECT count(*) FROM audit_log");
  st.step();
  return st.getInt(0);
}

// Each failed-login row's count, by "NAME SOURCE".
std::map<std::string, std::int64_t> failedCounts(db::Connection& db) {
  std::map<std::string, std::int64_t> out;
  for (const auto& e : listAudit(db, "user:")) {
    if (e.action != "user.login_failed") continue;
    auto after = util::parseJson(e.after);
    out[e.object.substr(5) + " " + after.at("source").asString()] += after.at("count").asInt();
  }
  return out;
}
}  // namespace

TEST_CASE(
    "right, wrong, unknown and disabled: one answer for all failures, a success audited at once") {
  test::TempDir dir("posture-login-");
  auto db = openDatabase(dir.path());
  addUser(*db, "minh", Role::Soc, kPw, "root", 100, kCheap);
  Logins logins({}, kCheap);

  auto ok = logins.login(*db, "minh", kPw, "10.0.0.5", 1000);
  CHECK(ok.outcome == Outcome::Ok);
  CHECK(ok.user == "minh");
  CHECK(ok.role == Role::Soc);
  CHECK(findUser(*db, "minh")->lastLoginAt == 1000);
  auto audit = listAudit(*db, "user:minh");
  REQUIRE_FALSE(audit.empty());
  CHECK(audit[0].action == "user.login");
  CHECK(audit[0].actor == "minh");
  CHECK(audit[0].after == "{\"ip\":\"10.0.0.5\"}");

  std::int64_t before = auditCount(*db);
  auto wrong = logins.login(*db, "minh", "not the password", "10.0.0.5", 1001);
  auto unknown = logins.login(*db, "nobody", "not the password", "10.0.0.5", 1002);
  auto invalidName = logins.login(*db, "x'); DROP TABLE users;--", "whatever", "10.0.0.5", 1003);
  setDisabled(*db, "minh", true, "root", 1004);
  before = auditCount(*db);
  auto disabled = logins.login(*db, "minh", kPw, "10.0.0.5", 1005);
  for (const auto& r : {wrong, unknown, invalidName, disabled}) {
    CHECK(r.outcome == Outcome::Bad);
    CHECK(r.user.empty());
    CHECK(r.retryAfter == 0);
  }
  CHECK(auditCount(*db) == before);                // failures write nothing now...
  CHECK(logins.flushAudit(*db, 1006, true) == 3);  // ...and are written in aggregate
  auto failed = listAudit(*db, "user:");
  std::map<std::string, std::string> reasons;
  for (const auto& e : failed) {
    if (e.action == "user.login_failed") reasons[e.object] = e.after;
    CHECK(e.after.find(kPw) == std::string::npos);
  }
  CHECK(reasons["user:minh"].find("\"reasons\":{\"bad_password\":1,\"disabled\":1}") !=
        std::string::npos);
  CHECK(reasons["user:nobody"].find("\"unknown_user\":1") != std::string::npos);
  CHECK(reasons["user:x'); DROP TABLE users;--"].find("\"count\":1") != std::string::npos);
  CHECK(countUsers(*db) == 1);
}

TEST_CASE("a flood against admin from one address leaves the admin free from another") {
  test::TempDir dir("posture-flood-");
  auto db = openDatabase(dir.path());
  addUser(*db, "admin", Role::Admin, kPw, "root", 100, kCheap);
  Logins logins({}, kCheap);
  int bad = 0, locked = 0;
  for (int i = 0; i < 300; ++i) {
    auto r = logins.login(*db, "admin", "wrong " + std::to_string(i), "127.0.0.2", 1000 + i / 30);
    bad += r.outcome == Outcome::Bad;
    if (r.outcome == Outcome::Locked) {
      ++locked;
      CHECK(r.retryAfter >= 1);
    }
  }
  CHECK(bad == 5);  // then the pair is locked: 295 refusals without a hash
  CHECK(locked == 295);
  auto admin = logins.login(*db, "admin", kPw, "127.0.0.1", 1005);
  CHECK(admin.outcome == Outcome::Ok);
  CHECK(logins.login(*db, "admin", kPw, "127.0.0.2", 1005).outcome == Outcome::Locked);
  CHECK(auditCount(*db) == 2);  // user.add and the admin's login; no row per failure
  logins.flushAudit(*db, 1010, true);
  auto counts = failedCounts(*db);
  CHECK(counts["admin 127.0.0.2"] == 301);
  CHECK(counts.size() == 1);
}

TEST_CASE("an unknown name is throttled exactly like a real one") {
  test::TempDir dir("posture-enum-");
  auto db = openDatabase(dir.path());
  addUser(*db, "minh", Role::Soc, kPw, "root", 100, kCheap);
  Logins logins({}, kCheap);
  for (int i = 0; i < 5; ++i) {
    auto real = logins.login(*db, "minh", "wrong", "10.1.0.1", 1000 + i);
    auto ghost = logins.login(*db, "ghost", "wrong", "10.2.0.1", 1000 + i);
    CHECK(real.outcome == ghost.outcome);
  }
  auto real = logins.login(*db, "minh", kPw, "10.1.0.1", 1010);
  auto ghost = logins.login(*db, "ghost", "wrong", "10.2.0.1", 1010);
  CHECK(real.outcome == Outcome::Locked);
  CHECK(ghost.outcome == Outcome::Locked);
  CHECK(real.retryAfter == ghost.retryAfter);
}

TEST_CASE("IPv6: a host that changes its address within its /64 stays locked") {
  test::TempDir dir("posture-v6-");
  auto db = openDatabase(dir.path());
  addUser(*db, "admin", Role::Admin, kPw, "root", 100, kCheap);
  Logins logins({}, kCheap);
  for (int i = 0; i < 5; ++i)
    logins.login(*db, "admin", "wrong", "2001:db8:1:2::" + std::to_string(i + 1), 1000);
  auto next = logins.login(*db, "admin", kPw, "2001:db8:1:2:dead:beef:0:1", 1001);
  CHECK(next.outcome == Outcome::Locked);
  CHECK(logins.login(*db, "admin", kPw, "2001:db8:1:3::1", 1001).outcome == Outcome::Ok);
  logins.flushAudit(*db, 1002, true);
  CHECK(failedCounts(*db)["admin 2001:db8:1:2::/64"] == 6);
}

TEST_CASE(
    "admission refuses without a hash: a lock (Locked) or a full budget (Busy), both counted") {
  test::TempDir dir("posture-admit-");
  auto db = openDatabase(dir.path());
  addUser(*db, "admin", Role::Admin, kPw, "root", 100, kCheap);
  LoginLimits limits;
  limits.argon2 = {1, 1, 1};  // one running, one waiting, one per source
  Logins logins(limits, kCheap);
  auto first = logins.admit("admin", "10.0.0.1", 1000);
  REQUIRE(std::holds_alternative<Logins::Attempt>(first));
  auto sameSource = logins.admit("admin", "10.0.0.1", 1000);
  REQUIRE(std::holds_alternative<LoginResult>(sameSource));
  CHECK(std::get<LoginResult>(sameSource).outcome == Outcome::Busy);
  CHECK(std::get<LoginResult>(sameSource).retryAfter == 1);
  auto second = logins.admit("admin", "10.0.0.2", 1000);
  REQUIRE(std::holds_alternative<Logins::Attempt>(second));
  auto third = logins.admit("admin", "10.0.0.3", 1000);
  CHECK(std::get<LoginResult>(third).outcome == Outcome::Busy);  // the budget is full
  CHECK(logins.budgetStats().peakRunning == 0);                  // and nothing was hashed
  // Finishing an attempt gives its place back.
  CHECK(logins.authenticate(*db, std::get<Logins::Attempt>(first), kPw, 1000).outcome ==
        Outcome::Ok);
  CHECK(std::holds_alternative<Logins::Attempt>(logins.admit("admin", "10.0.0.3", 1000)));
  logins.flushAudit(*db, 1000, true);
  auto counts = failedCounts(*db);
  CHECK(counts["admin 10.0.0.1"] == 1);
  CHECK(counts["admin 10.0.0.3"] == 1);
  for (const auto& e : listAudit(*db, "user:admin")) {
    if (e.action == "user.login_failed") CHECK(e.after.find("\"busy\":1") != std::string::npos);
  }
}

TEST_CASE("a lock that arrives while an attempt waits refuses it before its hash") {
  test::TempDir dir("posture-wait-");
  auto db = openDatabase(dir.path());
  addUser(*db, "admin", Role::Admin, kPw, "root", 100, kCheap);
  LoginLimits limits;
  limits.argon2 = {2, 8, 8};
  Logins logins(limits, kCheap);
  auto waiting = logins.admit("admin", "10.0.0.9", 1000);
  REQUIRE(std::holds_alternative<Logins::Attempt>(waiting));
  for (int i = 0; i < 5; ++i) logins.login(*db, "admin", "wrong", "10.0.0.9", 1000);
  auto r = logins.authenticate(*db, std::get<Logins::Attempt>(waiting), kPw, 1001);
  CHECK(r.outcome == Outcome::Locked);
  CHECK(r.retryAfter == 29);
}

TEST_CASE("concurrent logins never run more Argon2 hashes at once than the budget") {
  test::TempDir dir("posture-peak-");
  {
    auto db = openDatabase(dir.path());
    addUser(*db, "admin", Role::Admin, kPw, "root", 100, kCheap);
  }
  LoginLimits limits;
  limits.argon2 = {2, 32, 2};
  limits.throttle.freeFailures = 1000;  // measure the budget, not the locks
  limits.throttle.sourceMaxFailures = 1000;
  Logins logins(limits, kCheap);
  std::atomic<int> answered{0}, busy{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      auto db = openDatabase(dir.path());
      for (int i = 0; i < 20; ++i) {
        auto r = logins.login(*db, "admin", "wrong", "10.0." + std::to_string(t) + ".1", 1000);
        ++answered;
        busy += r.outcome == Outcome::Busy;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto s = logins.budgetStats();
  MESSAGE("6 threads x 20 logins: peak " << s.peakRunning << " Argon2 hashes at once, "
                                         << busy.load() << " refused as busy");
  CHECK(answered.load() == 120);
  CHECK(s.peakRunning >= 1);
  CHECK(s.peakRunning <= 2);
  CHECK(s.admitted == 0);
}
