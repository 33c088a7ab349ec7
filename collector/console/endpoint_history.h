#pragma once
// GET /api/v1/endpoints/{agent_id}/history: an endpoint's stored reports, newest first,
// each evaluated with the current policies and compared with the report before it.
#include <cstdint>
#include <string>
#include <vector>

#include "collector/console/http_util.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector::console {

// `limit` (query) is 1..100, 20 by default. Each report's checks are evaluated as of the
// moment the collector received it (ages such as the signature's count from then). A fact
// counts as changed only when the report's own data differ: clock-derived ages are
// compared at one common instant, and report.age_hours (every report is newer) is not a
// change. 404 for an agent without reports. An endpoint a child collector pushed (issue
// 16; ?source=CHILD, or no endpoint of this collector with that id) has no report here:
// `reports` is empty and `source` names the child.
net::Response endpointHistory(db::Connection& db, const std::string& agentId, const Query& query,
                              const std::vector<policy::Policy>& policies);

}  // namespace posture::collector::console
