#include "collector/auth/failed_logins.h"

#include <algorithm>
#include <vector>

#include "collector/audit/audit.h"
#include "common/util/json.h"
#include "common/util/utf8.h"

namespace posture::collector::auth {

namespace {
const std::pair<std::string, std::string> kOverflow{"*", "*"};
}  // namespace

FailedLogins::FailedLogins(std::int64_t window, std::size_t maxOpen)
    : window_(window), maxOpen_(maxOpen) {}

void FailedLogins::add(std::string_view name, std::string_view group, std::string_view address,
                       std::string_view reason, std::int64_t now) {
  std::lock_guard lock(mutex_);
  Key key{util::cutUtf8(name, 64), std::string(group)};
  auto it = open_.find(key);
  if (it == open_.end()) {
    if (open_.size() >= maxOpen_) key = kOverflow;
    it = open_.try_emplace(key, Window{util::cutUtf8(address, 64), now, now, 0, {}}).first;
  }
  Window& w = it->second;
  ++w.count;
  w.last = std::max(w.last, now);
  ++w.reasons[std::string(reason)];
}

std::size_t FailedLogins::flush(db::Connection& db, std::int64_t now, bool all) {
  std::vector<std::pair<Key, Window>> closed;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, w] : open_) {
      if (all || w.first + window_ <= now) closed.emplace_back(key, w);
    }
  }
  if (closed.empty()) return 0;
  db::Transaction tx(db);
  for (const auto& [key, w] : closed) {
    std::string reasons;
    for (const auto& [reason, n] : w.reasons) {
      reasons += (reasons.empty() ? "" : ",") + util::jsonString(reason) + ":" + std::to_string(n);
    }
    std::string after =
        "{\"source\":" + util::jsonString(key.second) +
        ",\"address\":" + util::jsonString(w.address) + ",\"count\":" + std::to_string(w.count) +
        ",\"first\":" + std::to_string(w.first) + ",\"last\":" + std::to_string(w.last) +
        ",\"window_seconds\":" + std::to_string(window_) + ",\"reasons\":{" + reasons + "}}";
    appendAudit(db, {0, w.last, "anonymous", "user.login_failed", "user:" + key.first, "", after});
  }
  tx.commit();
  // Only now forget them; failures added meanwhile to a written window start a new one.
  std::lock_guard lock(mutex_);
  for (const auto& [key, w] : closed) {
    auto it = open_.find(key);
    if (it == open_.end()) continue;
    Window& current = it->second;
    if (current.count == w.count) {
      open_.erase(it);
    } else {
      // Counted after the copy: keep only those, as the start of the next window.
      current.count -= w.count;
      for (const auto& [reason, n] : w.reasons) {
        if ((current.reasons[reason] -= n) == 0) current.reasons.erase(reason);
      }
      current.first = w.last;
    }
  }
  return closed.size();
}

std::size_t FailedLogins::open() const {
  std::lock_guard lock(mutex_);
  return open_.size();
}

}  // namespace posture::collector::auth
