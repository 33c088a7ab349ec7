#include "collector/console/alerts_api.h"

#include <vector>

#include "collector/alerts/alerts.h"
#include "collector/alerts/groups.h"
#include "collector/auth/users.h"
#include "collector/org/org.h"
#include "common/util/time.h"

namespace posture::collector::console {

namespace {

util::Json alertJson(const AlertRow& r) {
  util::Json a = util::Json::object();
  a.set("id", r.id);
  a.set("rule", r.rule);
  a.set("subject", r.subject);
  a.set("unit", r.unitCode);
  a.set("severity", r.severity);
  a.set("status", r.status);
  a.set("title_vi", r.titleVi);
  a.set("title_en", r.titleEn);
  a.set("detail", r.detail);
  a.set("first_seen", r.firstSeen);
  a.set("last_seen", r.lastSeen);
  a.set("assignee", nullable(r.assignee));
  a.set("resolved_at", r.resolvedAt ? util::Json(*r.resolvedAt) : util::Json());
  return a;
}

util::Json alertWithEvents(db::Connection& db, const AlertRow& r) {
  util::Json a = alertJson(r);
  util::Json events = util::Json::array();
  for (const auto& e : alertEvents(db, r.id)) {
    util::Json j = util::Json::object();
    j.set("event", e.event);
    j.set("actor", e.actor);
    j.set("at", e.at);
    j.set("text", e.detail);
    events.push(std::move(j));
  }
  a.set("events", std::move(events));
  return a;
}

net::Response noSuchAlert(std::int64_t id) {
  return notFound("cảnh báo " + std::to_string(id) + " / alert " + std::to_string(id));
}

}  // namespace

net::Response alertList(db::Connection& db, const Query& query) {
  AlertFilter f;
  std::int64_t limit = 50, offset = 0;
  if (auto r = unitParam(query, "unit", false, f.unitCode)) return *r;
  if (auto r = oneOf(query, "severity", {"low", "medium", "high", "critical"}, f.severity)) return *r;
  if (auto r = oneOf(query, "status", {"open", "acknowledged", "resolved", "active", "all"}, f.status)) return *r;
  if (auto r = textParam(query, "rule", 200, f.rulePrefix)) return *r;
  // group=RULE@UNIT: exactly one group's members (the drill-down of the grouped list).
  std::string group;
  if (auto r = textParam(query, "group", 300, group)) return *r;
  if (!group.empty()) {
    auto key = parseGroupKey(group);
    if (!key) return badRequest("group", "dạng QUY_TẮC@ĐƠN_VỊ", "expected RULE@UNIT");
    f.rule = key->first;
    f.exactUnit = true;
    f.unitCode = key->second;
  }
  if (auto r = pageParams(query, 50, limit, offset)) return *r;
  if (auto r = numberParam(query, "after_id", 0, 0, 999999999, f.afterId)) return *r;
  if (auto r = numberParam(query, "before_id", 0, 0, 999999999, f.beforeId)) return *r;
  if (f.afterId && f.beforeId) return badRequest("before_id", "không dùng cùng after_id", "not with after_id");
  f.activeOnly = f.status.empty() || f.status == "active";
  if (f.status == "active" || f.status == "all") f.status.clear();
  f.limit = static_cast<std::size_t>(limit);
  f.offset = static_cast<std::size_t>(offset);
  // A unit means its whole subtree (a district's alerts include its communes').
  if (!f.unitCode.empty() && !f.exactUnit) {
    auto sub = org::loadOrg(db).subtree(f.unitCode);
    if (sub.size() > 1) {
      f.unitCodes = std::move(sub);
      f.unitCode.clear();
    }
  }
  util::Json list = util::Json::array();
  for (const auto& a : listAlerts(db, f)) list.push(alertJson(a));
  util::Json out = util::Json::object();
  out.set("total", countAlerts(db, f));
  out.set("alerts", std::move(list));
  return jsonResponse(200, out);
}

net::Response alertDetail(db::Connection& db, std::int64_t id) {
  auto a = findAlert(db, id);
  if (!a) return noSuchAlert(id);
  return jsonResponse(200, alertWithEvents(db, *a));
}

net::Response alertAction(db::Connection& db, std::int64_t id, std::string_view verb,
                          std::string_view bodyText, const std::string& actor,
                          const AlertsChanged& changed) {
  util::Json body;
  if (auto r = jsonObjectBody(bodyText, body, verb == "ack" || verb == "resolve")) return *r;
  AlertAction action = AlertAction::Acknowledge;
  std::string text;
  if (verb == "ack" || verb == "resolve") {
    action = verb == "ack" ? AlertAction::Acknowledge : AlertAction::Resolve;
    if (auto r = stringMember(body, "comment", false, 10000, text)) return *r;
  } else if (verb == "comment") {
    action = AlertAction::Comment;
    if (auto r = stringMember(body, "text", true, 10000, text)) return *r;
  } else {
    action = AlertAction::Assign;
    if (auto r = stringMember(body, "assignee", true, 64, text)) return *r;
    if (auth::checkUserName(text)) {
      return badRequest("assignee", "tên người dùng gồm a-z 0-9 . _ -", "a user name is a-z 0-9 . _ -");
    }
  }
  if (!validUtf8(text)) return badRequest(verb == "assign" ? "assignee" : "text", "không phải UTF-8", "not UTF-8");
  if (!findAlert(db, id)) return noSuchAlert(id);
  try {
    auto row = actOnAlert(db, id, action, actor, text, util::unixNow());
    if (changed) changed();
    return jsonResponse(200, alertWithEvents(db, row));
  } catch (const AlertError& e) {
    return apiError(409, "conflict", e.what(), e.what());
  }
}

net::Response alertBulk(db::Connection& db, std::string_view bodyText, const std::string& actor,
                        const AlertsChanged& changed) {
  util::Json body;
  if (auto r = jsonObjectBody(bodyText, body)) return *r;
  std::string verb, assignee;
  if (auto r = stringMember(body, "action", true, 16, verb)) return *r;
  if (verb != "ack" && verb != "resolve" && verb != "assign")
    return badRequest("action", "phải là ack, resolve hoặc assign", "must be ack, resolve or assign");
  if (auto r = stringMember(body, "assignee", verb == "assign", 64, assignee)) return *r;
  if (verb == "assign" && auth::checkUserName(assignee))
    return badRequest("assignee", "tên người dùng gồm a-z 0-9 . _ -", "a user name is a-z 0-9 . _ -");
  const util::Json* ids = body.find("ids");
  if (!ids || !ids->isArray() || ids->size() == 0 || ids->size() > static_cast<std::size_t>(kMaxLimit))
    return badRequest("ids", "cần 1-500 mã cảnh báo", "expected 1-500 alert ids");
  std::vector<std::int64_t> list;
  for (const auto& v : ids->items()) {
    std::int64_t id = 0;
    try {
      id = v.asInt();
    } catch (const util::JsonError&) {
      return badRequest("ids", "mã cảnh báo là số nguyên dương", "alert ids are positive integers");
    }
    if (id <= 0) return badRequest("ids", "mã cảnh báo là số nguyên dương", "alert ids are positive integers");
    list.push_back(id);
  }
  AlertAction action = verb == "ack" ? AlertAction::Acknowledge
                       : verb == "resolve" ? AlertAction::Resolve
                                           : AlertAction::Assign;
  std::int64_t updated = 0;
  std::int64_t now = util::unixNow();
  for (auto id : list) {
    try {
      actOnAlert(db, id, action, actor, verb == "assign" ? assignee : std::string(), now);
      ++updated;
    } catch (const AlertError&) {
      // unknown, or already in that state: skipped
    }
  }
  if (updated && changed) changed();
  util::Json out = util::Json::object();
  out.set("updated", updated);
  return jsonResponse(200, out);
}

namespace {
util::Json groupJson(const AlertGroup& g) {
  util::Json j = util::Json::object();
  j.set("id", g.id);
  j.set("key", groupKey(g.rule, g.unitCode));
  j.set("rule", g.rule);
  j.set("unit", g.unitCode);
  j.set("severity", g.severity);
  j.set("status", g.status());
  j.set("title_vi", g.titleVi);
  j.set("title_en", g.titleEn);
  j.set("open", g.open);
  j.set("acknowledged", g.acknowledged);
  j.set("members", g.open + g.acknowledged);
  j.set("first_seen", g.firstSeen);
  j.set("last_seen", g.lastSeen);
  j.set("assignee", nullable(g.assignee));
  return j;
}
}  // namespace

net::Response alertGroupList(db::Connection& db, const Query& query) {
  GroupFilter f;
  std::string unit, status;
  std::int64_t limit = 50, offset = 0;
  if (auto r = unitParam(query, "unit", false, unit)) return *r;
  if (auto r = oneOf(query, "severity", {"low", "medium", "high", "critical"}, f.severity)) return *r;
  if (auto r = oneOf(query, "status", {"open", "acknowledged", "resolved", "active", "all"}, status)) return *r;
  if (auto r = textParam(query, "rule", 200, f.rulePrefix)) return *r;
  if (auto r = pageParams(query, 50, limit, offset)) return *r;
  if (offset) return badRequest("offset", "dùng after_id / before_id", "use after_id / before_id");
  if (auto r = numberParam(query, "after_id", 0, 0, 999999999, f.afterId)) return *r;
  if (auto r = numberParam(query, "before_id", 0, 0, 999999999, f.beforeId)) return *r;
  if (f.afterId && f.beforeId) return badRequest("before_id", "không dùng cùng after_id", "not with after_id");
  f.activeOnly = status.empty() || status == "active";
  if (status != "active" && status != "all") f.status = status;
  f.limit = static_cast<std::size_t>(limit);
  // A unit means its whole subtree; the rollup per rule sums the subtree's groups.
  if (!unit.empty()) {
    auto org = org::loadOrg(db);
    f.unitCodes = org.subtree(unit);
    if (!org.findUnit(unit)) {
      // A unit seen only in reports has groups; a unit neither there nor in the tree is a typo.
      auto st = db.prepare("SELECT 1 FROM alert_groups WHERE unit_code = ? LIMIT 1");
      st.bind(1, unit);
      if (!st.step()) {
        return apiError(404, "not_found", "Tham số 'unit': không có đơn vị " + unit + " (trong cây đơn vị hoặc trong cảnh báo)",
                        "parameter 'unit': no unit " + unit + " (in the unit tree or in alerts)");
      }
      f.unitCodes = {unit};
    }
  }
  util::Json list = util::Json::array();
  for (const auto& g : listGroups(db, f)) list.push(groupJson(g));
  util::Json rules = util::Json::array();
  for (const auto& r : rollupByRule(db, f)) {
    util::Json j = util::Json::object();
    j.set("rule", r.rule);
    j.set("severity", r.severity);
    j.set("title_vi", r.titleVi);
    j.set("title_en", r.titleEn);
    j.set("units", r.units);
    j.set("open", r.open);
    j.set("acknowledged", r.acknowledged);
    j.set("members", r.open + r.acknowledged);
    rules.push(std::move(j));
  }
  util::Json out = util::Json::object();
  out.set("total", countGroups(db, f));
  out.set("groups", std::move(list));
  out.set("rules", std::move(rules));
  return jsonResponse(200, out);
}

net::Response alertGroupActions(db::Connection& db, std::string_view bodyText, const std::string& actor,
                                const AlertsChanged& changed) {
  util::Json body;
  if (auto r = jsonObjectBody(bodyText, body)) return *r;
  std::string verb, text;
  if (auto r = stringMember(body, "action", true, 16, verb)) return *r;
  if (verb != "ack" && verb != "resolve" && verb != "assign" && verb != "comment")
    return badRequest("action", "phải là ack, resolve, assign hoặc comment", "must be ack, resolve, assign or comment");
  AlertAction action = verb == "ack" ? AlertAction::Acknowledge
                       : verb == "resolve" ? AlertAction::Resolve
                       : verb == "assign"  ? AlertAction::Assign
                                           : AlertAction::Comment;
  const char* field = verb == "assign" ? "assignee" : verb == "comment" ? "text" : "comment";
  if (auto r = stringMember(body, field, verb == "assign" || verb == "comment",
                            verb == "assign" ? 64 : 10000, text)) return *r;
  if (verb == "assign" && auth::checkUserName(text))
    return badRequest("assignee", "tên người dùng gồm a-z 0-9 . _ -", "a user name is a-z 0-9 . _ -");
  if (!validUtf8(text)) return badRequest(field, "không phải UTF-8", "not UTF-8");
  const util::Json* groups = body.find("groups");
  if (!groups || !groups->isArray() || groups->size() == 0 || groups->size() > static_cast<std::size_t>(kMaxLimit))
    return badRequest("groups", "cần 1-500 nhóm QUY_TẮC@ĐƠN_VỊ", "expected 1-500 RULE@UNIT groups");
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& v : groups->items()) {
    std::optional<std::pair<std::string, std::string>> key;
    if (v.isString() && v.asString().size() <= 300) key = parseGroupKey(v.asString());
    if (!key) return badRequest("groups", "mỗi nhóm dạng QUY_TẮC@ĐƠN_VỊ", "each group is RULE@UNIT");
    keys.push_back(*key);
  }
  std::int64_t updated = 0, members = 0, now = util::unixNow();
  util::Json skipped = util::Json::array();
  for (const auto& [rule, unit] : keys) {
    try {
      members += static_cast<std::int64_t>(actOnGroup(db, rule, unit, action, actor, text, now).members);
      ++updated;
    } catch (const AlertError& e) {
      util::Json j = util::Json::object();
      j.set("group", groupKey(rule, unit));
      j.set("reason", std::string(e.what()));
      skipped.push(std::move(j));
    }
  }
  if (updated && changed) changed();
  util::Json out = util::Json::object();
  out.set("updated", updated);
  out.set("members", members);
  out.set("skipped", std::move(skipped));
  return jsonResponse(200, out);
}

}  // namespace posture::collector::console
