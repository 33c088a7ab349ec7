#pragma once
// Internal to collector/console/: the cache of the overview (overview_api.h), which costs
// 130-200 ms of the writer thread to build with 100,000 endpoints. A snapshot is stamped
// with the two generations it was built at: the collector's (the model or its alerts
// moved: every report, sweep with a change, full evaluation) and the console's own triage
// count (an alert acted on in the console). It stays current until
//   * an alert is acted on in the console (at once: the user expects to see it), or
//   * the collector's generation moved and the snapshot is over kMinAge old (while reports
//     stream in, the writer builds it at most every kMinAge), or
//   * kMaxAge passes (changes made with the CLI move neither generation).
// Without a generation source nothing is ever current (every request builds it).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/util/json.h"

namespace posture::collector::console {

using OverviewGeneration = std::pair<std::uint64_t, std::uint64_t>;  // collector's, triage

struct OverviewUnit {
  std::string parent;  // "" for a root
  util::Json brief;          // code, names, kind, parent, endpoints, stale, open_alerts
  util::Json targets;        // each target's figures over the unit's subtree
  util::Json layers;         // the four layers' verdicts with their evidence
};

struct OverviewSnapshot {
  OverviewGeneration generation{0, 0};
  std::chrono::steady_clock::time_point builtAt;
  std::int64_t generatedAt = 0;  // unix seconds, the answer's generated_at
  std::map<std::string, OverviewUnit> units;
  std::map<std::string, std::vector<std::string>> children;  // sorted by code
  std::vector<std::string> roots;                            // sorted by code
  std::string treeJson;  // every unit's brief, in tree order (the UI's navigation)
};

class OverviewCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kMaxAge = std::chrono::seconds(30);
  static constexpr auto kMinAge = std::chrono::seconds(5);

  // `collectorGeneration`: any thread; empty means no caching at all.
  explicit OverviewCache(std::function<std::uint64_t()> collectorGeneration);

  // The generations now: read before building a snapshot, so a change made while it is
  // built leaves it stale.
  OverviewGeneration generation() const;
  // The cached snapshot when it is still current at `now`, else null.
  std::shared_ptr<const OverviewSnapshot> current(Clock::time_point now = Clock::now()) const;
  // Replaces the snapshot (the newest build wins).
  void store(std::shared_ptr<const OverviewSnapshot> snapshot);
  // An alert was acted on in the console: the cached snapshot is stale from now on.
  void noteTriage();

 private:
  std::function<std::uint64_t()> collectorGeneration_;
  std::atomic<std::uint64_t> triage_{0};
  mutable std::mutex mutex_;
  std::shared_ptr<const OverviewSnapshot> snapshot_;
};

}  // namespace posture::collector::console
