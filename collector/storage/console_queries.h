#pragma once
// Queries of the SOC console (collector/console/) that are not one library's own: read
// only, on the console's database threads.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/db/sqlite.h"

namespace posture::collector {

// Where an endpoint sits in the console's list order (endpoints_order: unit, host name,
// agent id); nullopt for an unknown agent.
struct EndpointPlace {
  std::string unitCode, hostname;
};
std::optional<EndpointPlace> findEndpointPlace(db::Connection& db, const std::string& agentId);

// How many reports of the agent are stored.
std::int64_t countReports(db::Connection& db, const std::string& agentId);

// Open or acknowledged alerts per unit code (each unit's own, not its subtree's), by unit.
std::vector<std::pair<std::string, std::int64_t>> openAlertCountsByUnit(db::Connection& db);

}  // namespace posture::collector
