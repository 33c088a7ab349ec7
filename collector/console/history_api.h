#pragma once
// Internal to collector/console/: GET /api/v1/history, one target's daily figures (the
// stored history of collector/evaluation/history.h) for a unit's subtree or the fleet.
#include <vector>

#include "collector/console/http_util.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector::console {

// Query: target (required; TARGET or POLICY/TARGET), policy, unit, days (1-3660, 90).
// Without a policy the first policy with that target; 400 when none has it.
net::Response targetHistory(db::Connection& db, const Query& query,
                            const std::vector<policy::Policy>& policies);

}  // namespace posture::collector::console
