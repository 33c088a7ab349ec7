#pragma once
// Console login (collector/auth/README.md): the throttle, the Argon2 budget and the
// aggregated audit of failures around one password check. No HTTP here; the console calls
// admit() on its I/O thread and authenticate() on a database thread.
//
//   admit()         no database, never blocks: refuses at once when (name, source group) or
//                   the group is locked (Locked) or the Argon2 budget has no place (Busy);
//                   both are counted for the audit and cost no hash.
//   authenticate()  one Argon2 verify under the budget, the same for every name: an unknown
//                   name is checked against a dummy hash of the production cost, so neither
//                   the time nor the answer tells which names exist.
//
// A success is audited at once ("user.login", actor NAME, after {"ip":ADDRESS}); failures
// are counted by FailedLogins and written in aggregate by flushAudit().
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "collector/auth/argon2_budget.h"
#include "collector/auth/failed_logins.h"
#include "collector/auth/login_throttle.h"
#include "collector/auth/users.h"
#include "common/db/sqlite.h"

namespace posture::collector::auth {

struct LoginLimits {
  ThrottleLimits throttle;
  Argon2Limits argon2;
  std::int64_t auditWindow = kFailedLoginWindow;
  std::int64_t busyRetryAfter = 1;  // seconds, when the budget is full
};

struct LoginResult {
  enum class Outcome { Ok, Bad, Locked, Busy };
  Outcome outcome = Outcome::Bad;
  std::int64_t retryAfter = 0;  // seconds, for Locked and Busy
  std::string user;             // for Ok
  Role role = Role::Auditor;    // for Ok
};

class Logins {
 public:
  // dummyParams: the cost of the dummy hash unknown names are checked against; the product
  // uses kArgon2Production (what real hashes cost), tests a cheap set.
  explicit Logins(LoginLimits limits = {}, Argon2Params dummyParams = kArgon2Production);

  // An admitted attempt: its name, where it comes from, and its place in the Argon2 budget.
  struct Attempt {
    std::string name, address, group;
    std::optional<Argon2Budget::Ticket> ticket;
  };
  // `address` is the client's address (net::remoteAddress() of the request); it is grouped
  // with net::sourceGroup().
  std::variant<Attempt, LoginResult> admit(std::string_view name, std::string_view address,
                                           std::int64_t now);
  LoginResult authenticate(db::Connection& db, Attempt& attempt, std::string_view password,
                           std::int64_t now);
  // admit() then authenticate(), on one thread (the CLI and tests).
  LoginResult login(db::Connection& db, std::string_view name, std::string_view password,
                    std::string_view address, std::int64_t now);

  // Writes the failed-login windows closed by `now` (all of them with all = true).
  std::size_t flushAudit(db::Connection& db, std::int64_t now, bool all = false);

  Argon2Budget::Stats budgetStats() const { return budget_.stats(); }
  const LoginThrottle& throttle() const { return throttle_; }
  const FailedLogins& failures() const { return failures_; }

 private:
  LoginLimits limits_;
  Argon2Params dummyParams_;
  LoginThrottle throttle_;
  Argon2Budget budget_;
  FailedLogins failures_;
};

}  // namespace posture::collector::auth
