#pragma once
// Internal to collector/console/: the alerts resource. GET /api/v1/alerts (the list),
// GET /api/v1/alerts/{id} (one alert with its events), POST /api/v1/alerts/{id}/{ack,
// resolve, comment, assign} and POST /api/v1/alerts/bulk (triage). Every change goes
// through actOnAlert (collector/alerts/), which writes its audit row in the same
// transaction. The session, CSRF and role checks are the route table's (console_api.cpp).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "collector/console/http_util.h"
#include "common/db/sqlite.h"

namespace posture::collector::console {

// Called after a triage changed at least one alert (the overview's open-alert counts).
using AlertsChanged = std::function<void()>;

// Query: unit (its subtree), severity, status (active by default, or all), rule (a
// prefix), group (RULE@UNIT: exactly that group's members), limit, offset, after_id /
// before_id (keyset pages).
net::Response alertList(db::Connection& db, const Query& query);

// 404 when there is no such alert.
net::Response alertDetail(db::Connection& db, std::int64_t id);

// `verb` is ack, resolve (optional body {"comment"}), comment ({"text"}) or assign
// ({"assignee"}). 409 when the alert is already in that state.
net::Response alertAction(db::Connection& db, std::int64_t id, std::string_view verb,
                          std::string_view body, const std::string& actor,
                          const AlertsChanged& changed);

// {"action": ack|resolve|assign, "ids": [1-500 ids], "assignee"}: {"updated": N}; unknown
// alerts, and alerts already in that state, are skipped.
net::Response alertBulk(db::Connection& db, std::string_view body, const std::string& actor,
                        const AlertsChanged& changed);

// GET /api/v1/alerts/groups: the alert groups (rule, unit; collector/alerts/groups.h).
// Query: unit (its subtree), severity, status (active by default, open, acknowledged,
// resolved, all), rule (a prefix), limit, after_id / before_id (keyset pages by group id).
// {"total", "groups": [...with member counts], "rules": [per rule over the filter: units,
// open, acknowledged, members]}.
net::Response alertGroupList(db::Connection& db, const Query& query);

// POST /api/v1/alerts/groups/actions: {"action": ack|resolve|assign|comment, "groups":
// [1-500 "RULE@UNIT"], "assignee" (assign), "text" (comment), "comment" (ack, resolve)}.
// Each group acts on its active members in one transaction (actOnGroup): {"updated",
// "members", "skipped": [{"group", "reason"}]} (unknown groups, none to act on).
net::Response alertGroupActions(db::Connection& db, std::string_view body, const std::string& actor,
                                const AlertsChanged& changed);

}  // namespace posture::collector::console
