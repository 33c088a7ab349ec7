#pragma once
// alert_group_events is the outbox of alert delivery: every group transition, whether the
// evaluator or a person (CLI, console) made it, becomes one notice, delivered in order
// (collector/alerts/groups.h: a group is the alerts of one rule in one unit). The
// position reached is kept in the database, so a restart neither resends old events nor
// skips those made while the collector was down.
#include <cstdint>
#include <vector>

#include "collector/alerts/delivery.h"
#include "common/db/sqlite.h"

namespace posture::collector {

// Notices for the events after the stored position (at most `limit`), oldest first, and
// the position they end at. On a database that never delivered anything, the position
// starts at the newest event: history is not replayed to a newly configured receiver.
std::vector<AlertNotice> pendingNotices(db::Connection& db, std::size_t limit,
                                        std::int64_t& endPosition);
// Stores the position once the notices were handed to AlertDelivery.
void advanceOutbox(db::Connection& db, std::int64_t position);

}  // namespace posture::collector
