#pragma once
// Internal to collector/console/: GET /api/v1/endpoints (the list, by unit and host name) and
// GET /api/v1/endpoints/{agent_id} (one endpoint with its latest report and every check).
#include <cstdint>
#include <string>
#include <vector>

#include "collector/console/http_util.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector::console {

// Query: unit (its subtree), q (part of the host name or agent id), limit, offset (at most
// kMaxOffset), and keyset paging: after_id / before_id = an agent id, the page right after /
// right before that endpoint in the list's order (unit, host name, agent id); the same cost
// at any depth. `total` counts the whole filtered list either way.
net::Response listEndpoints(db::Connection& db, const Query& query, std::int64_t staleAfterSeconds);

net::Response endpointDetail(db::Connection& db, const std::string& agentId,
                             const std::vector<policy::Policy>& policies,
                             std::int64_t staleAfterSeconds);

}  // namespace posture::collector::console
