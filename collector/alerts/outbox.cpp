#include "collector/alerts/outbox.h"

#include "collector/alerts/groups.h"

namespace posture::collector {

namespace {
std::int64_t storedPosition(db::Connection& db) {
  auto st = db.prepare("SELECT last_event FROM delivery_outbox WHERE id = 1");
  if (st.step()) return st.getInt(0);
  auto newest = db.prepare("SELECT coalesce(max(id), 0) FROM alert_group_events");
  newest.step();
  std::int64_t start = newest.getInt(0);
  advanceOutbox(db, start);
  return start;
}
}  // namespace

std::vector<AlertNotice> pendingNotices(db::Connection& db, std::size_t limit,
                                        std::int64_t& endPosition) {
  endPosition = storedPosition(db);
  // One notice per group transition (collector/alerts/groups.h): 300 endpoints failing one
  // rule in one unit are one "opened", not 300.
  auto st = db.prepare(
      "SELECT e.id, e.group_id, e.event, e.actor, e.at, e.detail, g.rule, g.unit_code, "
      "g.severity, g.title_vi, g.title_en, e.open, e.acknowledged "
      "FROM alert_group_events e JOIN alert_groups g ON g.id = e.group_id "
      "WHERE e.id > ? ORDER BY e.id LIMIT ?");
  st.bind(1, endPosition).bind(2, static_cast<std::int64_t>(limit));
  std::vector<AlertNotice> out;
  while (st.step()) {
    endPosition = st.getInt(0);
    AlertNotice n;
    n.alertId = st.getInt(1);  // the group's id
    n.event = st.getText(2);
    n.actor = st.getText(3);
    n.at = st.getInt(4);
    n.detail = st.getText(5);
    n.rule = st.getText(6);
    n.unitCode = st.getText(7);
    n.subject = groupKey(n.rule, n.unitCode);
    n.severity = st.getText(8);
    n.titleVi = st.getText(9);
    n.titleEn = st.getText(10);
    n.membersOpen = st.getInt(11);
    n.membersAcknowledged = st.getInt(12);
    n.members = n.membersOpen + n.membersAcknowledged;
    n.status = n.membersOpen > 0 ? "open" : n.membersAcknowledged > 0 ? "acknowledged" : "resolved";
    out.push_back(std::move(n));
  }
  return out;
}

void advanceOutbox(db::Connection& db, std::int64_t position) {
  db.prepare("INSERT INTO delivery_outbox(id, last_event) VALUES (1, ?) "
             "ON CONFLICT(id) DO UPDATE SET last_event = excluded.last_event")
      .bind(1, position)
      .run();
}

}  // namespace posture::collector
