#include "collector/console/export_gate.h"

#include <algorithm>
#include <utility>

namespace posture::collector::console {

ExportGate::ExportGate(ExportLimits limits) : limits_(limits) {
  limits_.perUser = std::max(1u, limits_.perUser);
  limits_.total = std::max(1u, limits_.total);
}

std::variant<ExportGate::Ticket, ExportGate::Refused> ExportGate::admit(const std::string& user) {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  auto it = s.perUser.find(user);
  unsigned mine = it == s.perUser.end() ? 0 : it->second;
  if (mine >= limits_.perUser) return Refused{true, limits_.retryAfter};
  if (s.total >= limits_.total) return Refused{false, limits_.retryAfter};
  ++s.perUser[user];
  ++s.total;
  return Ticket([state = state_, user] { state->release(user); });
}

void ExportGate::State::release(const std::string& user) {
  std::lock_guard lock(mutex);
  --total;
  auto it = perUser.find(user);
  if (it != perUser.end() && --it->second == 0) perUser.erase(it);
}

unsigned ExportGate::inProgress() const {
  std::lock_guard lock(state_->mutex);
  return state_->total;
}

unsigned ExportGate::inProgress(const std::string& user) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->perUser.find(user);
  return it == state_->perUser.end() ? 0 : it->second;
}

}  // namespace posture::collector::console
