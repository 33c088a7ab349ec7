#include "collector/auth/argon2_budget.h"

#include <algorithm>

namespace posture::collector::auth {

Argon2Budget::Argon2Budget(Argon2Limits limits) : limits_(limits) {
  limits_.concurrent = std::max(1u, limits_.concurrent);
  limits_.perSource = std::max(1u, limits_.perSource);
}

std::optional<Argon2Budget::Ticket> Argon2Budget::admit(std::string_view group) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  unsigned& mine = s.perSource[std::string(group)];
  if (s.stats.admitted >= limits_.concurrent + limits_.queued || mine >= limits_.perSource) {
    if (mine == 0) s.perSource.erase(std::string(group));
    ++s.stats.refused;
    return std::nullopt;
  }
  ++mine;
  ++s.stats.admitted;
  return Ticket([state = state_, g = std::string(group)] { state->release(g); });
}

void Argon2Budget::State::release(const std::string& group) {
  std::lock_guard lock(mutex);
  --stats.admitted;
  auto it = perSource.find(group);
  if (it != perSource.end() && --it->second == 0) perSource.erase(it);
}

Argon2Budget::Slot::Slot(State& s, unsigned concurrent) : state(s) {
  std::unique_lock lock(s.mutex);
  s.slotFree.wait(lock, [&] { return s.stats.running < concurrent; });
  ++s.stats.running;
  s.stats.peakRunning = std::max(s.stats.peakRunning, s.stats.running);
}

Argon2Budget::Slot::~Slot() {
  {
    std::lock_guard lock(state.mutex);
    --state.stats.running;
  }
  state.slotFree.notify_one();
}

Argon2Budget::Stats Argon2Budget::stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

}  // namespace posture::collector::auth
