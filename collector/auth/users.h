#pragma once
// Local console users (collector/auth/README.md): names, roles, Argon2id password hashes.
// Every change is audited in the transaction that makes it; no audit entry ever contains a
// password or its hash. Logging in is login.h.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/db/sqlite.h"

namespace posture::collector::auth {

// admin: IT staff, everything. soc: read and alert triage. auditor: read, export and the
// audit log. The table is allowed() in sessions.h.
enum class Role { Admin, Soc, Auditor };
std::string_view roleName(Role role);                 // "admin", "soc", "auditor"
std::optional<Role> parseRole(std::string_view text);

// Argon2id cost. Verification reads the cost from the stored hash, so changing these only
// affects hashes made afterwards. Tests pass a cheap set; the product uses kArgon2Production.
struct Argon2Params {
  std::uint32_t timeCost = 3;         // t: passes
  std::uint32_t memoryKiB = 64 * 1024;  // m: 64 MiB
  std::uint32_t parallelism = 1;      // p: lanes
};
inline constexpr Argon2Params kArgon2Production{3, 64 * 1024, 1};
inline constexpr std::size_t kSaltBytes = 16;
inline constexpr std::size_t kHashBytes = 32;

// Encoded form "$argon2id$v=19$m=65536,t=3,p=1$SALT$HASH", fresh 16-byte salt (RAND_bytes).
std::string hashPassword(std::string_view password, const Argon2Params& params = kArgon2Production);
// Constant-time comparison (argon2id_verify); false for a wrong password or a malformed hash.
bool verifyPassword(const std::string& encoded, std::string_view password);

// Thrown for refused changes; what() is bilingual, Vietnamese first.
class AuthError : public std::runtime_error {
 public:
  enum class Kind { Invalid, Exists, NotFound };
  AuthError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

inline constexpr std::size_t kMinPasswordChars = 12;   // Unicode code points
inline constexpr std::size_t kMaxPasswordBytes = 1024;
// User names: 1-64 of a-z 0-9 . _ -  (nullopt = fine, else the bilingual reason).
std::optional<std::string> checkUserName(std::string_view name);
// At least 12 characters, at most 1024 bytes of valid UTF-8, not containing the user name
// (ignoring ASCII case; names shorter than 3 characters are not looked for).
std::optional<std::string> checkPassword(std::string_view name, std::string_view password);
// A random password that passes checkPassword (22 base64url characters, 128 bits).
std::string generatePassword(std::string_view name);

struct User {
  std::string name;
  Role role = Role::Auditor;
  std::int64_t createdAt = 0, passwordChangedAt = 0;
  std::optional<std::int64_t> disabledAt, lastLoginAt;
};

std::optional<User> findUser(db::Connection& db, std::string_view name);
std::vector<User> listUsers(db::Connection& db);  // by name
std::int64_t countUsers(db::Connection& db);

// Each validates first (AuthError Invalid / Exists / NotFound, nothing stored) and writes
// the change and its audit entry ("user.add", "user.passwd", "user.role", "user.disable",
// "user.enable"; object "user:NAME") in one transaction. Changing the password or disabling
// the user ends all of their sessions; so does a successful re-enable (none exist then).
void addUser(db::Connection& db, std::string_view name, Role role, std::string_view password,
             const std::string& actor, std::int64_t now,
             const Argon2Params& params = kArgon2Production);
void setPassword(db::Connection& db, std::string_view name, std::string_view password,
                 const std::string& actor, std::int64_t now,
                 const Argon2Params& params = kArgon2Production);
void setRole(db::Connection& db, std::string_view name, Role role, const std::string& actor,
             std::int64_t now);
// false when the user already was in that state (nothing written).
bool setDisabled(db::Connection& db, std::string_view name, bool disabled,
                 const std::string& actor, std::int64_t now);

}  // namespace posture::collector::auth
