// Console users: Argon2id hashes, the password and name rules, audited changes; hostile
// names and passwords stay inert. (Logging in: login_test.cpp.)
#include <doctest/doctest.h>

#include <chrono>

#include "collector/audit/audit.h"
#include "collector/auth/login.h"
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

LoginResult login(db::Connection& db, const std::string& name, const std::string& pw, std::int64_t now) {
  Logins logins({}, kCheap);
  auto r = logins.login(db, name, pw, "10.0.0.5", now);
  logins.flushAudit(db, now, true);
  return r;
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
