#pragma once
// Alerts follow the evaluation: one per (rule, subject). A failing endpoint check or an
// unmet target opens one; it resolves itself when the condition clears and reopens when
// it recurs. Every transition is written to alert_events.
#include <cstdint>
#include <string>
#include <vector>

#include "collector/evaluation/fleet.h"
#include "common/db/sqlite.h"

namespace posture::collector {

struct AlertChange {
  std::size_t opened = 0, reopened = 0, resolved = 0, open = 0;
};

// Brings the alerts table in line with the evaluation, in one transaction.
AlertChange syncAlerts(db::Connection& db, const FleetEvaluation& fleet);

struct AlertRow {
  std::int64_t id = 0;
  std::string rule, subject, unitCode, severity, status, titleVi, titleEn, detail;
  std::int64_t firstSeen = 0, lastSeen = 0;
};
std::vector<AlertRow> listAlerts(db::Connection& db, bool openOnly);
std::int64_t countOpenAlerts(db::Connection& db, const std::string& unitCode = {});

}  // namespace posture::collector
