#pragma once
// Internal to collector/console/: GET /api/v1/endpoints (the list, by unit and host name) and
// GET /api/v1/endpoints/{agent_id} (one endpoint with its latest report and every check).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collector/console/http_util.h"
#include "collector/policy/policy.h"
#include "collector/storage/console_queries.h"
#include "common/db/sqlite.h"

namespace posture::collector::console {

// This collector's endpoints and the rows its children pushed (issue 16), each with its
// `source` (null: this collector; else the child collector's id), its posture at a glance
// (issue 17: `posture` values and `badges` ok / warn / bad / unknown) and its `cursor`.
// Query: unit (its subtree), q (the host name's prefix, any case, or the agent id's; with
// match=substring any part of either), os (its prefix), rule (POLICY/CHECK: an open or
// acknowledged alert of that rule), stale (1 / 0), sort (a column of sortColumns(),
// default unit) and dir (asc / desc), limit, offset (at most kMaxOffset), and keyset
// paging under every sort: after / before = a row's `cursor`, the page right after / right
// before it; after_id / before_id (+ _source) = an agent id, its place read from the
// database. `total` counts the whole filtered list either way. Bad input: 400 naming it.
struct EndpointListRequest {
  EndpointListFilter filter;
  EndpointSort sort;
  std::int64_t limit = 50, offset = 0;
  std::optional<EndpointCursor> after, before;
};
Refusal endpointListParams(db::Connection& db, const Query& query, std::int64_t staleAfterSeconds,
                           const std::vector<policy::Policy>& policies, std::int64_t now,
                           EndpointListRequest& out);
net::Response listEndpoints(db::Connection& db, const Query& query, std::int64_t staleAfterSeconds,
                            const std::vector<policy::Policy>& policies);
// GET /api/v1/endpoints.csv: the same filtered view in the same order, every row (paging
// ignored), UTF-8 with a BOM, headers "Vietnamese / English", values in `lang` (vi / en).
net::Response endpointsCsv(db::Connection& db, const Query& query, std::int64_t staleAfterSeconds,
                           const std::vector<policy::Policy>& policies, std::int64_t now);

// This collector's endpoint, or (with ?source=CHILD, or when none here has that id) a row a
// child pushed (federation_api.h).
net::Response endpointDetail(db::Connection& db, const std::string& agentId,
                             const std::vector<policy::Policy>& policies,
                             std::int64_t staleAfterSeconds, const Query& query);

}  // namespace posture::collector::console
