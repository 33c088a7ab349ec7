#pragma once
// Internal to collector/console/: GET /api/v1/remediation?unit=X[&format=json|csv|xlsx]
// [&lang=vi|en] (admin, auditor: the roles of the exports). The remediation list of
// collector/remediation/, as `posture-collector remediation` builds it: JSON for the
// console's page, CSV (UTF-8 with BOM) or XLSX as a download. Like an export it reads
// every endpoint of the subtree, so it is built on an export thread behind the same
// ExportGate (429 with Retry-After beyond it).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collector/console/http_util.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector::console {

// Machines listed per action group in the JSON (`limit`, 1-100000); CSV and XLSX list all.
inline constexpr std::int64_t kRemediationPageLimit = 1000;

struct RemediationRequest {
  std::string unit, format = "json", lang = "vi";
  std::int64_t limit = kRemediationPageLimit;
};

// 400 naming the parameter, or nullopt with `out` filled.
std::optional<net::Response> parseRemediationRequest(const Query& query, RemediationRequest& out);
// The list, or 404 naming `unit` when no unit of the tree and no endpoint has that code.
net::Response remediationResponse(db::Connection& db, const RemediationRequest& request,
                                  std::shared_ptr<const std::vector<policy::Policy>> policies,
                                  std::int64_t staleAfterSeconds, const std::string& caFingerprint,
                                  std::int64_t now);

}  // namespace posture::collector::console
