#pragma once
// Internal to collector/console/: GET /api/v1/overview. Every unit's figures come from the
// live evaluation (FleetModel), which only the writer thread may touch: the snapshot is
// built there (an Ingest job, console_api.cpp) and cached (overview_cache.h); answers are
// rendered from it on any thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collector/console/http_util.h"
#include "collector/console/overview_cache.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector {
class FleetModel;
}

namespace posture::collector::console {

struct OverviewSources {
  // The live evaluation, or null: then one is built from the stored reports.
  const FleetModel* model = nullptr;
  std::function<std::shared_ptr<const std::vector<policy::Policy>>()> policies;
  std::int64_t staleAfterSeconds = 0;
};

// Writer thread: every unit (the organization's tree and the units seen only in reports)
// with its counts, targets and four layers, and the navigation tree. `generation` is the
// cache's, read before the build.
std::shared_ptr<const OverviewSnapshot> buildOverview(db::Connection& db, const OverviewSources& sources,
                                                      OverviewGeneration generation);

// Any thread: the selected unit (or every root) with its children, and the tree; 404 for
// an unknown unit.
net::Response renderOverview(const OverviewSnapshot& snapshot, const std::string& unit);

}  // namespace posture::collector::console
