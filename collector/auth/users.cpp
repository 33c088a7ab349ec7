#include "collector/auth/users.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "collector/audit/audit.h"
#include "collector/auth/sessions.h"
#include "common/util/json.h"
#include "common/util/utf8.h"

namespace posture::collector::auth {

namespace {

std::string bilingual(const std::string& vi, const std::string& en) { return vi + " / " + en; }

std::string json(std::string_view s) { return util::jsonString(s); }

// The user as audit JSON: never the hash.
std::string userJson(std::string_view name, Role role, std::optional<std::int64_t> disabledAt) {
  return "{\"name\":" + json(name) + ",\"role\":" + json(roleName(role)) +
         ",\"disabled\":" + (disabledAt ? "true" : "false") + "}";
}

std::string object(std::string_view name) { return "user:" + std::string(name); }


std::string lowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

User readUser(db::Statement& st) {
  User u;
  u.name = st.getText(0);
  u.role = parseRole(st.getText(1)).value_or(Role::Auditor);
  u.createdAt = st.getInt(2);
  u.passwordChangedAt = st.getInt(3);
  if (!st.isNull(4)) u.disabledAt = st.getInt(4);
  if (!st.isNull(5)) u.lastLoginAt = st.getInt(5);
  u.failedLogins = static_cast<int>(st.getInt(6));
  u.lockedUntil = st.getInt(7);
  return u;
}

constexpr const char* kUserColumns =
    "SELECT name, role, created_at, password_changed_at, disabled_at, last_login_at, "
    "failed_logins, locked_until FROM users ";

User requireUser(db::Connection& db, std::string_view name) {
  auto u = findUser(db, name);
  if (!u) {
    throw AuthError(AuthError::Kind::NotFound,
                    bilingual("không có người dùng '" + std::string(name) + "'",
                              "no user '" + std::string(name) + "'"));
  }
  return *u;
}

void requireValid(std::string_view name, std::string_view password) {
  if (auto e = checkUserName(name)) throw AuthError(AuthError::Kind::Invalid, *e);
  if (auto e = checkPassword(name, password)) throw AuthError(AuthError::Kind::Invalid, *e);
}

// A hash of a random password with these parameters, made once per parameter set, so an
// unknown name costs the same Argon2 work as a real one.
const std::string& dummyHash(const Argon2Params& p) {
  static std::mutex mutex;
  static std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>, std::string> cache;
  std::lock_guard lock(mutex);
  auto key = std::make_tuple(p.timeCost, p.memoryKiB, p.parallelism);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, hashPassword(randomToken(), p)).first;
  return it->second;
}

struct ThrottleRow {
  int failures = 0;
  std::int64_t windowStart = 0, lockedUntil = 0;
};

ThrottleRow readThrottle(db::Connection& db, const std::string& key) {
  auto st = db.prepare("SELECT failures, window_start, locked_until FROM login_throttle WHERE key = ?");
  st.bind(1, key);
  if (!st.step()) return {};
  return {static_cast<int>(st.getInt(0)), st.getInt(1), st.getInt(2)};
}

void auditLogin(db::Connection& db, std::string_view name, bool ok, std::string_view ip,
                const char* reason, std::int64_t now) {
  // A name that breaks the name rule is still recorded, but cut short and only as data.
  std::string shown(name.substr(0, 64));
  std::string after = "{\"ip\":" + json(ip.substr(0, 64));
  if (!ok) after += ",\"reason\":" + json(reason);
  after += "}";
  appendAudit(db, {0, now, ok ? shown : std::string("anonymous"), ok ? "user.login" : "user.login_failed",
                   object(shown), "", after});
}

}  // namespace

std::string_view roleName(Role role) {
  switch (role) {
    case Role::Admin: return "admin";
    case Role::Soc: return "soc";
    case Role::Auditor: return "auditor";
  }
  return "auditor";
}

std::optional<Role> parseRole(std::string_view text) {
  if (text == "admin") return Role::Admin;
  if (text == "soc") return Role::Soc;
  if (text == "auditor") return Role::Auditor;
  return std::nullopt;
}

std::string hashPassword(std::string_view password, const Argon2Params& p) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("RAND_bytes failed");
  std::size_t len = argon2_encodedlen(p.timeCost, p.memoryKiB, p.parallelism, kSaltBytes,
                                      kHashBytes, Argon2_id);
  std::string encoded(len + 1, '\0');
  int rc = argon2id_hash_encoded(p.timeCost, p.memoryKiB, p.parallelism, password.data(),
                                 password.size(), salt, kSaltBytes, kHashBytes, encoded.data(),
                                 encoded.size());
  if (rc != ARGON2_OK) {
    throw std::runtime_error(std::string("argon2id_hash_encoded: ") + argon2_error_message(rc));
  }
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

bool verifyPassword(const std::string& encoded, std::string_view password) {
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::optional<std::string> checkUserName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 &&
            name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") == std::string_view::npos;
  if (ok) return std::nullopt;
  return bilingual("tên người dùng phải gồm 1-64 ký tự a-z, 0-9, '.', '_' hoặc '-'",
                   "user name must be 1-64 characters of a-z, 0-9, '.', '_' or '-'");
}

std::optional<std::string> checkPassword(std::string_view name, std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return bilingual("mật khẩu dài quá 1024 byte", "the password is longer than 1024 bytes");
  }
  auto chars = util::utf8Length(password);
  if (!chars) {
    return bilingual("mật khẩu không phải văn bản UTF-8 hợp lệ", "the password is not valid UTF-8 text");
  }
  if (*chars < kMinPasswordChars) {
    return bilingual("mật khẩu phải có ít nhất 12 ký tự (hiện có " + std::to_string(*chars) + ")",
                     "the password must have at least 12 characters (it has " +
                         std::to_string(*chars) + ")");
  }
  if (name.size() >= 3 && lowerAscii(password).find(lowerAscii(name)) != std::string::npos) {
    return bilingual("mật khẩu không được chứa tên người dùng",
                     "the password must not contain the user name");
  }
  return std::nullopt;
}

std::string generatePassword(std::string_view name) {
  for (;;) {
    std::string p = randomToken().substr(0, 22);  // 132 bits of the 256
    if (!checkPassword(name, p)) return p;
  }
}

std::optional<User> findUser(db::Connection& db, std::string_view name) {
  auto st = db.prepare(std::string(kUserColumns) + "WHERE name = ?");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return readUser(st);
}

std::vector<User> listUsers(db::Connection& db) {
  auto st = db.prepare(std::string(kUserColumns) + "ORDER BY name");
  std::vector<User> out;
  while (st.step()) out.push_back(readUser(st));
  return out;
}

std::int64_t countUsers(db::Connection& db) {
  auto st = db.prepare("SELECT count(*) FROM users");
  st.step();
  return st.getInt(0);
}

void addUser(db::Connection& db, std::string_view name, Role role, std::string_view password,
             const std::string& actor, std::int64_t now, const Argon2Params& params) {
  requireValid(name, password);
  std::string hash = hashPassword(password, params);  // before the write lock
  db::Transaction tx(db);
  if (findUser(db, name)) {
    throw AuthError(AuthError::Kind::Exists,
                    bilingual("người dùng '" + std::string(name) + "' đã tồn tại",
                              "user '" + std::string(name) + "' already exists"));
  }
  db.prepare("INSERT INTO users(name, role, password_hash, created_at, password_changed_at) "
             "VALUES (?, ?, ?, ?, ?)")
      .bind(1, name)
      .bind(2, roleName(role))
      .bind(3, hash)
      .bind(4, now)
      .bind(5, now)
      .run();
  appendAudit(db, {0, now, actor, "user.add", object(name), "", userJson(name, role, std::nullopt)});
  tx.commit();
}

void setPassword(db::Connection& db, std::string_view name, std::string_view password,
                 const std::string& actor, std::int64_t now, const Argon2Params& params) {
  requireValid(name, password);
  requireUser(db, name);
  std::string hash = hashPassword(password, params);
  db::Transaction tx(db);
  User u = requireUser(db, name);
  db.prepare("UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, "
             "locked_until = 0 WHERE name = ?")
      .bind(1, hash)
      .bind(2, now)
      .bind(3, name)
      .run();
  int ended = deleteUserSessions(db, name);
  std::string state = userJson(name, u.role, u.disabledAt);
  appendAudit(db, {0, now, actor, "user.passwd", object(name), state,
                   state.substr(0, state.size() - 1) + ",\"password_changed\":true,\"sessions_ended\":" +
                       std::to_string(ended) + "}"});
  tx.commit();
}

void setRole(db::Connection& db, std::string_view name, Role role, const std::string& actor,
             std::int64_t now) {
  db::Transaction tx(db);
  User u = requireUser(db, name);
  if (u.role == role) return;  // nothing to change, nothing to audit
  db.prepare("UPDATE users SET role = ? WHERE name = ?").bind(1, roleName(role)).bind(2, name).run();
  appendAudit(db, {0, now, actor, "user.role", object(name), userJson(name, u.role, u.disabledAt),
                   userJson(name, role, u.disabledAt)});
  tx.commit();
}

bool setDisabled(db::Connection& db, std::string_view name, bool disabled,
                 const std::string& actor, std::int64_t now) {
  db::Transaction tx(db);
  User u = requireUser(db, name);
  if (u.disabledAt.has_value() == disabled) return false;
  std::optional<std::int64_t> after;
  if (disabled) {
    after = now;
    db.prepare("UPDATE users SET disabled_at = ? WHERE name = ?").bind(1, now).bind(2, name).run();
  } else {
    db.prepare("UPDATE users SET disabled_at = NULL, failed_logins = 0, locked_until = 0 WHERE name = ?")
        .bind(1, name)
        .run();
  }
  deleteUserSessions(db, name);
  appendAudit(db, {0, now, actor, disabled ? "user.disable" : "user.enable", object(name),
                   userJson(name, u.role, u.disabledAt), userJson(name, u.role, after)});
  tx.commit();
  return true;
}

std::int64_t userLockSeconds(int failures) {
  if (failures < kUserFreeFailures) return 0;
  std::int64_t lock = kUserFirstLock;
  for (int i = kUserFreeFailures; i < failures && lock < kUserMaxLock; ++i) lock *= 2;
  return std::min(lock, kUserMaxLock);
}

LoginResult authenticate(db::Connection& db, std::string_view name, std::string_view password,
                         std::string_view clientIp, std::int64_t now,
                         const Argon2Params& dummyParams) {
  using Outcome = LoginResult::Outcome;
  const std::string ipKey = "ip:" + std::string(clientIp.substr(0, 64));
  const std::string nameKey = "name:" + std::string(name.substr(0, 64));

  // 1. Locks, read without the write lock. Real users keep their counters in `users`; any
  // other name in login_throttle, with the same rule, so a lock tells nothing either way.
  ThrottleRow ip = readThrottle(db, ipKey);
  std::optional<std::string> hash;
  std::optional<User> user;
  bool validName = !checkUserName(name);
  if (validName) {
    auto st = db.prepare("SELECT password_hash FROM users WHERE name = ?");
    st.bind(1, name);
    if (st.step()) {
      hash = st.getText(0);
      user = findUser(db, name);
    }
  }
  std::int64_t nameLockedUntil = user ? user->lockedUntil : readThrottle(db, nameKey).lockedUntil;
  std::int64_t lockedUntil = std::max(ip.lockedUntil, nameLockedUntil);
  if (lockedUntil > now) {
    db::Transaction tx(db);
    auditLogin(db, name, false, clientIp, ip.lockedUntil > now ? "ip_locked" : "user_locked", now);
    tx.commit();
    return {Outcome::Locked, lockedUntil - now, {}, Role::Auditor};
  }

  // 2. The Argon2 work, the same for every name, outside any transaction.
  bool passwordOk = verifyPassword(hash ? *hash : dummyHash(dummyParams), password);
  bool ok = passwordOk && user && !user->disabledAt;
  const char* reason = !user ? "unknown_user" : !passwordOk ? "bad_password" : "disabled";

  // 3. Counters and the audit entry, together.
  db::Transaction tx(db);
  if (ok) {
    db.prepare("UPDATE users SET failed_logins = 0, locked_until = 0, last_login_at = ? WHERE name = ?")
        .bind(1, now)
        .bind(2, name)
        .run();
    auditLogin(db, name, true, clientIp, "", now);
    tx.commit();
    return {Outcome::Ok, 0, std::string(name), user->role};
  }
  // A fresh window when the last one is over; the IP is blocked at the limit until it ends.
  db.prepare("INSERT INTO login_throttle(key, failures, window_start, locked_until) VALUES (?1, 1, ?2, 0) "
             "ON CONFLICT(key) DO UPDATE SET "
             "failures = CASE WHEN window_start + ?3 <= ?2 THEN 1 ELSE failures + 1 END, "
             "window_start = CASE WHEN window_start + ?3 <= ?2 THEN ?2 ELSE window_start END")
      .bind(1, ipKey)
      .bind(2, now)
      .bind(3, kIpWindow)
      .run();
  ThrottleRow ipNow = readThrottle(db, ipKey);
  if (ipNow.failures >= kIpMaxFailures) {
    db.prepare("UPDATE login_throttle SET locked_until = ? WHERE key = ?")
        .bind(1, ipNow.windowStart + kIpWindow)
        .bind(2, ipKey)
        .run();
  }
  if (user) {
    auto st = db.prepare(
        "UPDATE users SET failed_logins = CASE WHEN last_failed_at <= ?2 - ?3 THEN 1 "
        "ELSE failed_logins + 1 END, last_failed_at = ?2 WHERE name = ?1 RETURNING failed_logins");
    st.bind(1, name).bind(2, now).bind(3, kFailureMemory);
    int failures = st.step() ? static_cast<int>(st.getInt(0)) : 0;
    st.reset();
    if (std::int64_t lock = userLockSeconds(failures)) {
      db.prepare("UPDATE users SET locked_until = ? WHERE name = ?").bind(1, now + lock).bind(2, name).run();
    }
  } else {
    auto st = db.prepare(
        "INSERT INTO login_throttle(key, failures, window_start, locked_until) VALUES (?1, 1, ?2, 0) "
        "ON CONFLICT(key) DO UPDATE SET failures = CASE WHEN window_start <= ?2 - ?3 THEN 1 "
        "ELSE failures + 1 END, window_start = ?2 RETURNING failures");
    st.bind(1, nameKey).bind(2, now).bind(3, kFailureMemory);
    int failures = st.step() ? static_cast<int>(st.getInt(0)) : 0;
    st.reset();
    if (std::int64_t lock = userLockSeconds(failures)) {
      db.prepare("UPDATE login_throttle SET locked_until = ? WHERE key = ?")
          .bind(1, now + lock)
          .bind(2, nameKey)
          .run();
    }
  }
  // Unknown names and IPs without a failure for a day are forgotten, so the table stays small.
  db.prepare("DELETE FROM login_throttle WHERE window_start < ? AND locked_until < ?")
      .bind(1, now - kFailureMemory)
      .bind(2, now)
      .run();
  auditLogin(db, name, false, clientIp, reason, now);
  tx.commit();
  return {Outcome::Bad, 0, {}, Role::Auditor};
}

}  // namespace posture::collector::auth
