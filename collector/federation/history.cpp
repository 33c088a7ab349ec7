#include "collector/federation/history.h"

#include "common/util/time.h"

namespace posture::collector::federation {

void recordEndpointDays(db::Connection& db, const std::string& childId,
                        const std::vector<std::string>& agentIds, std::int64_t now) {
  std::int64_t day = util::vietnamDay(now);
  auto copy = db.prepare(
      "INSERT OR REPLACE INTO federated_endpoint_days(child_id, agent_id, day, unit_code, "
      "hostname, facts, facts_at, last_seen, removed) SELECT child_id, agent_id, ?, unit_code, "
      "hostname, facts, facts_at, last_seen, 0 FROM federated_endpoints "
      "WHERE child_id = ? AND agent_id = ?");
  auto gone = db.prepare(
      "INSERT OR REPLACE INTO federated_endpoint_days(child_id, agent_id, day, unit_code, "
      "hostname, facts, facts_at, last_seen, removed) VALUES (?, ?, ?, '', '', x'', 0, 0, 1)");
  for (const auto& id : agentIds) {
    copy.bind(1, day).bind(2, childId).bind(3, id).run();
    copy.reset();
    if (db.changes() == 0) {
      gone.bind(1, childId).bind(2, id).bind(3, day).run();
      gone.reset();
    }
  }
}

void recordChildWiped(db::Connection& db, const std::string& childId, std::int64_t now) {
  db.prepare(
        "INSERT OR REPLACE INTO federated_endpoint_days(child_id, agent_id, day, unit_code, "
        "hostname, facts, facts_at, last_seen, removed) SELECT child_id, agent_id, ?, '', '', "
        "x'', 0, 0, 1 FROM federated_endpoints WHERE child_id = ?")
      .bind(1, util::vietnamDay(now))
      .bind(2, childId)
      .run();
}

std::vector<StoredEndpoint> loadFederatedAsOf(db::Connection& db, std::int64_t cutoff, bool collected) {
  auto st = db.prepare(
      std::string("SELECT d.agent_id, d.unit_code, d.hostname, d.last_seen, d.facts_at, d.facts, "
                  "d.child_id, d.removed FROM federated_endpoint_days d JOIN (SELECT child_id, "
                  "agent_id, MAX(day) AS day FROM federated_endpoint_days WHERE day <= ?1") +
      (collected ? " AND (removed = 1 OR facts_at <= ?2)" : "") +
      " GROUP BY child_id, agent_id) m ON m.child_id = d.child_id AND m.agent_id = d.agent_id "
      "AND m.day = d.day");
  st.bind(1, util::vietnamDay(cutoff));
  if (collected) st.bind(2, cutoff);
  std::vector<StoredEndpoint> out;
  while (st.step()) {
    if (st.getInt(7) != 0) continue;  // gone by then
    out.push_back({st.getText(0), st.getText(1), st.getText(2), 0, st.getInt(3), st.getInt(4), {},
                   st.getBlob(5), st.getText(6)});
  }
  return out;
}

}  // namespace posture::collector::federation
