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

// Where an endpoint sits in the console's list order (unit, host name, agent id, source);
// nullopt for an unknown agent. findEndpointPlace reads this collector's own endpoints
// only; findListPlace also the rows children pushed (federated_endpoints, issue 16): of
// `source` (a child id) when given, else this collector's row, else the first child's.
struct EndpointPlace {
  std::string unitCode, hostname;
  std::string source;  // "": this collector; else the child collector's id
};
std::optional<EndpointPlace> findEndpointPlace(db::Connection& db, const std::string& agentId);
std::optional<EndpointPlace> findListPlace(db::Connection& db, const std::string& agentId,
                                           const std::string& source);

// The console's endpoint list (GET /api/v1/endpoints): this collector's endpoints and the
// rows its children pushed, merged in one order (unit, host name, agent id, source; this
// collector's source "" first), a filter, its count, and one page by offset or keyset.
struct EndpointListFilter {
  // Unit codes (a subtree, expanded); nullopt: every unit. An empty list matches nothing.
  std::optional<std::vector<std::string>> units;
  std::string search;              // part of the host name (any case) or agent id; "": all
};
struct EndpointCursor {  // a row's place: the page starts after (or ends before) it
  std::string unitCode, hostname, agentId;
  std::string source;  // "": this collector's row
};
struct EndpointRow {
  std::string agentId, unitCode, hostname;
  std::string source;  // "": this collector's endpoint; else the child collector's id
  std::int64_t lastSeen = 0;
  // This collector's endpoints:
  std::string reportBody;  // the latest report, serialized posture.v1.Report
  std::int64_t openAlerts = 0;  // open or acknowledged, the rule excludedRule left out
  std::int64_t lastSequence = 0;
  std::int64_t collectedAt = 0;  // a child's row: when its facts were collected
  // A child's row, as pushed:
  std::string os;
  bool pushedStale = false;
  std::string checksBlob;  // serialized posture.v1.FederatedEndpoint holding its checks
};
std::int64_t countEndpoints(db::Connection& db, const EndpointListFilter& filter);
// At most `limit` rows from `offset`, after `after` or before `before` (at most one of
// the two), always returned in list order.
std::vector<EndpointRow> endpointPage(db::Connection& db, const EndpointListFilter& filter,
                                      std::int64_t limit, std::int64_t offset,
                                      const std::optional<EndpointCursor>& after,
                                      const std::optional<EndpointCursor>& before,
                                      const std::string& excludedRule);
// This collector's endpoint (with its latest report).
std::optional<EndpointRow> findEndpointRow(db::Connection& db, const std::string& agentId,
                                           const std::string& excludedRule);

// How many reports of the agent are stored.
std::int64_t countReports(db::Connection& db, const std::string& agentId);

// Open or acknowledged alerts per unit code (each unit's own, not its subtree's), by unit.
std::vector<std::pair<std::string, std::int64_t>> openAlertCountsByUnit(db::Connection& db);

}  // namespace posture::collector
