#include "collector/auth/login_throttle.h"

#include <algorithm>

#include "common/util/utf8.h"

namespace posture::collector::auth {

namespace {
std::string nameKey(std::string_view name) { return util::cutUtf8(name, 64); }
}  // namespace

LoginThrottle::LoginThrottle(ThrottleLimits limits) : limits_(limits) {}

std::int64_t LoginThrottle::lockSeconds(int failures) const {
  if (failures < limits_.freeFailures) return 0;
  std::int64_t lock = limits_.firstLock;
  for (int i = limits_.freeFailures; i < failures && lock < limits_.maxLock; ++i) lock *= 2;
  return std::min(lock, limits_.maxLock);
}

LoginThrottle::Verdict LoginThrottle::check(std::string_view name, std::string_view group,
                                            std::int64_t now) const {
  std::lock_guard lock(mutex_);
  Verdict v;
  if (auto s = sources_.find(std::string(group));
      s != sources_.end() && s->second.blockedUntil > now) {
    v = {Verdict::Kind::SourceLocked, s->second.blockedUntil - now};
  }
  if (auto p = pairs_.find({nameKey(name), std::string(group)});
      p != pairs_.end() && p->second.lockedUntil > now) {
    std::int64_t wait = p->second.lockedUntil - now;
    if (wait > v.retryAfter) v = {Verdict::Kind::NameLocked, wait};
  }
  return v;
}

template <typename Map, typename Forgotten, typename Age>
void LoginThrottle::makeRoom(Map& map, Forgotten forgotten, Age age) {
  if (map.size() < limits_.maxTracked) return;
  std::erase_if(map, [&](const auto& e) { return forgotten(e.second); });
  if (map.size() < limits_.maxTracked) return;
  auto oldest = std::min_element(map.begin(), map.end(), [&](const auto& a, const auto& b) {
    return age(a.second) < age(b.second);
  });
  map.erase(oldest);
}

void LoginThrottle::failed(std::string_view name, std::string_view group, std::int64_t now) {
  std::lock_guard lock(mutex_);
  PairKey key{nameKey(name), std::string(group)};
  auto p = pairs_.find(key);
  if (p == pairs_.end()) {
    makeRoom(
        pairs_,
        [&](const Pair& e) {
          return e.lockedUntil <= now && e.lastFailure <= now - limits_.failureMemory;
        },
        [&](const Pair& e) { return std::make_pair(e.lockedUntil > now, e.lastFailure); });
    p = pairs_.emplace(std::move(key), Pair{}).first;
  }
  Pair& pair = p->second;
  if (pair.lastFailure <= now - limits_.failureMemory) pair.failures = 0;
  ++pair.failures;
  pair.lastFailure = now;
  if (std::int64_t l = lockSeconds(pair.failures))
    pair.lockedUntil = std::max(pair.lockedUntil, now + l);

  auto s = sources_.find(std::string(group));
  if (s == sources_.end()) {
    makeRoom(
        sources_,
        [&](const Source& e) {
          return e.blockedUntil <= now && e.windowStart + limits_.sourceWindow <= now;
        },
        [&](const Source& e) { return std::make_pair(e.blockedUntil > now, e.windowStart); });
    s = sources_.emplace(std::string(group), Source{0, now, 0}).first;
  }
  Source& source = s->second;
  if (source.windowStart + limits_.sourceWindow <= now) source = {0, now, 0};
  if (++source.failures >= limits_.sourceMaxFailures)
    source.blockedUntil = source.windowStart + limits_.sourceWindow;
}

void LoginThrottle::succeeded(std::string_view name, std::string_view group) {
  std::lock_guard lock(mutex_);
  // The pair starts afresh; the source's window does not (a spray may include one hit).
  pairs_.erase({nameKey(name), std::string(group)});
}

std::size_t LoginThrottle::tracked() const {
  std::lock_guard lock(mutex_);
  return pairs_.size() + sources_.size();
}

}  // namespace posture::collector::auth
