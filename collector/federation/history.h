#pragma once
// The parent's history of its children's endpoint rows (issue 16), for exports as of a
// date: one version per row per Vietnam day (the last one pushed that day), and a marker
// on the day a row went away (table federated_endpoint_days, migration 14). The same
// granularity as the reports kept past 90 days (issue 18's retention).
#include <cstdint>
#include <string>
#include <vector>

#include "collector/storage/storage.h"
#include "common/db/sqlite.h"

namespace posture::collector::federation {

// In the push's transaction, after its changes: today's version of each of these rows
// (a removal marker for the ones that are gone).
void recordEndpointDays(db::Connection& db, const std::string& childId,
                        const std::vector<std::string>& agentIds, std::int64_t now);
// Before a snapshot replaces a child's rows: every row of the child gone today; the
// snapshot's rows then replace the markers of those that stay.
void recordChildWiped(db::Connection& db, const std::string& childId, std::int64_t now);

// Each child's rows as they stood at `cutoff` (the last version of a day at or before its
// Vietnam day; with `collected`, only versions whose facts were collected by then), as
// loadEndpoints() gives them.
std::vector<StoredEndpoint> loadFederatedAsOf(db::Connection& db, std::int64_t cutoff, bool collected);

}  // namespace posture::collector::federation
