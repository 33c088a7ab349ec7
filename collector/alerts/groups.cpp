#include "collector/alerts/groups.h"

#include <algorithm>

#include "common/util/json.h"

namespace posture::collector {

namespace {

constexpr const char* kGroupColumns =
    "SELECT id, rule, unit_code, severity, title_vi, title_en, open, acknowledged, members, "
    "first_seen, last_seen, assignee FROM alert_groups";

AlertGroup readGroup(db::Statement& st) {
  AlertGroup g;
  g.id = st.getInt(0);
  g.rule = st.getText(1);
  g.unitCode = st.getText(2);
  g.severity = st.getText(3);
  g.titleVi = st.getText(4);
  g.titleEn = st.getText(5);
  g.open = st.getInt(6);
  g.acknowledged = st.getInt(7);
  g.members = st.getInt(8);
  g.firstSeen = st.getInt(9);
  g.lastSeen = st.getInt(10);
  g.assignee = st.getText(11);
  return g;
}

// " WHERE …" of a filter and its values, in order (no value is ever in the text).
std::string groupWhere(const GroupFilter& f, std::vector<std::string>& binds) {
  std::string sql = " WHERE 1";
  if (f.status == "open") {
    sql += " AND open > 0";
  } else if (f.status == "acknowledged") {
    sql += " AND open = 0 AND acknowledged > 0";
  } else if (f.status == "resolved") {
    sql += " AND open = 0 AND acknowledged = 0";
  } else if (f.activeOnly) {
    sql += " AND open + acknowledged > 0";
  }
  if (!f.unitCodes.empty()) {
    util::Json list = util::Json::array();
    for (const auto& u : f.unitCodes) list.push(util::Json(u));
    sql += " AND unit_code IN (SELECT value FROM json_each(?))";
    binds.push_back(util::writeJson(list, false));
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

const char* verbOf(AlertAction action) {
  switch (action) {
    case AlertAction::Acknowledge: return "acknowledged";
    case AlertAction::Resolve: return "resolved";
    case AlertAction::Assign: return "assigned";
    case AlertAction::Comment: return "commented";
  }
  return "";
}

void writeEvent(db::Connection& db, const AlertGroup& g, std::int64_t now, const std::string& event,
                const std::string& actor, const std::string& detail) {
  db.prepare("INSERT INTO alert_group_events(group_id, at, event, actor, detail, open, acknowledged) "
             "VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(1, g.id).bind(2, now).bind(3, event).bind(4, actor).bind(5, detail)
      .bind(6, g.open).bind(7, g.acknowledged)
      .run();
}

std::string counts(const AlertGroup& g) {
  return std::to_string(g.open) + " open, " + std::to_string(g.acknowledged) + " acknowledged";
}

}  // namespace

std::optional<std::pair<std::string, std::string>> parseGroupKey(const std::string& key) {
  auto at = key.rfind('@');
  if (at == std::string::npos || at == 0) return std::nullopt;
  return std::make_pair(key.substr(0, at), key.substr(at + 1));
}

std::string groupKey(const std::string& rule, const std::string& unitCode) {
  return rule + "@" + unitCode;
}

std::vector<AlertGroup> listGroups(db::Connection& db, const GroupFilter& f) {
  std::vector<std::string> binds;
  std::string sql = std::string(kGroupColumns) + groupWhere(f, binds);
  if (f.afterId > 0) sql += " AND id > " + std::to_string(f.afterId);
  if (f.beforeId > 0) sql += " AND id < " + std::to_string(f.beforeId);
  bool backwards = f.beforeId > 0 && f.afterId <= 0;
  sql += backwards ? " ORDER BY id DESC LIMIT ?" : " ORDER BY id LIMIT ?";
  auto st = db.prepare(sql);
  int i = 1;
  for (const auto& b : binds) st.bind(i++, b);
  st.bind(i, static_cast<std::int64_t>(f.limit));
  std::vector<AlertGroup> out;
  while (st.step()) out.push_back(readGroup(st));
  if (backwards) std::reverse(out.begin(), out.end());
  return out;
}

std::int64_t countGroups(db::Connection& db, const GroupFilter& f) {
  std::vector<std::string> binds;
  auto st = db.prepare("SELECT count(*) FROM alert_groups" + groupWhere(f, binds));
  int i = 1;
  for (const auto& b : binds) st.bind(i++, b);
  return st.step() ? st.getInt(0) : 0;
}

std::optional<AlertGroup> findGroup(db::Connection& db, const std::string& rule,
                                    const std::string& unitCode) {
  auto st = db.prepare(std::string(kGroupColumns) + " WHERE rule = ? AND unit_code = ?");
  st.bind(1, rule).bind(2, unitCode);
  if (!st.step()) return std::nullopt;
  return readGroup(st);
}

std::optional<AlertGroup> findGroup(db::Connection& db, std::int64_t id) {
  auto st = db.prepare(std::string(kGroupColumns) + " WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return readGroup(st);
}

std::vector<std::string> unitSubtree(db::Connection& db, const std::string& unitCode) {
  auto st = db.prepare(
      "WITH RECURSIVE sub(code) AS (SELECT code FROM org_units WHERE code = ? UNION "
      "SELECT u.code FROM org_units u JOIN sub ON u.parent = sub.code) SELECT code FROM sub");
  st.bind(1, unitCode);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.getText(0));
  return out;
}

std::vector<RuleRollup> rollupByRule(db::Connection& db, const GroupFilter& f) {
  std::vector<std::string> binds;
  auto st = db.prepare(
      "SELECT rule, max(severity), max(title_vi), max(title_en), count(*), sum(open), "
      "sum(acknowledged) FROM alert_groups" + groupWhere(f, binds) + " GROUP BY rule ORDER BY rule");
  int i = 1;
  for (const auto& b : binds) st.bind(i++, b);
  std::vector<RuleRollup> out;
  while (st.step()) {
    out.push_back({st.getText(0), st.getText(1), st.getText(2), st.getText(3), st.getInt(4),
                   st.getInt(5), st.getInt(6)});
  }
  return out;
}

std::vector<GroupEvent> groupEvents(db::Connection& db, std::int64_t groupId) {
  auto st = db.prepare(
      "SELECT id, group_id, at, event, actor, detail, open, acknowledged FROM alert_group_events "
      "WHERE group_id = ? ORDER BY id");
  st.bind(1, groupId);
  std::vector<GroupEvent> out;
  while (st.step()) {
    out.push_back({st.getInt(0), st.getInt(1), st.getInt(2), st.getText(3), st.getText(4),
                   st.getText(5), st.getInt(6), st.getInt(7)});
  }
  return out;
}

void GroupTransitions::before(const std::string& rule, const std::string& unitCode) {
  auto key = std::make_pair(rule, unitCode);
  if (before_.count(key)) return;
  if (!read_) {
    read_.emplace(db_.prepare("SELECT open, acknowledged FROM alert_groups WHERE rule = ? AND unit_code = ?"));
  } else {
    read_->reset();
  }
  read_->bind(1, rule).bind(2, unitCode);
  State s;
  if (read_->step()) s = {true, read_->getInt(0), read_->getInt(1)};
  read_->reset();  // no read left open while the caller writes
  before_.emplace(std::move(key), s);
}

void GroupTransitions::finish(std::int64_t now, const std::string& actor, const std::string& text) {
  const bool evaluator = actor == "posture";
  auto counts = [&text](const AlertGroup& g) {
    std::string c = std::to_string(g.open) + " open, " + std::to_string(g.acknowledged) + " acknowledged";
    return text.empty() ? c : text + " (" + c + ")";
  };
  for (const auto& [key, was] : before_) {
    auto g = findGroup(db_, key.first, key.second);
    if (!g) continue;
    std::int64_t activeBefore = was.open + was.acknowledged;
    std::int64_t activeNow = g->open + g->acknowledged;
    if (!was.exists && activeNow > 0) {
      writeEvent(db_, *g, now, "opened", actor, counts(*g));
    } else if (activeBefore == 0 && activeNow > 0) {
      writeEvent(db_, *g, now, "reopened", actor, counts(*g));
    } else if (was.open == 0 && was.acknowledged > 0 && g->open > 0) {
      writeEvent(db_, *g, now, "reopened", actor,
                 std::to_string(g->open) + " new since acknowledged; " + counts(*g));
    } else if (activeBefore > 0 && activeNow == 0) {
      writeEvent(db_, *g, now, "resolved", actor, counts(*g));
    } else if (!evaluator && was.open > 0 && g->open == 0 && g->acknowledged > 0) {
      writeEvent(db_, *g, now, "acknowledged", actor, counts(*g));
    }
  }
  before_.clear();
}

void refreshGroupAssignee(db::Connection& db, const std::string& rule, const std::string& unitCode) {
  db.prepare(
        "UPDATE alert_groups SET assignee = coalesce((SELECT CASE WHEN count(DISTINCT assignee) = 1 "
        "THEN max(assignee) ELSE '' END FROM alerts WHERE rule = ?1 AND unit_code = ?2 AND status "
        "IN ('open', 'acknowledged')), '') WHERE rule = ?1 AND unit_code = ?2")
      .bind(1, rule).bind(2, unitCode).run();
}

GroupActionResult actOnGroup(db::Connection& db, const std::string& rule, const std::string& unitCode,
                             AlertAction action, const std::string& actor, const std::string& text,
                             std::int64_t now) {
  std::string key = groupKey(rule, unitCode);
  if (action == AlertAction::Comment && text.empty())
    throw AlertError("bình luận trống / the comment is empty");
  if (action == AlertAction::Assign && text.empty())
    throw AlertError("thiếu người được giao / no assignee given");
  db::Transaction tx(db);
  if (!findGroup(db, rule, unitCode))
    throw AlertError("không có nhóm cảnh báo " + key + " / no alert group " + key);
  std::vector<AlertRow> members;
  {
    auto st = db.prepare(
        "SELECT id FROM alerts WHERE rule = ? AND unit_code = ? AND status IN ('open', "
        "'acknowledged') ORDER BY id");
    st.bind(1, rule).bind(2, unitCode);
    std::vector<std::int64_t> ids;
    while (st.step()) ids.push_back(st.getInt(0));
    for (auto id : ids) {
      auto row = findAlert(db, id);
      if (row && (action != AlertAction::Acknowledge || row->status == "open")) members.push_back(*row);
    }
  }
  if (members.empty()) {
    throw AlertError(action == AlertAction::Acknowledge
                         ? "nhóm " + key + " không có cảnh báo mở / group " + key + " has no open alert"
                         : "nhóm " + key + " không có cảnh báo đang hoạt động / group " + key +
                               " has no active alert");
  }
  for (const auto& m : members) applyAlertAction(db, m, action, actor, text, now, key);
  if (action == AlertAction::Assign) {
    db.prepare("UPDATE alert_groups SET assignee = ? WHERE rule = ? AND unit_code = ?")
        .bind(1, text).bind(2, rule).bind(3, unitCode).run();
  }
  auto g = *findGroup(db, rule, unitCode);
  std::string detail = std::to_string(members.size()) + " member(s); " + counts(g);
  if (!text.empty()) detail = text + " (" + detail + ")";
  writeEvent(db, g, now, verbOf(action), actor, detail);
  tx.commit();
  return {g, members.size()};
}

}  // namespace posture::collector
