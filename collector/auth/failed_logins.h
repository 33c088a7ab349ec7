#pragma once
// Failed logins, audited in aggregate (collector/auth/README.md). Writing one audit row per
// failure costs a synchronous commit each and lets a flood grow the audit log (and every scan
// of it) without bound. Instead the failures of one (name, source group) are counted in
// memory for a window of kFailedLoginWindow seconds from the first one, and the window becomes
// ONE row when it closes:
//
//   actor "anonymous", action "user.login_failed", object "user:NAME", at = the last attempt,
//   after {"source":"2001:db8:1:2::/64","address":"2001:db8:1:2::7","count":N,
//          "first":T1,"last":T2,"window_seconds":300,"reasons":{"bad_password":n,…}}
//
// Reasons: bad_password, unknown_user, disabled (really checked), locked (refused by a lock),
// busy (refused by the Argon2 budget). `address` is the first address seen in the window.
// The audit log stays append-only: a row is written once, complete, never updated.
//
// flush() writes the windows that closed; the console calls it periodically and with
// all = true on a clean shutdown, so nothing counted is lost then. A crash loses at most the
// open windows (at most kFailedLoginWindow seconds of counts). Thread-safe.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "common/db/sqlite.h"

namespace posture::collector::auth {

inline constexpr std::int64_t kFailedLoginWindow = 5 * 60;
// Open windows held at most; beyond, failures of new (name, source) pairs are counted in one
// row for object "user:*", source "*", so a spray of names cannot grow memory or lose counts.
inline constexpr std::size_t kFailedLoginMaxOpen = 10000;

class FailedLogins {
 public:
  explicit FailedLogins(std::int64_t window = kFailedLoginWindow,
                        std::size_t maxOpen = kFailedLoginMaxOpen);

  // One refused attempt. `name` is cut to 64 bytes (as in the object "user:NAME").
  void add(std::string_view name, std::string_view group, std::string_view address,
           std::string_view reason, std::int64_t now);
  // Writes the windows closed by `now` (every window when `all`), one row each, in one
  // transaction; returns how many rows. On a database error nothing is dropped (the next
  // flush tries again) and the error propagates.
  std::size_t flush(db::Connection& db, std::int64_t now, bool all = false);

  std::size_t open() const;  // windows not yet written

 private:
  struct Window {
    std::string address;
    std::int64_t first = 0, last = 0, count = 0;
    std::map<std::string, std::int64_t> reasons;
  };
  using Key = std::pair<std::string, std::string>;  // name, source group

  std::int64_t window_;
  std::size_t maxOpen_;
  mutable std::mutex mutex_;
  std::map<Key, Window> open_;
};

}  // namespace posture::collector::auth
