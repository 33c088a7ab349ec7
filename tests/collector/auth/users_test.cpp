// Console users: Argon2id hashes, the password and name rules, audited changes, and login
// with its per-user and per-IP throttling.
#include <doctest/doctest.h>

#include <chrono>

#include "collector/audit/audit.h"
#include "collector/auth/sessions.h"
#include "collector/auth/users.h"
#include "collector/storage/storage.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using namespace posture::collector::auth;

namespace {
// Cheap enough for many hashes per test; the production set is tested once below.
constexpr Argon2Params kCheap{1, 8, 1};
constexpr const char* kPw = "đồng-hồ-mặt-trời-42";
using Outcome = LoginResult::Outcome;

LoginResult login(db::Connection& db, const std::string& name, const std::string& pw,
                  std::int64_t now, const std::string& ip = "10.0.0.5") {
  return authenticate(db, name, pw, ip, now, kCheap);
}
}  // namespace

TEST_CASE("Argon2id hashes in the encoded form verify only the right password") {
  std::string h = hashPassword("correct horse battery", kCheap);
  CHECK(h.rfind("$argon2id$v=19$m=8,t=1,p=1$", 0) == 0);
  CHECK(verifyPassword(h, "correct horse battery"));
  CHECK_FALSE(verifyPassword(h, "correct horse batterx"));
  CHECK_FALSE(verifyPassword(h, ""));
  CHECK(hashPassword("correct horse battery", kCheap) != h);  // a fresh salt every time
  CHECK_FALSE(verifyPassword("$argon2i$v=19$m=8,t=1,p=1$AAAA$BBBB", "x"));
  CHECK_FALSE(verifyPassword("garbage", "x"));
}

TEST_CASE("the production Argon2id parameters: m=64 MiB, t=3, p=1") {
  auto start = std::chrono::steady_clock::now();
  std::string h = hashPassword("một mật khẩu đủ dài");
  auto hashMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  start = std::chrono::steady_clock::now();
  CHECK(verifyPassword(h, "một mật khẩu đủ dài"));
  auto verifyMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("Argon2id m=65536 KiB t=3 p=1: hash " << hashMs << " ms, verify " << verifyMs << " ms");
  CHECK(h.rfind("$argon2id$v=19$m=65536,t=3,p=1$", 0) == 0);
  // 16-byte salt and 32-byte hash, unpadded base64: 22 and 43 characters.
  auto hashStart = h.rfind('$');
  auto saltStart = h.rfind('$', hashStart - 1);
  CHECK(hashStart - saltStart - 1 == 22);
  CHECK(h.size() - hashStart - 1 == 43);
}

TEST_CASE("password and name rules, with bilingual reasons") {
  CHECK_FALSE(checkPassword("lan", "mười hai ký tự"));
  auto shortOne = checkPassword("lan", "ngắn quá");
  REQUIRE(shortOne);
  CHECK(shortOne->find("ít nhất 12 ký tự") != std::string::npos);
  CHECK(shortOne->find("at least 12 characters") != std::string::npos);
  CHECK(shortOne->find("ít nhất") < shortOne->find("at least"));  // Vietnamese first
  // 12 code points, 24 bytes: counted as characters, not bytes.
  std::string eleven;
  for (int i = 0; i < 11; ++i) eleven += "ằ";  // 11 characters, 33 bytes
  CHECK(checkPassword("lan", eleven));
  CHECK_FALSE(checkPassword("lan", eleven + "ằ"));
  auto withName = checkPassword("lan.nguyen", "Xin-chao-LAN.NGUYEN-2026");
  REQUIRE(withName);
  CHECK(withName->find("user name") != std::string::npos);
  CHECK(checkPassword("lan", "\xff\xfe not utf-8 at all"));
  CHECK(checkPassword("lan", std::string(1025, 'a')));

  CHECK_FALSE(checkUserName("lan.nguyen_2-x"));
  CHECK(checkUserName(""));
  CHECK(checkUserName(std::string(65, 'a')));
  CHECK(checkUserName("Lan"));
  CHECK(checkUserName("x'); DROP TABLE users;--"));
  CHECK(checkUserName("<script>alert(1)</script>"));

  // Names shorter than 3 characters are not looked for (every password would contain "a").
  CHECK_FALSE(checkPassword("a", "aaaaaaaaaaaaaaaa"));
  CHECK(checkPassword("abc", "xxxxABCxxxxxxxx"));
  for (int i = 0; i < 20; ++i) {
    std::string g = generatePassword("abc");
    CHECK(g.size() == 22);
    CHECK_FALSE(checkPassword("abc", g));
  }
}

TEST_CASE("user changes are validated, stored and audited without the hash") {
  test::TempDir dir("posture-users-");
  auto db = openDatabase(dir.path());
  addUser(*db, "lan", Role::Admin, kPw, "root", 100, kCheap);
  auto u = findUser(*db, "lan");
  REQUIRE(u);
  CHECK(u->role == Role::Admin);
  CHECK(u->createdAt == 100);
  CHECK_FALSE(u->disabledAt);

  // Refusals store nothing.
  CHECK_THROWS_AS(addUser(*db, "lan", Role::Soc, kPw, "root", 101, kCheap), AuthError);
  try {
    addUser(*db, "hoa", Role::Soc, "short", "root", 101, kCheap);
    FAIL("weak password accepted");
  } catch (const AuthError& e) {
    CHECK(e.kind() == AuthError::Kind::Invalid);
  }
  try {
    addUser(*db, "Bad Name", Role::Soc, kPw, "root", 101, kCheap);
    FAIL("bad name accepted");
  } catch (const AuthError& e) {
    CHECK(e.kind() == AuthError::Kind::Invalid);
  }
  try {
    setRole(*db, "nobody", Role::Soc, "root", 102);
    FAIL("unknown user changed");
  } catch (const AuthError& e) {
    CHECK(e.kind() == AuthError::Kind::NotFound);
  }
  CHECK(countUsers(*db) == 1);

  setRole(*db, "lan", Role::Auditor, "root", 110);
  CHECK(findUser(*db, "lan")->role == Role::Auditor);
  setPassword(*db, "lan", "mật-khẩu-mới-dài-hơn", "root", 120, kCheap);
  CHECK(setDisabled(*db, "lan", true, "root", 130));
  CHECK_FALSE(setDisabled(*db, "lan", true, "root", 131));
  CHECK(findUser(*db, "lan")->disabledAt == 130);
  CHECK(setDisabled(*db, "lan", false, "root", 140));

  auto audit = listAudit(*db, "user:");
  REQUIRE(audit.size() == 5);
  CHECK(audit[4].action == "user.add");
  CHECK(audit[3].action == "user.role");
  CHECK(audit[2].action == "user.passwd");
  CHECK(audit[1].action == "user.disable");
  CHECK(audit[0].action == "user.enable");
  CHECK(audit[3].before.find("\"role\":\"admin\"") != std::string::npos);
  CHECK(audit[3].after.find("\"role\":\"auditor\"") != std::string::npos);
  auto st = db->prepare("SELECT password_hash FROM users WHERE name = 'lan'");
  REQUIRE(st.step());
  std::string hash = st.getText(0);
  for (const auto& e : audit) {
    CHECK(e.actor == "root");
    CHECK(e.object == "user:lan");
    CHECK(e.before.find("argon2") == std::string::npos);
    CHECK(e.after.find("argon2") == std::string::npos);
    CHECK(e.after.find(kPw) == std::string::npos);
  }
  CHECK_FALSE(verifyPassword(hash, kPw));
  CHECK(verifyPassword(hash, "mật-khẩu-mới-dài-hơn"));
  // The role CHECK constraint holds even for a direct write.
  CHECK_THROWS(db->exec("UPDATE users SET role = 'root' WHERE name = 'lan'"));
}

TEST_CASE("login: right, wrong, unknown and disabled, all audited with the IP") {
  test::TempDir dir("posture-login-");
  auto db = openDatabase(dir.path());
  addUser(*db, "minh", Role::Soc, kPw, "root", 100, kCheap);

  auto ok = login(*db, "minh", kPw, 1000);
  CHECK(ok.outcome == Outcome::Ok);
  CHECK(ok.user == "minh");
  CHECK(ok.role == Role::Soc);
  CHECK(findUser(*db, "minh")->lastLoginAt == 1000);

  auto wrong = login(*db, "minh", "not the password", 1001);
  auto unknown = login(*db, "nobody", "not the password", 1002);
  auto invalidName = login(*db, "x'); DROP TABLE users;--", "whatever", 1003);
  CHECK(wrong.outcome == Outcome::Bad);
  CHECK(unknown.outcome == Outcome::Bad);
  CHECK(invalidName.outcome == Outcome::Bad);
  CHECK(wrong.retryAfter == unknown.retryAfter);
  CHECK(wrong.user.empty());
  CHECK(unknown.user.empty());
  CHECK(countUsers(*db) == 1);  // the table survived the name

  setDisabled(*db, "minh", true, "root", 1010);
  CHECK(login(*db, "minh", kPw, 1011).outcome == Outcome::Bad);

  auto audit = listAudit(*db, "user:");
  REQUIRE(audit.size() >= 6);
  CHECK(audit[0].action == "user.login_failed");
  CHECK(audit[0].after.find("\"reason\":\"disabled\"") != std::string::npos);
  bool sawOk = false;
  for (const auto& e : audit) {
    if (e.action == "user.login") {
      sawOk = true;
      CHECK(e.actor == "minh");
      CHECK(e.after == "{\"ip\":\"10.0.0.5\"}");
    }
    if (e.action == "user.login_failed") CHECK(e.after.find("\"ip\":\"10.0.0.5\"") != std::string::npos);
    CHECK(e.after.find(kPw) == std::string::npos);
  }
  CHECK(sawOk);
}

TEST_CASE("five failures lock the user for 30 s, doubling to 15 min; success resets") {
  CHECK(userLockSeconds(4) == 0);
  CHECK(userLockSeconds(5) == 30);
  CHECK(userLockSeconds(6) == 60);
  CHECK(userLockSeconds(9) == 480);
  CHECK(userLockSeconds(10) == 900);
  CHECK(userLockSeconds(50) == 900);

  test::TempDir dir("posture-throttle-");
  auto db = openDatabase(dir.path());
  addUser(*db, "minh", Role::Soc, kPw, "root", 100, kCheap);
  std::int64_t t = 1000;
  for (int i = 0; i < 4; ++i) CHECK(login(*db, "minh", "wrong", t++, "10.0.0." + std::to_string(i)).outcome == Outcome::Bad);
  CHECK(login(*db, "minh", "wrong", t, "10.0.1.1").outcome == Outcome::Bad);  // the 5th locks
  auto locked = login(*db, "minh", kPw, t + 1, "10.0.1.2");  // even the right password waits
  CHECK(locked.outcome == Outcome::Locked);
  CHECK(locked.retryAfter == 29);
  CHECK(findUser(*db, "minh")->failedLogins == 5);  // attempts during a lock do not count
  // After the lock, one more failure locks for 60 s.
  CHECK(login(*db, "minh", "wrong", t + 30, "10.0.1.3").outcome == Outcome::Bad);
  auto longer = login(*db, "minh", kPw, t + 31, "10.0.1.3");
  CHECK(longer.outcome == Outcome::Locked);
  CHECK(longer.retryAfter == 59);
  // Released: the right password works and resets the count.
  CHECK(login(*db, "minh", kPw, t + 90, "10.0.1.4").outcome == Outcome::Ok);
  CHECK(findUser(*db, "minh")->failedLogins == 0);
  CHECK(login(*db, "minh", "wrong", t + 91, "10.0.1.4").outcome == Outcome::Bad);
  CHECK(login(*db, "minh", kPw, t + 92, "10.0.1.4").outcome == Outcome::Ok);
}

TEST_CASE("an unknown name is throttled exactly like a real one") {
  test::TempDir dir("posture-enum-");
  auto db = openDatabase(dir.path());
  addUser(*db, "minh", Role::Soc, kPw, "root", 100, kCheap);
  for (int i = 0; i < 5; ++i) {
    auto real = login(*db, "minh", "wrong", 1000 + i, "10.1.0." + std::to_string(i));
    auto ghost = login(*db, "ghost", "wrong", 1000 + i, "10.2.0." + std::to_string(i));
    CHECK(real.outcome == ghost.outcome);
    CHECK(real.retryAfter == ghost.retryAfter);
  }
  auto real = login(*db, "minh", "wrong", 1010, "10.1.1.1");
  auto ghost = login(*db, "ghost", "wrong", 1010, "10.2.1.1");
  CHECK(real.outcome == Outcome::Locked);
  CHECK(ghost.outcome == Outcome::Locked);
  CHECK(real.retryAfter == ghost.retryAfter);
  // Audited as failures of the name attempted, by nobody in particular.
  auto audit = listAudit(*db, "user:ghost");
  REQUIRE(audit.size() == 6);
  CHECK(audit[0].actor == "anonymous");
  CHECK(audit[0].after.find("user_locked") != std::string::npos);
  CHECK(audit[1].after.find("unknown_user") != std::string::npos);
}

TEST_CASE("one IP is blocked after 20 failures in 15 minutes, across names") {
  test::TempDir dir("posture-ip-");
  auto db = openDatabase(dir.path());
  addUser(*db, "minh", Role::Soc, kPw, "root", 100, kCheap);
  const std::string ip = "203.0.113.9";
  for (int i = 0; i < kIpMaxFailures; ++i) {
    CHECK(login(*db, "spray" + std::to_string(i), "wrong", 1000 + i, ip).outcome == Outcome::Bad);
  }
  auto blocked = login(*db, "minh", kPw, 1100, ip);
  CHECK(blocked.outcome == Outcome::Locked);
  CHECK(blocked.retryAfter == 1000 + kIpWindow - 1100);
  CHECK(findUser(*db, "minh")->failedLogins == 0);  // the user is not punished for the IP
  // Another IP is not affected; the blocked one is free once the window is over.
  CHECK(login(*db, "minh", kPw, 1101, "198.51.100.7").outcome == Outcome::Ok);
  CHECK(login(*db, "minh", kPw, 1000 + kIpWindow, ip).outcome == Outcome::Ok);
}

TEST_CASE("SQL- and script-shaped passwords are stored as hashes and work verbatim") {
  test::TempDir dir("posture-inert-");
  auto db = openDatabase(dir.path());
  const std::string sqlPw = "x'); DROP TABLE users;--";
  const std::string scriptPw = "<script>alert('x')</script>";
  addUser(*db, "sql.user", Role::Soc, sqlPw, "root", 100, kCheap);
  addUser(*db, "script.user", Role::Auditor, scriptPw, "root", 100, kCheap);
  CHECK(countUsers(*db) == 2);
  CHECK(login(*db, "sql.user", sqlPw, 1000).outcome == Outcome::Ok);
  CHECK(login(*db, "script.user", scriptPw, 1001).outcome == Outcome::Ok);
  auto st = db->prepare("SELECT count(*) FROM users WHERE password_hash LIKE '%DROP%' OR password_hash LIKE '%script%'");
  REQUIRE(st.step());
  CHECK(st.getInt(0) == 0);
  // A hostile name never reaches the table; in the audit log it is inert, escaped text.
  CHECK_THROWS_AS(addUser(*db, "<script>", Role::Admin, kPw, "root", 100, kCheap), AuthError);
  login(*db, "<b>\"x\"</b>", "whatever", 1002);
  auto audit = listAudit(*db, "user:<b>");
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].object == "user:<b>\"x\"</b>");
}
