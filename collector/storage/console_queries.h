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

// The console's endpoint list (GET /api/v1/endpoints): a filter, its count, and one page
// in the order of endpoints_order (unit, host name, agent id), by offset or keyset.
struct EndpointListFilter {
  // Unit codes (a subtree, expanded); nullopt: every unit. An empty list matches nothing.
  std::optional<std::vector<std::string>> units;
  std::string search;              // part of the host name (any case) or agent id; "": all
};
struct EndpointCursor {  // a row's place: the page starts after (or ends before) it
  std::string unitCode, hostname, agentId;
};
struct EndpointRow {
  std::string agentId, unitCode, hostname;
  std::int64_t lastSeen = 0;
  std::string reportBody;  // the latest report, serialized posture.v1.Report
  std::int64_t openAlerts = 0;  // open or acknowledged, the rule excludedRule left out
  std::int64_t lastSequence = 0;
  std::int64_t collectedAt = 0;
};
std::int64_t countEndpoints(db::Connection& db, const EndpointListFilter& filter);
// At most `limit` rows from `offset`, after `after` or before `before` (at most one of
// the two), always returned in list order.
std::vector<EndpointRow> endpointPage(db::Connection& db, const EndpointListFilter& filter,
                                      std::int64_t limit, std::int64_t offset,
                                      const std::optional<EndpointCursor>& after,
                                      const std::optional<EndpointCursor>& before,
                                      const std::string& excludedRule);
std::optional<EndpointRow> findEndpointRow(db::Connection& db, const std::string& agentId,
                                           const std::string& excludedRule);

// How many reports of the agent are stored.
std::int64_t countReports(db::Connection& db, const std::string& agentId);

// Open or acknowledged alerts per unit code (each unit's own, not its subtree's), by unit.
std::vector<std::pair<std::string, std::int64_t>> openAlertCountsByUnit(db::Connection& db);

}  // namespace posture::collector
