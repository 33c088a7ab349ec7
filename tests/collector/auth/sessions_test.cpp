// Console sessions (only the token's SHA-256 stored; idle and absolute expiry; logout;
// ended by a password change or disabling), the cookie, CSRF, the role table, and the
// users migration on a database of the previous version.
#include <doctest/doctest.h>

#include <map>

#include "collector/audit/audit.h"
#include "collector/auth/login.h"
#include "collector/auth/sessions.h"
#include "collector/auth/users.h"
#include "collector/storage/storage.h"
#include "common/crypto/crypto.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using namespace posture::collector::auth;

namespace {
constexpr Argon2Params kCheap{1, 8, 1};
constexpr const char* kPw = "đồng-hồ-mặt-trời-42";

std::int64_t countSessions(db::Connection& db) {
  auto st = db.prepare("SELECT count(*) FROM sessions");
  st.step();
  return st.getInt(0);
}
}  // namespace

TEST_CASE("a session token is random, returned once and stored only as its SHA-256") {
  test::TempDir dir("posture-sessions-");
  auto db = openDatabase(dir.path());
  addUser(*db, "minh", Role::Soc, kPw, "root", 100, kCheap);
  auto s = createSession(*db, "minh", "10.0.0.5", "Mozilla/5.0", 1000);
  CHECK(s.token.size() == 43);
  CHECK(s.csrfToken.size() == 43);
  CHECK(s.token != s.csrfToken);
  CHECK(s.expiresAt == 1000 + kSessionLifetime);
  CHECK(createSession(*db, "minh", "10.0.0.5", "", 1000).token != s.token);

  auto st = db->prepare("SELECT id_sha256, user, ip, user_agent FROM sessions");
  bool found = false;
  while (st.step()) {
    CHECK(st.getText(0).find(s.token) == std::string::npos);
    if (st.getText(0) == crypto::sha256Hex(s.token)) {
      found = true;
      CHECK(st.getText(1) == "minh");
      CHECK(st.getText(2) == "10.0.0.5");
      CHECK(st.getText(3) == "Mozilla/5.0");
    }
  }
  CHECK(found);
  auto any = db->prepare("SELECT count(*) FROM sessions WHERE instr(id_sha256 || csrf_token || user_agent, ?) > 0");
  any.bind(1, s.token);
  REQUIRE(any.step());
  CHECK(any.getInt(0) == 0);

  auto info = lookupSession(*db, s.token, 1001);
  REQUIRE(info);
  CHECK(info->user == "minh");
  CHECK(info->role == Role::Soc);
  CHECK(info->csrfToken == s.csrfToken);
  CHECK_FALSE(lookupSession(*db, crypto::sha256Hex(s.token), 1001));  // the stored value is no key
  CHECK_FALSE(lookupSession(*db, "", 1001));
  CHECK_FALSE(lookupSession(*db, "x' OR '1'='1", 1001));
  CHECK_THROWS_AS(createSession(*db, "nobody", "", "", 1000), AuthError);
}

TEST_CASE("sessions end after 30 idle minutes and after 12 hours in any case") {
  test::TempDir dir("posture-expiry-");
  auto db = openDatabase(dir.path());
  addUser(*db, "minh", Role::Soc, kPw, "root", 100, kCheap);

  auto idle = createSession(*db, "minh", "", "", 1000);
  CHECK(lookupSession(*db, idle.token, 1000 + kSessionIdleTimeout - 1));  // used: idle restarts
  CHECK(lookupSession(*db, idle.token, 1000 + 2 * kSessionIdleTimeout - 2));
  CHECK_FALSE(lookupSession(*db, idle.token, 1000 + 3 * kSessionIdleTimeout));
  CHECK_FALSE(lookupSession(*db, idle.token, 1000 + 4 * kSessionIdleTimeout));  // stays refused

  auto busy = createSession(*db, "minh", "", "", 10000);
  std::int64_t t = 10000;
  for (; t < 10000 + kSessionLifetime; t += 20 * 60) REQUIRE(lookupSession(*db, busy.token, t));
  CHECK_FALSE(lookupSession(*db, busy.token, 10000 + kSessionLifetime));
  // A lookup only reads: the expired rows wait for the purge.
  CHECK(countSessions(*db) == 2);
  CHECK(purgeExpiredSessions(*db, 10000 + kSessionLifetime) == 2);
  CHECK(countSessions(*db) == 0);

  createSession(*db, "minh", "", "", 20000);
  createSession(*db, "minh", "", "", 21000);
  CHECK(purgeExpiredSessions(*db, 20000 + kSessionIdleTimeout) == 1);
  CHECK(countSessions(*db) == 1);
}

TEST_CASE("purging expired sessions audits a count per user and nothing sensitive") {
  test::TempDir dir("posture-purge-");
  auto db = openDatabase(dir.path());
  addUser(*db, "minh", Role::Soc, kPw, "root", 100, kCheap);
  addUser(*db, "hoa", Role::Auditor, kPw, "root", 100, kCheap);
  auto a = createSession(*db, "minh", "10.0.0.5", "Mozilla/5.0 (secret-agent)", 1000);
  auto b = createSession(*db, "minh", "10.0.0.6", "curl/8", 1000);
  auto c = createSession(*db, "hoa", "10.0.0.7", "Firefox", 1000);
  auto fresh = createSession(*db, "hoa", "10.0.0.8", "Firefox", 5000);
  CHECK(purgeExpiredSessions(*db, 1000 + kSessionIdleTimeout - 1) == 0);  // not yet
  CHECK(listAudit(*db, "user:").size() == 2);                              // the two user.add
  CHECK(purgeExpiredSessions(*db, 1000 + kSessionIdleTimeout) == 3);
  CHECK(countSessions(*db) == 1);
  CHECK(lookupSession(*db, fresh.token, 5001));
  std::map<std::string, AuditEntry> rows;
  for (const auto& e : listAudit(*db, "user:")) {
    if (e.action == "user.session_expired") rows[e.object] = e;
  }
  REQUIRE(rows.size() == 2);
  CHECK(rows["user:minh"].after == "{\"sessions\":2}");
  CHECK(rows["user:hoa"].after == "{\"sessions\":1}");
  for (const auto& [object, e] : rows) {
    CHECK(e.actor == "posture");
    CHECK(e.at == 1000 + kSessionIdleTimeout);
    for (const auto& secret : {a.token, a.csrfToken, b.token, c.token, crypto::sha256Hex(a.token),
                               crypto::sha256Hex(b.token), crypto::sha256Hex(c.token), std::string("10.0.0."),
                               std::string("secret-agent")}) {
      CHECK(e.after.find(secret) == std::string::npos);
      CHECK(e.before.find(secret) == std::string::npos);
    }
  }
  CHECK(purgeExpiredSessions(*db, 1000 + kSessionIdleTimeout) == 0);  // nothing twice
}

TEST_CASE("logout, password change, disabling and a role change act on sessions") {
  test::TempDir dir("posture-logout-");
  auto db = openDatabase(dir.path());
  addUser(*db, "minh", Role::Soc, kPw, "root", 100, kCheap);
  addUser(*db, "hoa", Role::Auditor, kPw, "root", 100, kCheap);

  auto a = createSession(*db, "minh", "", "", 1000);
  CHECK(logout(*db, a.token));
  CHECK_FALSE(logout(*db, a.token));
  CHECK_FALSE(lookupSession(*db, a.token, 1001));

  auto b = createSession(*db, "minh", "", "", 1000);
  auto c = createSession(*db, "minh", "", "", 1000);
  auto other = createSession(*db, "hoa", "", "", 1000);
  setRole(*db, "minh", Role::Admin, "root", 1001);
  CHECK(lookupSession(*db, b.token, 1002)->role == Role::Admin);  // takes effect at once
  setPassword(*db, "minh", "một-mật-khẩu-mới-hẳn", "root", 1003, kCheap);
  CHECK_FALSE(lookupSession(*db, b.token, 1004));
  CHECK_FALSE(lookupSession(*db, c.token, 1004));
  CHECK(lookupSession(*db, other.token, 1004));  // other users keep theirs
  auto audit = listAudit(*db, "user:minh");
  REQUIRE_FALSE(audit.empty());
  CHECK(audit[0].action == "user.passwd");
  CHECK(audit[0].after.find("\"sessions_ended\":2") != std::string::npos);

  setDisabled(*db, "hoa", true, "root", 1005);
  CHECK_FALSE(lookupSession(*db, other.token, 1006));
  CHECK_THROWS_AS(createSession(*db, "hoa", "", "", 1007), AuthError);
  CHECK(countSessions(*db) == 0);
}

TEST_CASE("the session cookie is a __Host- cookie, and reading it back") {
  std::string token(43, 'A');
  // __Host-: Secure, Path=/ and no Domain, or the browser drops it.
  CHECK(sessionCookie(token, 43200) ==
        "__Host-posture_session=" + token + "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=43200");
  CHECK(clearSessionCookie() == "__Host-posture_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
  CHECK(sessionCookie(token, 1).find("Domain") == std::string::npos);
  CHECK(sessionTokenFromCookieHeader("theme=dark; __Host-posture_session=abc-_1; lang=vi") == "abc-_1");
  CHECK(sessionTokenFromCookieHeader("__Host-posture_session=xyz") == "xyz");
  // The name without the prefix may have been planted by a sibling host: never read.
  CHECK(sessionTokenFromCookieHeader("posture_session=old") == "");
  CHECK(sessionTokenFromCookieHeader("x__Host-posture_session=no; __Host-posture_sessionx=no") == "");
  CHECK(sessionTokenFromCookieHeader("") == "");
}

TEST_CASE("CSRF tokens are compared exactly") {
  std::string t = randomToken();
  CHECK(csrfMatches(t, t));
  CHECK_FALSE(csrfMatches(t, t.substr(0, 42)));
  CHECK_FALSE(csrfMatches(t, t + "A"));
  std::string flipped = t;
  flipped[42] = flipped[42] == 'A' ? 'B' : 'A';
  CHECK_FALSE(csrfMatches(t, flipped));
  CHECK_FALSE(csrfMatches("", ""));
  CHECK_FALSE(csrfMatches(t, ""));
}

TEST_CASE("the role table: admin everything, soc triage, auditor export and audit log") {
  const Action all[] = {Action::Read,    Action::AlertTriage, Action::Export,   Action::AuditRead,
                        Action::OrgEdit, Action::TokenAdmin,  Action::UserAdmin};
  for (Action a : all) CHECK(allowed(Role::Admin, a));
  CHECK(allowed(Role::Soc, Action::Read));
  CHECK(allowed(Role::Soc, Action::AlertTriage));
  CHECK_FALSE(allowed(Role::Soc, Action::Export));
  CHECK_FALSE(allowed(Role::Soc, Action::AuditRead));
  CHECK_FALSE(allowed(Role::Soc, Action::UserAdmin));
  CHECK(allowed(Role::Auditor, Action::Read));
  CHECK(allowed(Role::Auditor, Action::Export));
  CHECK(allowed(Role::Auditor, Action::AuditRead));
  CHECK_FALSE(allowed(Role::Auditor, Action::AlertTriage));
  CHECK_FALSE(allowed(Role::Auditor, Action::OrgEdit));
  CHECK_FALSE(allowed(Role::Auditor, Action::TokenAdmin));
  CHECK_FALSE(allowed(Role::Auditor, Action::UserAdmin));
  CHECK(parseRole("admin") == Role::Admin);
  CHECK(roleName(Role::Auditor) == "auditor");
  CHECK_FALSE(parseRole("Admin"));
  CHECK_FALSE(parseRole("root"));
}

TEST_CASE("the users migration applies to a database of the previous version") {
  test::TempDir dir("posture-auth-migrate-");
  {
    // A version-6 database: every migration before the users one, with some data.
    auto db = openDatabase(dir.path());
    // (Migrations 8 to 15 undone too: they come after the users one; 11 dropped
    // login_throttle already.)
    // (issue 17's alert groups undone too.)
    db->exec("DROP TRIGGER alerts_group_insert; DROP TRIGGER alerts_group_update; DROP TRIGGER alerts_group_delete; "
             "DROP TABLE alert_group_events; DROP TABLE alert_groups; DROP INDEX alerts_group;");
    // (issue 17's endpoint posture columns undone as well.)
    for (const char* i : {"hostname_lc", "posture_missing"})
      db->exec(std::string("DROP INDEX endpoints_") + i);
    db->exec("DROP INDEX alerts_rule");
    for (const char* c : {"hostname_lc", "os", "av_product", "av_installed", "av_real_time", "av_signature_at",
                          "patch_pending", "patch_security", "reboot_required", "ipv6_level", "firewall_on"})
      db->exec(std::string("ALTER TABLE endpoints DROP COLUMN ") + c);
    db->exec("DROP TABLE risk_exceptions;");  // issue 17, exceptions
    db->exec("DROP TABLE retention_state; DROP INDEX reports_agent_received;");  // 18a: retention
    db->exec("DROP TABLE federated_report_2290; DROP TABLE federated_units; DROP TABLE federated_endpoints; DROP TABLE federated_targets; "
             "DROP TABLE federated_layers; DROP TABLE federated_systems; DROP TABLE federated_alert_counts; "
             "DROP TABLE federation_children; DROP TABLE upstream_state; DROP TABLE upstream_sent; "
             "DROP TABLE upstream_outbox; DROP TABLE upstream_link; DROP TABLE federated_endpoint_days;");
    db->exec("DROP TABLE unit_contacts;");  // issue 17, routed notifications
    db->exec("ALTER TABLE agents DROP COLUMN kind; ALTER TABLE enrolment_tokens DROP COLUMN kind; "
             "ALTER TABLE agents DROP COLUMN previous_cert_serial; DROP TABLE change_counters; "
             "DROP TABLE sessions; DROP TABLE users; DROP INDEX alerts_status_unit; DROP INDEX endpoints_unit_seen; "
             "DROP INDEX endpoints_order; DROP INDEX alerts_subject; CREATE INDEX endpoints_unit ON endpoints(unit_code); "
             "PRAGMA user_version=6;");
    appendAudit(*db, {0, 50, "lan", "unit.add", "unit:BS-VP", "", "{}"});
    db->exec("INSERT INTO enrolment_tokens(token_sha256, unit_code, created_at, expires_at, uses_left) "
             "VALUES ('abc', 'BS-VP', 1, 2, 3)");
  }
  {
    db::Connection raw(dir.path() / "posture.db");
    auto st = raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'users'");
    REQUIRE(st.step());
    REQUIRE(st.getInt(0) == 0);
  }
  auto db = openDatabase(dir.path());
  auto v = db->prepare("PRAGMA user_version");
  REQUIRE(v.step());
  CHECK(v.getInt(0) >= 7);
  CHECK(listAudit(*db, "unit:").size() == 1);
  auto tok = db->prepare("SELECT uses_left FROM enrolment_tokens WHERE token_sha256 = 'abc'");
  REQUIRE(tok.step());
  CHECK(tok.getInt(0) == 3);
  auto v10 = db->prepare("SELECT count(*) FROM sqlite_master WHERE name = 'login_throttle'");
  REQUIRE(v10.step());
  CHECK(v10.getInt(0) == 0);  // migration 10: throttling lives in memory now
  addUser(*db, "lan", Role::Admin, kPw, "root", 100, kCheap);
  Logins logins({}, kCheap);
  CHECK(logins.login(*db, "lan", kPw, "::1", 200).outcome == LoginResult::Outcome::Ok);
  auto s = createSession(*db, "lan", "::1", "", 200);
  CHECK(lookupSession(*db, s.token, 201));
}
