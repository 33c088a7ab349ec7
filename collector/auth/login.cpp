#include "collector/auth/login.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <tuple>

#include "collector/audit/audit.h"
#include "collector/auth/sessions.h"
#include "common/net/http_server.h"
#include "common/util/json.h"

namespace posture::collector::auth {

namespace {

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

LoginResult locked(std::int64_t retryAfter) {
  return {LoginResult::Outcome::Locked, std::max<std::int64_t>(1, retryAfter), {}, Role::Auditor};
}

}  // namespace

Logins::Logins(LoginLimits limits, Argon2Params dummyParams)
    : limits_(limits),
      dummyParams_(dummyParams),
      throttle_(limits.throttle),
      budget_(limits.argon2),
      failures_(limits.auditWindow) {}

std::variant<Logins::Attempt, LoginResult> Logins::admit(std::string_view name,
                                                         std::string_view address,
                                                         std::int64_t now) {
  std::string group = net::sourceGroup(address);
  if (auto v = throttle_.check(name, group, now); !v.free()) {
    failures_.add(name, group, address, "locked", now);
    return locked(v.retryAfter);
  }
  auto ticket = budget_.admit(group);
  if (!ticket) {
    failures_.add(name, group, address, "busy", now);
    return LoginResult{LoginResult::Outcome::Busy, limits_.busyRetryAfter, {}, Role::Auditor};
  }
  return Attempt{std::string(name), std::string(address), std::move(group), std::move(ticket)};
}

LoginResult Logins::authenticate(db::Connection& db, Attempt& a, std::string_view password,
                                 std::int64_t now) {
  // A lock may have come while this attempt waited for its turn.
  if (auto v = throttle_.check(a.name, a.group, now); !v.free()) {
    a.ticket.reset();
    failures_.add(a.name, a.group, a.address, "locked", now);
    return locked(v.retryAfter);
  }
  std::optional<std::string> hash;
  std::optional<User> user;
  if (!checkUserName(a.name)) {
    auto st = db.prepare("SELECT password_hash FROM users WHERE name = ?");
    st.bind(1, a.name);
    if (st.step()) {
      hash = st.getText(0);
      user = findUser(db, a.name);
    }
  }
  // The Argon2 work, the same for every name, outside any transaction.
  bool passwordOk =
      a.ticket
          ? budget_.hash(
                *a.ticket,
                [&] { return verifyPassword(hash ? *hash : dummyHash(dummyParams_), password); })
          : false;
  a.ticket.reset();  // the budget's place is free again before any database write
  if (passwordOk && user && !user->disabledAt) {
    db::Transaction tx(db);
    db.prepare("UPDATE users SET last_login_at = ? WHERE name = ?")
        .bind(1, now)
        .bind(2, a.name)
        .run();
    appendAudit(db, {0, now, a.name, "user.login", "user:" + a.name, "",
                     "{\"ip\":" + util::jsonString(a.address.substr(0, 64)) + "}"});
    tx.commit();
    throttle_.succeeded(a.name, a.group);
    return {LoginResult::Outcome::Ok, 0, a.name, user->role};
  }
  const char* reason = !user ? "unknown_user" : !passwordOk ? "bad_password" : "disabled";
  throttle_.failed(a.name, a.group, now);
  failures_.add(a.name, a.group, a.address, reason, now);
  return {LoginResult::Outcome::Bad, 0, {}, Role::Auditor};
}

LoginResult Logins::login(db::Connection& db, std::string_view name, std::string_view password,
                          std::string_view address, std::int64_t now) {
  auto admitted = admit(name, address, now);
  if (auto* refused = std::get_if<LoginResult>(&admitted)) return *refused;
  return authenticate(db, std::get<Attempt>(admitted), password, now);
}

std::size_t Logins::flushAudit(db::Connection& db, std::int64_t now, bool all) {
  return failures_.flush(db, now, all);
}

}  // namespace posture::collector::auth
