#pragma once
// Internal to collector/console/: GET /api/v1/audit, the newest audit entries (admin,
// auditor: auth::Action::AuditRead).
#include "collector/console/http_util.h"
#include "common/db/sqlite.h"

namespace posture::collector::console {

// Query: limit (1-500, 100).
net::Response auditList(db::Connection& db, const Query& query);

}  // namespace posture::collector::console
