#include "collector/auth/sessions.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "collector/audit/audit.h"
#include "common/crypto/crypto.h"

namespace posture::collector::auth {

namespace {

std::string base64url(const unsigned char* data, std::size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 0x3F];
  }
  if (n - i == 1) {
    std::uint32_t v = data[i] << 16;
    out += kAlphabet[(v >> 18) & 0x3F];
    out += kAlphabet[(v >> 12) & 0x3F];
  } else if (n - i == 2) {
    std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 0x3F];
    out += kAlphabet[(v >> 12) & 0x3F];
    out += kAlphabet[(v >> 6) & 0x3F];
  }
  return out;
}

bool wellFormedToken(std::string_view t) {
  return t.size() == 43 &&
         t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
             std::string_view::npos;
}

std::string cookieAttributes() { return "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age="; }

}  // namespace

std::string randomToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  return base64url(bytes, sizeof bytes);
}

NewSession createSession(db::Connection& db, std::string_view user, std::string_view ip,
                         std::string_view userAgent, std::int64_t now) {
  NewSession s{randomToken(), randomToken(), now + kSessionLifetime};
  db::Transaction tx(db);
  auto u = findUser(db, user);
  if (!u || u->disabledAt) {
    throw AuthError(AuthError::Kind::NotFound,
                    "không có người dùng đang hoạt động '" + std::string(user) +
                        "' / no active user '" + std::string(user) + "'");
  }
  db.prepare("INSERT INTO sessions(id_sha256, user, csrf_token, created_at, last_seen, expires_at, "
             "ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, crypto::sha256Hex(s.token))
      .bind(2, user)
      .bind(3, s.csrfToken)
      .bind(4, now)
      .bind(5, now)
      .bind(6, s.expiresAt)
      .bind(7, ip.substr(0, 64))
      .bind(8, userAgent.substr(0, 256))
      .run();
  tx.commit();
  return s;
}

std::optional<SessionInfo> lookupSession(db::Connection& db, std::string_view token,
                                         std::int64_t now) {
  if (!wellFormedToken(token)) return std::nullopt;
  std::string id = crypto::sha256Hex(token);
  auto st = db.prepare(
      "SELECT s.user, u.role, s.csrf_token, s.created_at, s.last_seen, s.expires_at, u.disabled_at "
      "FROM sessions s JOIN users u ON u.name = s.user WHERE s.id_sha256 = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  SessionInfo info{st.getText(0), parseRole(st.getText(1)).value_or(Role::Auditor), st.getText(2),
                   st.getInt(3), st.getInt(5)};
  std::int64_t lastSeen = st.getInt(4);
  bool disabled = !st.isNull(6);
  st.reset();
  if (disabled || now >= info.expiresAt || now - lastSeen >= kSessionIdleTimeout) return std::nullopt;
  if (now - lastSeen >= 60) {
    db.prepare("UPDATE sessions SET last_seen = ? WHERE id_sha256 = ? AND last_seen < ?")
        .bind(1, now)
        .bind(2, id)
        .bind(3, now)
        .run();
  }
  return info;
}

bool logout(db::Connection& db, std::string_view token) {
  if (!wellFormedToken(token)) return false;
  db.prepare("DELETE FROM sessions WHERE id_sha256 = ?").bind(1, crypto::sha256Hex(token)).run();
  return db.changes() > 0;
}

int deleteUserSessions(db::Connection& db, std::string_view user) {
  db.prepare("DELETE FROM sessions WHERE user = ?").bind(1, user).run();
  return db.changes();
}

int purgeExpiredSessions(db::Connection& db, std::int64_t now) {
  // The same rule as lookupSession: expired at expires_at, idle from last_seen + timeout.
  constexpr const char* kExpired = "expires_at <= ?1 OR last_seen <= ?2";
  {
    // Most passes find nothing: only then take the write lock.
    auto any = db.prepare(std::string("SELECT 1 FROM sessions WHERE ") + kExpired + " LIMIT 1");
    any.bind(1, now).bind(2, now - kSessionIdleTimeout);
    if (!any.step()) return 0;
  }
  db::Transaction tx(db);
  std::vector<std::pair<std::string, std::int64_t>> perUser;
  {
    auto st = db.prepare(std::string("SELECT user, count(*) FROM sessions WHERE ") + kExpired +
                         " GROUP BY user ORDER BY user");
    st.bind(1, now).bind(2, now - kSessionIdleTimeout);
    while (st.step()) perUser.emplace_back(st.getText(0), st.getInt(1));
  }
  if (perUser.empty()) return 0;
  db.prepare(std::string("DELETE FROM sessions WHERE ") + kExpired).bind(1, now).bind(2, now - kSessionIdleTimeout).run();
  int purged = db.changes();
  for (const auto& [user, n] : perUser) {
    appendAudit(db, {0, now, "posture", "user.session_expired", "user:" + user, "",
                     "{\"sessions\":" + std::to_string(n) + "}"});
  }
  tx.commit();
  return purged;
}

std::string sessionCookie(std::string_view token, std::int64_t maxAgeSeconds) {
  return std::string(kSessionCookieName) + "=" + std::string(token) + cookieAttributes() +
         std::to_string(std::max<std::int64_t>(0, maxAgeSeconds));
}

std::string clearSessionCookie() { return std::string(kSessionCookieName) + "=" + cookieAttributes() + "0"; }

std::string sessionTokenFromCookieHeader(std::string_view header) {
  const std::string_view name = kSessionCookieName;
  while (!header.empty()) {
    std::size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    while (!pair.empty() && (pair.back() == ' ' || pair.back() == '\t')) pair.remove_suffix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
  }
  return {};
}

bool csrfMatches(std::string_view expected, std::string_view presented) {
  if (expected.empty() || presented.size() != expected.size()) return false;
  return CRYPTO_memcmp(expected.data(), presented.data(), expected.size()) == 0;
}

bool allowed(Role role, Action action) {
  switch (role) {
    case Role::Admin: return true;
    case Role::Soc: return action == Action::Read || action == Action::AlertTriage;
    case Role::Auditor:
      return action == Action::Read || action == Action::Export || action == Action::AuditRead;
  }
  return false;
}

}  // namespace posture::collector::auth
