#pragma once
// Queries of the SOC console (collector/console/) that are not one library's own: read
// only, on the console's database threads.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "collector/storage/endpoint_posture.h"
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
// rows its children pushed, merged in one order, a filter, its count, and one page by
// offset or keyset. The order is a sort key, then agent id, then source (this collector's
// "" first), all ascending or all descending: the key "unit" is (unit, host name), any
// other one column of sortColumns().
struct EndpointListFilter {
  // Unit codes (a subtree, expanded); nullopt: every unit. An empty list matches nothing.
  std::optional<std::vector<std::string>> units;
  // The host name's prefix (any case: hostname_lc's index) or the agent id's; "": all.
  // With `substring`, any part of either (a scan of every row: an explicit option).
  std::string search;
  bool substring = false;
  std::string os;    // the prefix of the OS ("Windows 10"), as shown; "": all
  // An endpoint with an open or acknowledged alert of this rule ("policy/check"); a
  // child's row raises no alert here, so a rule leaves them out. "": all.
  std::string rule;
  // true: stale only (last seen before staleBefore, or a child's row it pushed as stale);
  // false: not stale; nullopt: both.
  std::optional<bool> stale;
  std::int64_t staleBefore = 0;
};
// A sortable column: its expression on this collector's rows (alias e; only hostname_lc has
// an index: the others would cost every report's write) and on a child's (alias f: the posture of a child's row is not kept
// here, so a constant "unknown"). `inverted`: the column holds a time and the list sorts
// by its age (signature_age ascending = the youngest signature first).
struct SortColumn {
  std::string_view name;
  std::string_view local, federated;
  bool text = false;
  bool inverted = false;
};
const std::vector<SortColumn>& sortColumns();  // "unit" first (the default)
const SortColumn* findSortColumn(std::string_view name);
struct EndpointSort {
  const SortColumn* column = nullptr;  // nullptr: "unit"
  bool descending = false;
};
using SortKey = std::variant<std::monostate, std::int64_t, std::string>;
struct EndpointCursor {  // a row's place: the page starts after (or ends before) it
  std::string unitCode, hostname, agentId;
  std::string source;  // "": this collector's row
  SortKey key;         // the sort column's value (not for "unit")
};
struct EndpointRow {
  std::string agentId, unitCode, hostname;
  std::string source;  // "": this collector's endpoint; else the child collector's id
  std::int64_t lastSeen = 0;
  SortKey key;  // the value of the sort column (not for "unit")
  // This collector's endpoints:
  std::string reportBody;  // the latest report, serialized posture.v1.Report
  std::int64_t openAlerts = 0;  // open or acknowledged, the rule excludedRule left out
  std::int64_t lastSequence = 0;
  std::int64_t collectedAt = 0;  // a child's row: when its facts were collected
  EndpointPosture posture;  // unknown throughout for a child's row
  // A child's row, as pushed:
  std::string os;
  bool pushedStale = false;
  std::string checksBlob;  // serialized posture.v1.FederatedEndpoint holding its checks
};
std::int64_t countEndpoints(db::Connection& db, const EndpointListFilter& filter);
// At most `limit` rows from `offset`, after `after` or before `before` (at most one of
// the two), always returned in list order. withReports: read each row's report body too.
std::vector<EndpointRow> endpointPage(db::Connection& db, const EndpointListFilter& filter,
                                      const EndpointSort& sort, std::int64_t limit,
                                      std::int64_t offset,
                                      const std::optional<EndpointCursor>& after,
                                      const std::optional<EndpointCursor>& before,
                                      const std::string& excludedRule, bool withReports = true);
// The sort key of a row of the list (for a cursor given by agent id); nullopt: no such row.
std::optional<SortKey> sortKeyOf(db::Connection& db, const SortColumn& column,
                                 const std::string& agentId, const std::string& source);
// This collector's endpoint (with its latest report).
std::optional<EndpointRow> findEndpointRow(db::Connection& db, const std::string& agentId,
                                           const std::string& excludedRule);

// How many reports of the agent are stored.
std::int64_t countReports(db::Connection& db, const std::string& agentId);

// Open or acknowledged alerts per unit code (each unit's own, not its subtree's), by unit.
std::vector<std::pair<std::string, std::int64_t>> openAlertCountsByUnit(db::Connection& db);

}  // namespace posture::collector
