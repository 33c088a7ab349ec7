#include "collector/evaluation/history.h"

#include "common/util/time.h"

namespace posture::collector {

std::string statusKey(policy::TargetStatus status) {
  switch (status) {
    case policy::TargetStatus::Met: return "met";
    case policy::TargetStatus::AtRisk: return "at-risk";
    case policy::TargetStatus::Missed: return "missed";
    case policy::TargetStatus::NoData: return "no-data";
  }
  return "no-data";
}

std::size_t recordHistory(db::Connection& db, const FleetModel& model, std::int64_t now) {
  std::int64_t today = util::vietnamDay(now);
  db::Transaction tx(db);
  auto st = db.prepare(
      "INSERT INTO compliance_history(day, unit_code, policy_id, target_id, satisfied, total, "
      "status, threshold) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT(unit_code, policy_id, target_id, day) DO UPDATE SET "
      "satisfied = excluded.satisfied, total = excluded.total, status = excluded.status, "
      "threshold = excluded.threshold");
  std::size_t rows = 0;
  auto units = model.units();
  units.push_back("");
  for (std::size_t t = 0; t < model.targets().size(); ++t) {
    const auto& ref = model.targets()[t];
    for (const auto& u : units) {
      if (!model.targetApplies(t, u)) continue;  // another unit's plan
      auto ev = model.evaluate(t, u, today);
      st.reset();
      st.bind(1, today).bind(2, u).bind(3, ref.policy->id).bind(4, ref.target->id)
          .bind(5, static_cast<std::int64_t>(ev.satisfied))
          .bind(6, static_cast<std::int64_t>(ev.total)).bind(7, statusKey(ev.status));
      if (ev.inForce) st.bind(8, ev.inForce->atLeastPercent);
      else st.bindNull(8);
      st.run();
      ++rows;
    }
  }
  tx.commit();
  return rows;
}

namespace {
HistoryRow readRow(db::Statement& st) {
  return {st.getInt(0), st.getText(1), st.getText(2), st.getText(3),
          static_cast<std::uint32_t>(st.getInt(4)), static_cast<std::uint32_t>(st.getInt(5)),
          st.getText(6), st.isNull(7) ? 0.0 : st.getDouble(7)};
}
}  // namespace

std::vector<HistoryRow> historyAsOf(db::Connection& db, std::int64_t day) {
  auto st = db.prepare(
      "SELECT h.day, h.unit_code, h.policy_id, h.target_id, h.satisfied, h.total, h.status, "
      "h.threshold FROM compliance_history h JOIN ("
      "  SELECT unit_code, policy_id, target_id, max(day) AS day FROM compliance_history"
      "  WHERE day <= ? GROUP BY unit_code, policy_id, target_id) newest "
      "USING (unit_code, policy_id, target_id, day) ORDER BY policy_id, target_id, unit_code");
  st.bind(1, day);
  std::vector<HistoryRow> out;
  while (st.step()) out.push_back(readRow(st));
  return out;
}

std::vector<HistoryRow> historyTrend(db::Connection& db, const std::string& unitCode,
                                     const std::string& policyId, const std::string& targetId,
                                     std::int64_t fromDay, std::int64_t toDay) {
  auto st = db.prepare(
      "SELECT day, unit_code, policy_id, target_id, satisfied, total, status, threshold "
      "FROM compliance_history WHERE unit_code = ? AND policy_id = ? AND target_id = ? "
      "AND day BETWEEN ? AND ? ORDER BY day");
  st.bind(1, unitCode).bind(2, policyId).bind(3, targetId).bind(4, fromDay).bind(5, toDay);
  std::vector<HistoryRow> out;
  while (st.step()) out.push_back(readRow(st));
  return out;
}

}  // namespace posture::collector
