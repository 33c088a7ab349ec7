#pragma once
// Login throttling, in memory (collector/auth/README.md). Locks are per (name, source group)
// so a flood against a name from one place does not lock its owner out everywhere; a source
// group that fails against many names is blocked as a whole. No database write per failure:
// a flood of wrong passwords costs the writer nothing. Forgotten at a restart (a restart is
// not something an attacker on the network can cause).
//
// Thread-safe. Time is passed in (Unix seconds), so tests control it.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "common/util/time.h"

namespace posture::collector::auth {

struct ThrottleLimits {
  // Per (name, source group): after freeFailures consecutive failures each further failure
  // locks the pair for firstLock seconds, doubling up to maxLock; a success resets it;
  // failures are forgotten after failureMemory seconds without one.
  int freeFailures = 5;
  std::int64_t firstLock = 30;
  std::int64_t maxLock = 15 * 60;
  std::int64_t failureMemory = util::kSecondsPerDay;
  // Per source group, across names: sourceMaxFailures failures within sourceWindow seconds
  // block the group until the window ends (password spraying from one place).
  int sourceMaxFailures = 20;
  std::int64_t sourceWindow = 15 * 60;
  // Entries kept at most (each map): beyond it, forgotten entries go first, then the
  // oldest without a lock in force, then the oldest. Bounds the memory an attacker with
  // many addresses and names can take, without letting a spray wash out the locks.
  std::size_t maxTracked = 65536;
};

class LoginThrottle {
 public:
  explicit LoginThrottle(ThrottleLimits limits = {});

  struct Verdict {
    enum class Kind { Free, NameLocked, SourceLocked };
    Kind kind = Kind::Free;
    std::int64_t retryAfter = 0;  // seconds, when locked
    bool free() const { return kind == Kind::Free; }
  };
  // Whether an attempt for `name` from `group` may be checked now. Names are compared on
  // their first 64 bytes (the longest valid name), the same for users and unknown names.
  Verdict check(std::string_view name, std::string_view group, std::int64_t now) const;
  // A wrong password (or unknown name, or disabled user) that was really checked.
  void failed(std::string_view name, std::string_view group, std::int64_t now);
  void succeeded(std::string_view name, std::string_view group);

  std::size_t tracked() const;  // entries held, both maps

 private:
  struct Pair {
    int failures = 0;
    std::int64_t lastFailure = 0, lockedUntil = 0;
  };
  struct Source {
    int failures = 0;
    std::int64_t windowStart = 0, blockedUntil = 0;
  };
  using PairKey = std::pair<std::string, std::string>;

  std::int64_t lockSeconds(int failures) const;
  template <typename Map, typename Forgotten, typename Age>
  void makeRoom(Map& map, Forgotten forgotten, Age age);

  ThrottleLimits limits_;
  mutable std::mutex mutex_;
  std::map<PairKey, Pair> pairs_;
  std::map<std::string, Source> sources_;
};

}  // namespace posture::collector::auth
