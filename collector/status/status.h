#pragma once
// The text summary printed by `posture-collector status`: per target, each unit's value
// against the threshold in force, then the fleet as a whole, and the open alerts.
#include <map>
#include <string>

#include "collector/evaluation/fleet.h"

namespace posture::collector {

// openAlerts: open alerts per unit code ("" = the total).
std::string renderStatus(const FleetEvaluation& fleet,
                         const std::map<std::string, std::int64_t>& openAlerts, bool vietnamese);

}  // namespace posture::collector
