#include "collector/console/export_gate.h"

#include <algorithm>
#include <utility>

namespace posture::collector::console {

ExportGate::ExportGate(ExportLimits limits) : limits_(limits) {
  limits_.perUser = std::max(1u, limits_.perUser);
  limits_.total = std::max(1u, limits_.total);
}

std::variant<ExportGate::Ticket, ExportGate::Refused> ExportGate::admit(const std::string& user) {
  std::lock_guard lock(mutex_);
  auto it = perUser_.find(user);
  unsigned mine = it == perUser_.end() ? 0 : it->second;
  if (mine >= limits_.perUser) return Refused{true, limits_.retryAfter};
  if (total_ >= limits_.total) return Refused{false, limits_.retryAfter};
  ++perUser_[user];
  ++total_;
  return Ticket([this, user] { release(user); });
}

void ExportGate::release(const std::string& user) {
  std::lock_guard lock(mutex_);
  --total_;
  auto it = perUser_.find(user);
  if (it != perUser_.end() && --it->second == 0) perUser_.erase(it);
}

unsigned ExportGate::inProgress() const {
  std::lock_guard lock(mutex_);
  return total_;
}

unsigned ExportGate::inProgress(const std::string& user) const {
  std::lock_guard lock(mutex_);
  auto it = perUser_.find(user);
  return it == perUser_.end() ? 0 : it->second;
}

}  // namespace posture::collector::console
