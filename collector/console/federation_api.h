#pragma once
// Internal to collector/console/: what a province's console shows of its districts (issue
// 16), read-only for every role. GET /api/v1/federation/children (each child collector's
// link state), GET /api/v1/federation/alerts (the districts' open and acknowledged alert
// counts: triage stays in the district), and the page of an endpoint a child pushed.
#include <cstdint>
#include <vector>

#include "collector/console/http_util.h"
#include "collector/federation/mounts.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector::console {

// {"now", "children": [{child_id, mount_unit, mount_name_vi, mount_name_en, state, healthy,
// snapshot_complete, last_push_at, interval_seconds, stale_after_seconds, epoch,
// last_sequence, snapshot_through, detail, revoked_at, endpoints}]}, by child id. `state`
// is federation::linkStateName at `now`.
net::Response federationChildren(db::Connection& db, std::int64_t now);

// Query: unit (its subtree), child, severity, rule (a prefix), limit, offset.
// {"children", "total", "open", "acknowledged", "counts": [{child_id, unit, rule, severity,
// open, acknowledged, title_vi, title_en}]}; titles from this collector's policies when the
// rule names one of their checks or targets, else null.
net::Response federationAlerts(db::Connection& db, const Query& query,
                               const std::vector<policy::Policy>& policies);

// The page of a child's endpoint: its facts and check results as pushed (titles and
// remediation from this collector's policies where they name the same check), no report
// and no history here.
net::Response federatedEndpointDetail(const federation::FederatedEndpointRow& row,
                                      const std::vector<policy::Policy>& policies, std::int64_t now,
                                      std::int64_t staleAfterSeconds);

}  // namespace posture::collector::console
