#pragma once
// Compliance history: each target's value per unit per day, so trends and "as of date X"
// answers need no replay of reports. The collector records it after every full
// evaluation; the last record of a day stands for that day.
#include <cstdint>
#include <string>
#include <vector>

#include "collector/evaluation/model.h"
#include "common/db/sqlite.h"

namespace posture::collector {

struct HistoryRow {
  std::int64_t day = 0;  // days since the epoch, Vietnam time
  std::string unitCode;  // "" = the whole fleet
  std::string policyId, targetId;
  std::uint32_t satisfied = 0, total = 0;
  std::string status;    // met, at-risk, missed, no-data
  double threshold = 0;  // the milestone in force that day, percent
};

// Writes today's row of every target for every unit and the fleet, in one transaction.
std::size_t recordHistory(db::Connection& db, const FleetModel& model, std::int64_t now);

// For each (unit, policy, target): the newest row on or before `day`.
std::vector<HistoryRow> historyAsOf(db::Connection& db, std::int64_t day);
// One unit's (or the fleet's) rows of one target between two days, oldest first.
std::vector<HistoryRow> historyTrend(db::Connection& db, const std::string& unitCode,
                                     const std::string& policyId, const std::string& targetId,
                                     std::int64_t fromDay, std::int64_t toDay);

std::string statusKey(policy::TargetStatus status);  // "met", "at-risk", "missed", "no-data"

}  // namespace posture::collector
