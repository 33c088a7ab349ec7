#include "collector/alerts/outbox.h"

namespace posture::collector {

namespace {
std::int64_t storedPosition(db::Connection& db) {
  auto st = db.prepare("SELECT last_event FROM delivery_outbox WHERE id = 1");
  if (st.step()) return st.getInt(0);
  auto newest = db.prepare("SELECT coalesce(max(rowid), 0) FROM alert_events");
  newest.step();
  std::int64_t start = newest.getInt(0);
  advanceOutbox(db, start);
  return start;
}
}  // namespace

std::vector<AlertNotice> pendingNotices(db::Connection& db, std::size_t limit,
                                        std::int64_t& endPosition) {
  endPosition = storedPosition(db);
  auto st = db.prepare(
      "SELECT e.rowid, e.alert_id, e.event, e.actor, e.at, e.detail, a.rule, a.subject, "
      "a.unit_code, a.severity, a.status, a.title_vi, a.title_en, a.detail "
      "FROM alert_events e JOIN alerts a ON a.id = e.alert_id "
      "WHERE e.rowid > ? ORDER BY e.rowid LIMIT ?");
  st.bind(1, endPosition).bind(2, static_cast<std::int64_t>(limit));
  std::vector<AlertNotice> out;
  while (st.step()) {
    endPosition = st.getInt(0);
    AlertNotice n;
    n.alertId = st.getInt(1);
    n.event = st.getText(2);
    n.actor = st.getText(3);
    n.at = st.getInt(4);
    std::string eventDetail = st.getText(5);
    n.rule = st.getText(6);
    n.subject = st.getText(7);
    n.unitCode = st.getText(8);
    n.severity = st.getText(9);
    n.status = st.getText(10);
    n.titleVi = st.getText(11);
    n.titleEn = st.getText(12);
    // The evaluator's events carry the evidence; a person's carry their comment.
    n.detail = eventDetail.empty() ? st.getText(13) : eventDetail;
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
