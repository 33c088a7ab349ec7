#include "collector/alerts/alerts.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "collector/alerts/groups.h"
#include "collector/audit/audit.h"
#include "common/util/json.h"
#include "common/util/time.h"

namespace posture::collector {
namespace {
using Key = std::pair<std::string, std::string>;  // (rule, subject)

std::string percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

constexpr const char* kEventSql =
    "INSERT INTO alert_events(alert_id, at, event, detail, actor) VALUES (?, ?, ?, ?, ?)";

AlertEvent record(db::Statement& insert, std::int64_t id, std::int64_t at, const char* event,
                  const std::string& actor, const std::string& detail) {
  insert.bind(1, id).bind(2, at).bind(3, event).bind(4, detail).bind(5, actor).run();
  return AlertEvent{id, at, event, actor, detail};
}

AlertEvent record(db::Connection& db, std::int64_t id, std::int64_t at, const char* event,
                  const std::string& actor, const std::string& detail) {
  auto insert = db.prepare(kEventSql);
  return record(insert, id, at, event, actor, detail);
}

struct Existing {
  std::int64_t id;
  std::string status;
  std::string detail;
  std::string rule, unitCode;
};

constexpr const char* kEvaluator = "posture";

// The evaluator's statements, each prepared once per transaction and reset between uses:
// preparing them once per alert made the first sync of 400,000 alerts take 18 s and a
// fifth of the writer thread's time at ingest went to preparing the same lookup.
class Statements {
 public:
  enum Slot { Find, Insert, Reopen, Refresh, Resolve, Event, kSlots };
  explicit Statements(db::Connection& db) : db_(db), groups_(db) {}
  db::Statement& get(Slot slot) {
    static constexpr const char* kSql[kSlots] = {
        "SELECT id, status, detail, rule, unit_code FROM alerts WHERE rule = ? AND subject = ?",
        // A new member of a group whose active members share one assignee gets that
        // assignee (README.md, "A new member of an acknowledged group").
        "INSERT INTO alerts(rule, subject, unit_code, severity, status, title_vi, title_en, "
        "detail, first_seen, last_seen, assignee) VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, ?8, "
        "?9, coalesce((SELECT assignee FROM alert_groups WHERE rule = ?1 AND unit_code = ?3 "
        "AND open + acknowledged > 0), ''))",
        "UPDATE alerts SET status = 'open', resolved_at = NULL, last_seen = ?, detail = ?, "
        "severity = ?, title_vi = ?, title_en = ?, assignee = coalesce((SELECT g.assignee "
        "FROM alert_groups g WHERE g.rule = alerts.rule AND g.unit_code = alerts.unit_code AND "
        "g.open + g.acknowledged > 0 AND g.assignee != ''), assignee) WHERE id = ?",
        "UPDATE alerts SET last_seen = ?, detail = ? WHERE id = ?",
        "UPDATE alerts SET status = 'resolved', resolved_at = ? WHERE id = ?",
        kEventSql};
    auto& st = slots_[slot];
    if (!st) st.emplace(db_.prepare(kSql[slot]));
    else st->reset();
    return *st;
  }
  db::Connection& db() { return db_; }
  GroupTransitions& groups() { return groups_; }

 private:
  db::Connection& db_;
  GroupTransitions groups_;
  std::optional<db::Statement> slots_[kSlots];
};

// Raises one wanted alert against what is stored; writes nothing when unchanged.
void raise(Statements& st, const WantedAlert& w, const Existing* e, std::int64_t now,
           AlertChange& change) {
  if (!e) {
    st.groups().before(w.rule, w.unitCode);
    st.get(Statements::Insert)
        .bind(1, w.rule).bind(2, w.subject).bind(3, w.unitCode).bind(4, w.severity)
        .bind(5, w.titleVi).bind(6, w.titleEn).bind(7, w.detail).bind(8, now).bind(9, now).run();
    change.events.push_back(record(st.get(Statements::Event), st.db().lastInsertRowid(), now,
                                   "opened", kEvaluator, w.detail));
    ++change.opened;
  } else if (e->status == "resolved") {
    st.groups().before(e->rule, e->unitCode);
    st.get(Statements::Reopen)
        .bind(1, now).bind(2, w.detail).bind(3, w.severity).bind(4, w.titleVi).bind(5, w.titleEn)
        .bind(6, e->id).run();
    change.events.push_back(
        record(st.get(Statements::Event), e->id, now, "reopened", kEvaluator, w.detail));
    ++change.reopened;
  } else if (e->detail != w.detail) {
    st.get(Statements::Refresh).bind(1, now).bind(2, w.detail).bind(3, e->id).run();
  }
}

void clearOne(Statements& st, const Existing& e, std::int64_t now, AlertChange& change) {
  if (e.status == "resolved") return;
  st.groups().before(e.rule, e.unitCode);
  st.get(Statements::Resolve).bind(1, now).bind(2, e.id).run();
  change.events.push_back(
      record(st.get(Statements::Event), e.id, now, "resolved", kEvaluator, "condition cleared"));
  ++change.resolved;
}

std::optional<Existing> findExisting(Statements& st, const std::string& rule,
                                     const std::string& subject) {
  auto& find = st.get(Statements::Find);
  find.bind(1, rule).bind(2, subject);
  std::optional<Existing> found;
  if (find.step()) {
    found = Existing{find.getInt(0), find.getText(1), find.getText(2), find.getText(3),
                     find.getText(4)};
  }
  find.reset();  // no read left open while the caller writes
  return found;
}

AlertRow readRow(db::Statement& st) {
  AlertRow r{st.getInt(0), st.getText(1), st.getText(2), st.getText(3), st.getText(4),
             st.getText(5), st.getText(6), st.getText(7), st.getText(8), st.getInt(9),
             st.getInt(10), st.getText(11), std::nullopt};
  if (!st.isNull(12)) r.resolvedAt = st.getInt(12);
  return r;
}

constexpr const char* kRowColumns =
    "SELECT id, rule, subject, unit_code, severity, status, title_vi, title_en, detail, "
    "first_seen, last_seen, assignee, resolved_at FROM alerts";

std::string stateJson(const AlertRow& r) {
  return "{\"status\":" + util::jsonString(r.status) + ",\"assignee\":" + util::jsonString(r.assignee) + "}";
}
}  // namespace

std::string describeCheck(const std::string& hostname, const policy::Check& check,
                          const policy::Facts& facts, policy::Tri result) {
  std::string detail = hostname + ": ";
  bool first = true;
  for (const auto& fact : policy::factsUsedBy(check)) {
    const auto* v = facts.get(fact);
    detail += (first ? "" : ", ") + fact + "=" +
              (v ? policy::formatFact(*v, false) : std::string("unknown"));
    first = false;
  }
  if (result == policy::Tri::Unknown) detail += " (cannot be established)";
  return detail;
}

std::string describeTarget(const policy::TargetEvaluation& ev) {
  std::string detail = std::to_string(ev.satisfied) + "/" + std::to_string(ev.total) + " = " +
                       percent(ev.percent);
  if (ev.inForce) {
    detail += " < " + percent(ev.inForce->atLeastPercent) + " required since " +
              util::formatDate(ev.inForce->byDay);
  }
  return detail;
}

AlertChange syncAlertSet(db::Connection& db, const std::vector<WantedAlert>& wanted,
                         std::int64_t now) {
  AlertChange change;
  db::Transaction tx(db);
  std::map<Key, Existing> existing;
  {
    auto st = db.prepare("SELECT id, rule, subject, status, detail, unit_code FROM alerts");
    while (st.step()) {
      existing[{st.getText(1), st.getText(2)}] = {st.getInt(0), st.getText(3), st.getText(4),
                                                  st.getText(1), st.getText(5)};
    }
  }
  std::map<Key, const WantedAlert*> want;
  for (const auto& w : wanted) want[{w.rule, w.subject}] = &w;
  {
    Statements st(db);
    for (const auto& [key, w] : want) {
      auto it = existing.find(key);
      raise(st, *w, it == existing.end() ? nullptr : &it->second, now, change);
    }
    for (const auto& [key, e] : existing) {
      if (!want.count(key)) clearOne(st, e, now, change);
    }
    st.groups().finish(now, kEvaluator);
  }
  tx.commit();
  change.open = want.size();
  return change;
}

AlertChange applyAlertDelta(db::Connection& db, const std::vector<WantedAlert>& raiseList,
                            const std::vector<std::pair<std::string, std::string>>& clear,
                            std::int64_t now) {
  AlertChange change;
  if (raiseList.empty() && clear.empty()) return change;
  db::Transaction tx(db);
  {
    Statements st(db);
    for (const auto& w : raiseList) {
      auto e = findExisting(st, w.rule, w.subject);
      raise(st, w, e ? &*e : nullptr, now, change);
    }
    for (const auto& [rule, subject] : clear) {
      if (auto e = findExisting(st, rule, subject)) clearOne(st, *e, now, change);
    }
    st.groups().finish(now, kEvaluator);
  }
  tx.commit();
  return change;
}

namespace {
// " WHERE …" of a filter and the values to bind, in order (no value is ever in the text).
std::string alertWhere(const AlertFilter& f, std::vector<std::string>& binds) {
  std::string sql = " WHERE 1";
  if (f.activeOnly) sql += " AND status IN ('open', 'acknowledged')";
  if (!f.status.empty()) { sql += " AND status = ?"; binds.push_back(f.status); }
  if (!f.unitCode.empty()) { sql += " AND unit_code = ?"; binds.push_back(f.unitCode); }
  if (!f.unitCodes.empty()) {
    std::string list = "[";
    for (const auto& u : f.unitCodes) {
      if (list.size() > 1) list += ',';
      list += '"';
      for (char c : u) {
        if (c == '"' || c == '\\') list += '\\';
        list += c;
      }
      list += '"';
    }
    list += ']';
    sql += " AND unit_code IN (SELECT value FROM json_each(?))";
    binds.push_back(list);
  }
  if (!f.severity.empty()) { sql += " AND severity = ?"; binds.push_back(f.severity); }
  if (!f.rule.empty()) { sql += " AND rule = ?"; binds.push_back(f.rule); }
  if (!f.rulePrefix.empty()) {
    sql += " AND substr(rule, 1, length(?)) = ?";
    binds.push_back(f.rulePrefix);
    binds.push_back(f.rulePrefix);
  }
  return sql;
}
}  // namespace

std::vector<AlertRow> listAlerts(db::Connection& db, const AlertFilter& f) {
  std::vector<std::string> binds;
  std::string sql = std::string(kRowColumns) + alertWhere(f, binds);
  if (f.afterId > 0) sql += " AND id > " + std::to_string(f.afterId);
  if (f.beforeId > 0) sql += " AND id < " + std::to_string(f.beforeId);
  bool backwards = f.beforeId > 0 && f.afterId <= 0;
  sql += backwards ? " ORDER BY id DESC LIMIT ? OFFSET ?" : " ORDER BY id LIMIT ? OFFSET ?";
  auto st = db.prepare(sql);
  int i = 1;
  for (const auto& b : binds) st.bind(i++, b);
  st.bind(i++, static_cast<std::int64_t>(f.limit));
  st.bind(i, static_cast<std::int64_t>(f.offset));
  std::vector<AlertRow> out;
  while (st.step()) out.push_back(readRow(st));
  if (backwards) std::reverse(out.begin(), out.end());
  return out;
}

std::int64_t countAlerts(db::Connection& db, const AlertFilter& f) {
  std::vector<std::string> binds;
  auto st = db.prepare("SELECT count(*) FROM alerts" + alertWhere(f, binds));
  int i = 1;
  for (const auto& b : binds) st.bind(i++, b);
  return st.step() ? st.getInt(0) : 0;
}

std::optional<AlertRow> findAlert(db::Connection& db, std::int64_t id) {
  auto st = db.prepare(std::string(kRowColumns) + " WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return readRow(st);
}

std::vector<AlertEvent> alertEvents(db::Connection& db, std::int64_t id) {
  auto st = db.prepare(
      "SELECT alert_id, at, event, actor, detail FROM alert_events WHERE alert_id = ? "
      "ORDER BY rowid");
  st.bind(1, id);
  std::vector<AlertEvent> out;
  while (st.step()) {
    out.push_back({st.getInt(0), st.getInt(1), st.getText(2), st.getText(3), st.getText(4)});
  }
  return out;
}

std::int64_t countOpenAlerts(db::Connection& db, const std::string& unitCode) {
  auto st = db.prepare(unitCode.empty()
                           ? "SELECT count(*) FROM alerts WHERE status IN ('open', 'acknowledged')"
                           : "SELECT count(*) FROM alerts WHERE status IN ('open', 'acknowledged') "
                             "AND unit_code = ?");
  if (!unitCode.empty()) st.bind(1, unitCode);
  st.step();
  return st.getInt(0);
}

AlertRow applyAlertAction(db::Connection& db, const AlertRow& before, AlertAction action,
                          const std::string& actor, const std::string& text, std::int64_t now,
                          const std::string& group) {
  std::int64_t id = before.id;
  std::string n = std::to_string(id);
  AlertRow after = before;
  const char* event = "";
  const char* auditAction = "";
  switch (action) {
    case AlertAction::Acknowledge:
      if (before.status == "resolved") {
        throw AlertError("cảnh báo " + n + " đã được xử lý, không thể xác nhận / alert " + n +
                         " is resolved and cannot be acknowledged");
      }
      if (before.status == "acknowledged") {
        throw AlertError("cảnh báo " + n + " đã được xác nhận / alert " + n +
                         " is already acknowledged");
      }
      after.status = "acknowledged";
      db.prepare("UPDATE alerts SET status = 'acknowledged' WHERE id = ?").bind(1, id).run();
      event = "acknowledged";
      auditAction = "alert.ack";
      break;
    case AlertAction::Resolve:
      if (before.status == "resolved") {
        throw AlertError("cảnh báo " + n + " đã được xử lý / alert " + n + " is already resolved");
      }
      after.status = "resolved";
      after.resolvedAt = now;
      db.prepare("UPDATE alerts SET status = 'resolved', resolved_at = ? WHERE id = ?")
          .bind(1, now).bind(2, id).run();
      event = "resolved";
      auditAction = "alert.resolve";
      break;
    case AlertAction::Assign:
      if (text.empty()) throw AlertError("thiếu người được giao / no assignee given");
      after.assignee = text;
      db.prepare("UPDATE alerts SET assignee = ? WHERE id = ?").bind(1, text).bind(2, id).run();
      event = "assigned";
      auditAction = "alert.assign";
      break;
    case AlertAction::Comment:
      if (text.empty()) throw AlertError("bình luận trống / the comment is empty");
      event = "commented";
      auditAction = "alert.comment";
      break;
  }
  record(db, id, now, event, actor, text);
  std::string afterJson = action == AlertAction::Comment
                              ? "{\"comment\":" + util::jsonString(text)
                              : stateJson(after);
  if (action == AlertAction::Comment) afterJson += "}";
  if (!group.empty()) {
    afterJson.pop_back();
    afterJson += ",\"group\":" + util::jsonString(group) + "}";
  }
  appendAudit(db, {0, now, actor, auditAction, "alert:" + n, stateJson(before), afterJson});
  return after;
}

AlertRow actOnAlert(db::Connection& db, std::int64_t id, AlertAction action,
                    const std::string& actor, const std::string& text, std::int64_t now) {
  db::Transaction tx(db);
  auto before = findAlert(db, id);
  std::string n = std::to_string(id);
  if (!before) throw AlertError("không có cảnh báo " + n + " / no alert " + n);
  GroupTransitions groups(db);
  groups.before(before->rule, before->unitCode);
  auto after = applyAlertAction(db, *before, action, actor, text, now, "");
  if (action == AlertAction::Assign) refreshGroupAssignee(db, after.rule, after.unitCode);
  groups.finish(now, actor, text);
  tx.commit();
  return after;
}

}  // namespace posture::collector
