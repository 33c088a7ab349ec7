#include "collector/auth/users.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

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
  return u;
}

constexpr const char* kUserColumns =
    "SELECT name, role, created_at, password_changed_at, disabled_at, last_login_at FROM users ";

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
  db.prepare("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE name = ?")
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
    db.prepare("UPDATE users SET disabled_at = NULL WHERE name = ?")
        .bind(1, name)
        .run();
  }
  deleteUserSessions(db, name);
  appendAudit(db, {0, now, actor, disabled ? "user.disable" : "user.enable", object(name),
                   userJson(name, u.role, u.disabledAt), userJson(name, u.role, after)});
  tx.commit();
  return true;
}

}  // namespace posture::collector::auth
