#pragma once
// Console sessions, the session cookie, CSRF tokens and the role table the HTTP layer asks
// (collector/auth/README.md). The browser holds a random 32-byte token; the database holds
// only its SHA-256.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "collector/auth/users.h"
#include "common/db/sqlite.h"
#include "common/util/time.h"

namespace posture::collector::auth {

inline constexpr std::int64_t kSessionIdleTimeout = 30 * 60;
inline constexpr std::int64_t kSessionLifetime = 12 * util::kSecondsPerHour;
// The __Host- prefix makes the browser keep the cookie only when it is Secure, has Path=/
// and no Domain, and was set by this very host over HTTPS: a sibling host or a plain-http
// answer cannot plant or overwrite it (session fixation).
inline constexpr const char* kSessionCookieName = "__Host-posture_session";

struct NewSession {
  std::string token;      // 43 base64url characters; only for the cookie, never stored
  std::string csrfToken;  // 43 base64url characters; echoed by the page in a header / field
  std::int64_t expiresAt = 0;  // absolute end
};

// For an existing, enabled user (AuthError NotFound otherwise). ip and userAgent are kept
// for the sessions list (user agent cut to 256 bytes).
NewSession createSession(db::Connection& db, std::string_view user, std::string_view ip,
                         std::string_view userAgent, std::int64_t now);

struct SessionInfo {
  std::string user;
  Role role = Role::Auditor;  // the user's current role
  std::string csrfToken;
  std::int64_t createdAt = 0, expiresAt = 0;
};

// nullopt for an unknown, malformed, idle (>= 30 min since last use) or too old (>= 12 h)
// token, or a disabled user. An expired session is refused but not deleted here: reads stay
// reads, and purgeExpiredSessions() removes it with its audit row. Moves last_seen forward
// (at most once a minute, to spare the writer).
std::optional<SessionInfo> lookupSession(db::Connection& db, std::string_view token,
                                         std::int64_t now);
// true when the session existed.
bool logout(db::Connection& db, std::string_view token);
// Ends every session of the user; returns how many.
int deleteUserSessions(db::Connection& db, std::string_view user);
// Deletes the sessions expired by `now` (idle or too old), in one transaction with one audit
// row per user: actor "posture", action "user.session_expired", object "user:NAME", after
// {"sessions":N} — no token hash, CSRF token, address or user agent. Returns how many.
int purgeExpiredSessions(db::Connection& db, std::int64_t now);

// "__Host-posture_session=TOKEN; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=N"
std::string sessionCookie(std::string_view token, std::int64_t maxAgeSeconds);
// The same attributes with an empty value and Max-Age=0 (logout).
std::string clearSessionCookie();
// The __Host-posture_session value of a Cookie request header; "" when absent.
std::string sessionTokenFromCookieHeader(std::string_view cookieHeader);

// Constant-time (CRYPTO_memcmp) comparison; false when either is empty or lengths differ.
bool csrfMatches(std::string_view expected, std::string_view presented);

// What the console can do; allowed() is the one table of who may do what.
enum class Action {
  Read,         // dashboards, endpoints, alerts, units, systems
  AlertTriage,  // acknowledge, assign, comment, resolve
  Export,       // compliance exports and their manifests
  AuditRead,    // the audit log
  OrgEdit,      // units, four-layer records, systems
  TokenAdmin,   // enrolment tokens, agent revocation
  UserAdmin,    // users and roles
};
bool allowed(Role role, Action action);

// 32 random bytes (RAND_bytes) as 43 base64url characters without padding.
std::string randomToken();

}  // namespace posture::collector::auth
