#pragma once
// Internal to collector/console/: the exceptions (risk acceptances, collector/exceptions/).
//   GET  /api/v1/exceptions               every role: all of them, newest first, each with
//                                         its state (active, expired, revoked) at now
//   POST /api/v1/exceptions               admin (auth::Action::OrgEdit): record one
//   POST /api/v1/exceptions/{id}/revoke   admin: revoke one
// A refused field is 400 bad_request with error.field naming it ("expires", "rule", ...).
#include <memory>
#include <vector>

#include "collector/console/http_util.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector::console {

// Query: endpoint (an agent id: only those covering it), state (active, expired, revoked).
net::Response listExceptionsRoute(db::Connection& db, const Query& query, std::int64_t now);
// Body: {"endpoint" | "unit", "rule", "justification", "approver", "document", "expires"}.
net::Response addExceptionRoute(db::Connection& db, const util::Json& body,
                                const std::vector<policy::Policy>& policies,
                                const std::string& actor, std::int64_t now);
net::Response revokeExceptionRoute(db::Connection& db, std::int64_t id, const std::string& actor,
                                   std::int64_t now);

}  // namespace posture::collector::console
