#pragma once
// The text summary printed by `posture-collector status`: per target, each unit's value
// against the threshold in force, then the fleet as a whole, and the open alerts.
#include <map>
#include <string>

#include "collector/evaluation/model.h"

namespace posture::collector {

// From the live evaluation: every target of every policy (endpoints, systems, four
// layers), each unit's value over its subtree in tree order, stale endpoints counted;
// openAlerts: open alerts per unit code ("" = the total).
std::string renderModelStatus(const FleetModel& model, std::int64_t now,
                              const std::map<std::string, std::int64_t>& openAlerts,
                              bool vietnamese);

}  // namespace posture::collector
