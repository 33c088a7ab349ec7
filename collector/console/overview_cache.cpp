#include "collector/console/overview_cache.h"

namespace posture::collector::console {

OverviewCache::OverviewCache(std::function<std::uint64_t()> collectorGeneration)
    : collectorGeneration_(std::move(collectorGeneration)) {}

OverviewGeneration OverviewCache::generation() const {
  return {collectorGeneration_ ? collectorGeneration_() : 0, triage_.load()};
}

std::shared_ptr<const OverviewSnapshot> OverviewCache::current(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (!snapshot_ || !collectorGeneration_) return nullptr;
  auto age = now - snapshot_->builtAt;
  auto g = generation();
  if (age > kMaxAge) return nullptr;
  if (snapshot_->generation.second != g.second) return nullptr;  // alert actions
  if (snapshot_->generation.first != g.first && age > kMinAge) return nullptr;
  return snapshot_;
}

void OverviewCache::store(std::shared_ptr<const OverviewSnapshot> snapshot) {
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(snapshot);
}

void OverviewCache::noteTriage() { ++triage_; }

}  // namespace posture::collector::console
