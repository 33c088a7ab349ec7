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

// This collector's endpoints and the rows its children pushed (issue 16), each with its
// `source` (null: this collector; else the child collector's id).
// Query: unit (its subtree), q (part of the host name or agent id), limit, offset (at most
// kMaxOffset), and keyset paging: after_id / before_id = an agent id, the page right after /
// right before that endpoint in the list's order (unit, host name, agent id, source), with
// after_source / before_source naming the row's source when it is a child's; the same cost
// at any depth. `total` counts the whole filtered list either way.
net::Response listEndpoints(db::Connection& db, const Query& query, std::int64_t staleAfterSeconds);

// This collector's endpoint, or (with ?source=CHILD, or when none here has that id) a row a
// child pushed (federation_api.h).
net::Response endpointDetail(db::Connection& db, const std::string& agentId,
                             const std::vector<policy::Policy>& policies,
                             std::int64_t staleAfterSeconds, const Query& query);

}  // namespace posture::collector::console
