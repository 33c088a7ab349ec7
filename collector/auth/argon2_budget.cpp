#include "collector/auth/argon2_budget.h"

#include <algorithm>

namespace posture::collector::auth {

Argon2Budget::Argon2Budget(Argon2Limits limits) : limits_(limits) {
  limits_.concurrent = std::max(1u, limits_.concurrent);
  limits_.perSource = std::max(1u, limits_.perSource);
}

std::optional<Argon2Budget::Ticket> Argon2Budget::admit(std::string_view group) {
  std::lock_guard lock(mutex_);
  unsigned& mine = perSource_[std::string(group)];
  if (stats_.admitted >= limits_.concurrent + limits_.queued || mine >= limits_.perSource) {
    if (mine == 0) perSource_.erase(std::string(group));
    ++stats_.refused;
    return std::nullopt;
  }
  ++mine;
  ++stats_.admitted;
  return Ticket([this, g = std::string(group)] { release(g); });
}

void Argon2Budget::release(const std::string& group) {
  std::lock_guard lock(mutex_);
  --stats_.admitted;
  auto it = perSource_.find(group);
  if (it != perSource_.end() && --it->second == 0) perSource_.erase(it);
}

Argon2Budget::Slot::Slot(Argon2Budget& b) : budget(b) {
  std::unique_lock lock(b.mutex_);
  b.slotFree_.wait(lock, [&] { return b.stats_.running < b.limits_.concurrent; });
  ++b.stats_.running;
  b.stats_.peakRunning = std::max(b.stats_.peakRunning, b.stats_.running);
}

Argon2Budget::Slot::~Slot() {
  {
    std::lock_guard lock(budget.mutex_);
    --budget.stats_.running;
  }
  budget.slotFree_.notify_one();
}

Argon2Budget::Stats Argon2Budget::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace posture::collector::auth
