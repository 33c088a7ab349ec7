#pragma once
// Alerts follow the evaluation: one per (rule, subject). A failing endpoint check, an
// unmet target or a stale endpoint opens one; it resolves itself when the condition
// clears and reopens when it recurs. People acknowledge, assign, comment and resolve
// them. Every transition is written to alert_events (with who did it) and every human
// action also to the audit log.
//
//   open ──ack──► acknowledged ──(condition clears | resolve)──► resolved
//     └────────────(condition clears | resolve)──────────────────┘      │
//   resolved ──(condition present at the next evaluation)──► open (reopened)
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "collector/policy/evaluator.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector {

// An alert the evaluation wants open.
struct WantedAlert {
  std::string rule, subject, unitCode, severity, titleVi, titleEn, detail;
};

// One transition, as alert_events records it (delivery reads these too).
struct AlertEvent {
  std::int64_t alertId = 0;
  std::int64_t at = 0;
  std::string event;  // opened, reopened, resolved, acknowledged, assigned, commented
  std::string actor;  // "posture" for the evaluator, else a person
  std::string detail;
};

struct AlertChange {
  std::size_t opened = 0, reopened = 0, resolved = 0, open = 0;
  std::vector<AlertEvent> events;
};

// Brings the alerts table in line with the full set of wanted alerts, in one transaction:
// absent ones open, resolved ones reopen, open or acknowledged ones not wanted resolve.
AlertChange syncAlertSet(db::Connection& db, const std::vector<WantedAlert>& wanted,
                         std::int64_t now);
// The same for a part of the fleet: raise (or refresh) these, resolve those if open.
AlertChange applyAlertDelta(db::Connection& db, const std::vector<WantedAlert>& raise,
                            const std::vector<std::pair<std::string, std::string>>& clear,
                            std::int64_t now);

// "host: fact=value, …" with the observed values a check read.
std::string describeCheck(const std::string& hostname, const policy::Check& check,
                          const policy::Facts& facts, policy::Tri result);
// "satisfied/total = P% < Q% required since DATE".
std::string describeTarget(const policy::TargetEvaluation& evaluation);

struct AlertRow {
  std::int64_t id = 0;
  std::string rule, subject, unitCode, severity, status, titleVi, titleEn, detail;
  std::int64_t firstSeen = 0, lastSeen = 0;
  std::string assignee;
  std::optional<std::int64_t> resolvedAt;
};

struct AlertFilter {
  bool activeOnly = true;  // open or acknowledged
  std::string unitCode, severity, status, rulePrefix;
  std::string rule;         // exact, or "" (a group's members: rule and unitCode exact)
  bool exactUnit = false;   // for callers that widen unitCode to a subtree: do not
  // Several units (a subtree), instead of or with unitCode: an alert of any of them.
  std::vector<std::string> unitCodes;
  std::size_t limit = 100000;
  std::size_t offset = 0;  // rows skipped (by id), for paging
  // Keyset paging, which costs the same on every page: the `limit` alerts right after
  // (or right before) this id, still in id order. 0: not used. Ignored by countAlerts.
  std::int64_t afterId = 0, beforeId = 0;
};
std::vector<AlertRow> listAlerts(db::Connection& db, const AlertFilter& filter);
// How many alerts match the filter (limit and offset ignored).
std::int64_t countAlerts(db::Connection& db, const AlertFilter& filter);
std::optional<AlertRow> findAlert(db::Connection& db, std::int64_t id);
std::vector<AlertEvent> alertEvents(db::Connection& db, std::int64_t id);
// Open or acknowledged alerts, for one unit or ("") all.
std::int64_t countOpenAlerts(db::Connection& db, const std::string& unitCode = {});

// A refused human action; what() says why, in Vietnamese then English.
class AlertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class AlertAction { Acknowledge, Resolve, Assign, Comment };
// Applies one human action in one transaction (alert_events + audit log). `text` is the
// comment (Comment; optional for Acknowledge and Resolve) or the assignee (Assign).
// Throws AlertError for an unknown alert, an empty comment or assignee, acknowledging a
// resolved alert, or resolving a resolved one.
AlertRow actOnAlert(db::Connection& db, std::int64_t id, AlertAction action,
                    const std::string& actor, const std::string& text, std::int64_t now);

// actOnAlert's change of one alert inside the caller's transaction, without the group's
// transition: for a group action (actOnGroup), whose key `group` goes into the audit entry.
AlertRow applyAlertAction(db::Connection& db, const AlertRow& before, AlertAction action,
                          const std::string& actor, const std::string& text, std::int64_t now,
                          const std::string& group);

}  // namespace posture::collector
