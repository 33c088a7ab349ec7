#pragma once
// Read-only views of what the children pushed, for the province's console (issue 16): the
// state of each link, one federated endpoint as pushed, the endpoint count of each child
// and the district alert counts. Nothing here writes; the tables are migration 12's.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/federation/mounts.h"
#include "common/db/sqlite.h"

namespace posture::collector::federation {

// What the console shows of a link, in this order of precedence: revoked; waiting for the
// first push; stale (no push within 3 × its interval, ChildLink::healthy); a snapshot that
// has not fully arrived; healthy.
enum class LinkState { Revoked, Waiting, Stale, Incomplete, Healthy };
LinkState linkState(const ChildLink& link, std::int64_t now);
std::string_view linkStateName(LinkState state);  // "revoked", "waiting", "stale", ...

// child id -> how many endpoint rows it holds here (children without rows are absent).
std::map<std::string, std::int64_t> endpointCountsByChild(db::Connection& db);

// Information systems the children pushed: code -> child id.
std::map<std::string, std::string> federatedSystemOwners(db::Connection& db);

// The check results of a federated row's `checks` blob (a serialized FederatedEndpoint
// holding only checks); an unreadable blob gives none.
std::vector<FederatedCheck> decodeChecks(std::string_view blob);

// The columns of a FederatedEndpointRow, for `SELECT <these> FROM federated_endpoints e JOIN
// federation_children c ON c.child_id = e.child_id ...`, and the row read from them.
inline constexpr const char* kFederatedRowColumns =
    "e.child_id, c.mount_unit, e.agent_id, e.unit_code, e.hostname, e.os, e.facts, e.checks, "
    "e.facts_at, e.last_seen, e.stale";
FederatedEndpointRow readFederatedRow(db::Statement& st);

// One federated endpoint row: of `childId`, or when empty of the first child (by id) that
// holds `agentId`. Its facts as pushed (no ageing: factsAt says when they were collected).
std::optional<FederatedEndpointRow> findFederatedEndpoint(db::Connection& db,
                                                          const std::string& agentId,
                                                          const std::string& childId = {});

// Open and acknowledged alerts of the districts, per (child, unit, rule, severity).
struct FederatedAlertCountRow {
  std::string childId, unitCode, rule, severity;
  std::int64_t open = 0, acknowledged = 0;
};
struct FederatedAlertFilter {
  std::optional<std::vector<std::string>> units;  // unit codes (a subtree); nullopt: all
  std::string childId;                            // "": every child
  std::string severity;                           // "": every severity
  std::string rulePrefix;                         // "": every rule
};
struct FederatedAlertTotals {
  std::int64_t rows = 0, open = 0, acknowledged = 0;
};
FederatedAlertTotals countFederatedAlerts(db::Connection& db, const FederatedAlertFilter& filter);
// At most `limit` rows from `offset`, by (child, unit, rule, severity).
std::vector<FederatedAlertCountRow> federatedAlertCounts(db::Connection& db,
                                                         const FederatedAlertFilter& filter,
                                                         std::int64_t limit, std::int64_t offset);

}  // namespace posture::collector::federation
