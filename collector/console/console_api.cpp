#include "collector/console/console_api.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <variant>

#include "collector/alerts/alerts.h"
#include "collector/audit/audit.h"
#include "collector/auth/sessions.h"
#include "collector/auth/users.h"
#include "collector/auth/login.h"
#include "collector/console/assets.h"
#include "collector/console/db_pool.h"
#include "collector/console/endpoint_history.h"
#include "collector/console/endpoints_api.h"
#include "collector/console/export_api.h"
#include "collector/console/housekeeping.h"
#include "collector/console/http_util.h"
#include "collector/console/login_api.h"
#include "collector/console/org_api.h"
#include "collector/console/request_checks.h"
#include "collector/evaluation/history.h"
#include "collector/evaluation/model.h"
#include "collector/export/json.h"
#include "collector/org/layers.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/net/http_server.h"
#include "common/log/log.h"
#include "common/util/time.h"

namespace posture::collector::console {
namespace {
namespace http = boost::beast::http;

constexpr std::size_t kApiQueue = 1000;

// ---- responses -------------------------------------------------------------------------

net::Response unauthenticated() {
  return apiError(401, "unauthenticated", "Chưa đăng nhập hoặc phiên đã hết hạn",
                  "no session, or the session expired");
}

net::Response forbidden() {
  return apiError(403, "forbidden", "Vai trò của bạn không được phép làm việc này",
                  "your role may not do this");
}

net::Response csrfRefused() {
  return apiError(403, "csrf", "Thiếu hoặc sai mã chống giả mạo (X-CSRF-Token)",
                  "missing or wrong X-CSRF-Token header");
}

// ---- request parsing -------------------------------------------------------------------

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool parseQuery(std::string_view text, Query& out) {
  while (!text.empty()) {
    auto amp = text.find('&');
    std::string_view part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto name = percentDecode(part.substr(0, eq));
    auto value = percentDecode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    if (!name || !value) return false;
    out[*name] = *value;
  }
  return true;
}

// ---- JSON of the objects ---------------------------------------------------------------

Json alertJson(const AlertRow& r) {
  Json a = Json::object();
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
  a.set("resolved_at", r.resolvedAt ? Json(*r.resolvedAt) : Json());
  return a;
}

Json alertWithEvents(db::Connection& db, const AlertRow& r) {
  Json a = alertJson(r);
  Json events = Json::array();
  for (const auto& e : alertEvents(db, r.id)) {
    Json j = Json::object();
    j.set("event", e.event);
    j.set("actor", e.actor);
    j.set("at", e.at);
    j.set("text", e.detail);
    events.push(std::move(j));
  }
  a.set("events", std::move(events));
  return a;
}

Json fraction(std::uint32_t satisfied, std::uint32_t total) {
  if (total == 0) return Json();
  return Json(static_cast<double>(satisfied) / static_cast<double>(total));
}

// What an authenticated API request needs, copied out of the HTTP request.
struct Call {
  http::verb method = http::verb::get;
  std::string path;
  Query query;
  std::string body;
  std::string token, csrf, ip, userAgent;
};

enum class Need { AnySession, Read, AlertTriage, Export, AuditRead, OrgEdit };

std::optional<auth::Action> actionFor(Need need) {
  switch (need) {
    case Need::AnySession: return std::nullopt;
    case Need::Read: return auth::Action::Read;
    case Need::AlertTriage: return auth::Action::AlertTriage;
    case Need::Export: return auth::Action::Export;
    case Need::AuditRead: return auth::Action::AuditRead;
    case Need::OrgEdit: return auth::Action::OrgEdit;
  }
  return auth::Action::UserAdmin;
}

// Parses the JSON object body of a POST; the refusal when it is not one.
Refusal jsonBody(const Call& call, Json& out, bool optional = false) {
  if (call.body.empty() && optional) {
    out = Json::object();
    return std::nullopt;
  }
  try {
    out = parseJson(call.body);
  } catch (const JsonError& e) {
    return badRequest("body", "không phải JSON", std::string("not JSON: ") + e.what());
  }
  if (!out.isObject()) return badRequest("body", "cần một đối tượng JSON", "expected a JSON object");
  return std::nullopt;
}

}  // namespace

struct ConsoleApi::Impl {
  ConsoleContext ctx;
  DbPool apiPool;
  DbPool loginPool;   // the Argon2 checks; auth::Logins bounds how many are admitted
  DbPool exportPool;  // export builds; ExportGate bounds how many are admitted
  auth::Logins logins;
  ExportService exports;
  Housekeeping housekeeping;  // last: its thread uses `logins`

  explicit Impl(ConsoleContext c)
      : ctx(std::move(c)),
        apiPool(ctx.dataDir, ctx.workers, kApiQueue, "api"),
        loginPool(ctx.dataDir, ctx.loginWorkers, ctx.loginWorkers + ctx.loginQueue, "login"),
        exportPool(ctx.dataDir, ctx.exportWorkers, ctx.exportWorkers + 1, "export"),
        logins(auth::LoginLimits{{}, {ctx.loginWorkers, ctx.loginQueue, 2}}),
        exports(ctx.dataDir, ctx.policies, ctx.staleAfterSeconds, ExportLimits{1, ctx.exportWorkers}),
        housekeeping(ctx.dataDir, logins) {}

  // The session of a call, checked for CSRF (changes) and the role; or the refusal.
  std::variant<auth::SessionInfo, net::Response> authorise(db::Connection& db, const Call& call,
                                                           Need need, bool changes) {
    if (call.token.empty()) return unauthenticated();
    auto s = auth::lookupSession(db, call.token, util::unixNow());
    if (!s) return unauthenticated();
    if (changes && !auth::csrfMatches(s->csrfToken, call.csrf)) return csrfRefused();
    if (auto action = actionFor(need); action && !auth::allowed(s->role, *action)) return forbidden();
    return *s;
  }

  // ---- handlers (database threads) ----

  net::Response sessionInfo(const auth::SessionInfo& s) {
    Json out = Json::object();
    out.set("user", s.user);
    out.set("role", std::string(auth::roleName(s.role)));
    out.set("csrf", s.csrfToken);
    return jsonResponse(200, out);
  }

  net::Response logoutNow(db::Connection& db, const Call& call) {
    auth::logout(db, call.token);
    net::Response r{204, kJson, "", {}};
    r.headers.emplace_back("Set-Cookie", auth::clearSessionCookie());
    return r;
  }

  net::Response history(db::Connection& db, const Call& call) {
    std::string unit, target, policyId;
    std::int64_t days = 90;
    if (auto r = unitParam(call.query, "unit", false, unit)) return *r;
    if (auto r = textParam(call.query, "target", 200, target)) return *r;
    if (auto r = textParam(call.query, "policy", 200, policyId)) return *r;
    if (auto r = numberParam(call.query, "days", 90, 1, 3660, days)) return *r;
    if (target.empty()) return badRequest("target", "bắt buộc", "required");
    if (auto slash = target.find('/'); slash != std::string::npos && policyId.empty()) {
      policyId = target.substr(0, slash);
      target = target.substr(slash + 1);
    }
    if (policyId.empty()) {
      auto policies = ctx.policies();
      for (const auto& p : *policies) {
        for (const auto& t : p.targets)
          if (t.id == target && policyId.empty()) policyId = p.id;
      }
      if (policyId.empty()) return badRequest("target", "không có chỉ tiêu này", "no such target");
    }
    std::int64_t today = util::vietnamDay(util::unixNow());
    Json points = Json::array();
    for (const auto& h : historyTrend(db, unit, policyId, target, today - days + 1, today)) {
      Json p = Json::object();
      p.set("day", util::formatDate(h.day));
      p.set("value", fraction(h.satisfied, h.total));
      p.set("passing", h.satisfied);
      p.set("total", h.total);
      p.set("threshold", h.threshold / 100.0);
      p.set("status", h.status);
      points.push(std::move(p));
    }
    Json out = Json::object();
    out.set("unit", nullable(unit));
    out.set("policy", policyId);
    out.set("target", target);
    out.set("points", std::move(points));
    return jsonResponse(200, out);
  }

  net::Response alerts(db::Connection& db, const Call& call) {
    AlertFilter f;
    std::int64_t limit = 50, offset = 0;
    if (auto r = unitParam(call.query, "unit", false, f.unitCode)) return *r;
    if (auto r = oneOf(call.query, "severity", {"low", "medium", "high", "critical"}, f.severity)) return *r;
    if (auto r = oneOf(call.query, "status", {"open", "acknowledged", "resolved", "active", "all"}, f.status)) return *r;
    if (auto r = textParam(call.query, "rule", 200, f.rulePrefix)) return *r;
    if (auto r = pageParams(call.query, 50, limit, offset)) return *r;
    if (auto r = numberParam(call.query, "after_id", 0, 0, 999999999, f.afterId)) return *r;
    if (auto r = numberParam(call.query, "before_id", 0, 0, 999999999, f.beforeId)) return *r;
    if (f.afterId && f.beforeId) return badRequest("before_id", "không dùng cùng after_id", "not with after_id");
    f.activeOnly = f.status.empty() || f.status == "active";
    if (f.status == "active" || f.status == "all") f.status.clear();
    f.limit = static_cast<std::size_t>(limit);
    f.offset = static_cast<std::size_t>(offset);
    // A unit means its whole subtree (a district's alerts include its communes').
    if (!f.unitCode.empty()) {
      auto sub = org::loadOrg(db).subtree(f.unitCode);
      if (sub.size() > 1) {
        f.unitCodes = std::move(sub);
        f.unitCode.clear();
      }
    }
    Json list = Json::array();
    for (const auto& a : listAlerts(db, f)) list.push(alertJson(a));
    Json out = Json::object();
    out.set("total", countAlerts(db, f));
    out.set("alerts", std::move(list));
    return jsonResponse(200, out);
  }

  static std::optional<std::int64_t> idSegment(const std::string& s) {
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return std::stoll(s);
  }

  net::Response alert(db::Connection& db, std::int64_t id) {
    auto a = findAlert(db, id);
    if (!a) return notFound("cảnh báo " + std::to_string(id) + " / alert " + std::to_string(id));
    return jsonResponse(200, alertWithEvents(db, *a));
  }

  net::Response act(db::Connection& db, const Call& call, const auth::SessionInfo& s,
                    std::int64_t id, const std::string& verb) {
    Json body;
    if (auto r = jsonBody(call, body, verb == "ack" || verb == "resolve")) return *r;
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
    if (!findAlert(db, id)) return notFound("cảnh báo " + std::to_string(id) + " / alert " + std::to_string(id));
    try {
      auto row = actOnAlert(db, id, action, s.user, text, util::unixNow());
      ++triageGeneration;  // open-alert counts of the overview
      return jsonResponse(200, alertWithEvents(db, row));
    } catch (const AlertError& e) {
      return apiError(409, "conflict", e.what(), e.what());
    }
  }

  net::Response bulk(db::Connection& db, const Call& call, const auth::SessionInfo& s) {
    Json body;
    if (auto r = jsonBody(call, body)) return *r;
    std::string verb, assignee;
    if (auto r = stringMember(body, "action", true, 16, verb)) return *r;
    if (verb != "ack" && verb != "resolve" && verb != "assign")
      return badRequest("action", "phải là ack, resolve hoặc assign", "must be ack, resolve or assign");
    if (auto r = stringMember(body, "assignee", verb == "assign", 64, assignee)) return *r;
    if (verb == "assign" && auth::checkUserName(assignee))
      return badRequest("assignee", "tên người dùng gồm a-z 0-9 . _ -", "a user name is a-z 0-9 . _ -");
    const Json* ids = body.find("ids");
    if (!ids || !ids->isArray() || ids->size() == 0 || ids->size() > static_cast<std::size_t>(kMaxLimit))
      return badRequest("ids", "cần 1-500 mã cảnh báo", "expected 1-500 alert ids");
    std::vector<std::int64_t> list;
    for (const auto& v : ids->items()) {
      std::int64_t id = 0;
      try {
        id = v.asInt();
      } catch (const JsonError&) {
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
        actOnAlert(db, id, action, s.user, verb == "assign" ? assignee : std::string(), now);
        ++updated;
      } catch (const AlertError&) {
        // unknown, or already in that state: skipped
      }
    }
    if (updated) ++triageGeneration;
    Json out = Json::object();
    out.set("updated", updated);
    return jsonResponse(200, out);
  }

  net::Response audit(db::Connection& db, const Call& call) {
    std::int64_t limit = 100;
    if (auto r = numberParam(call.query, "limit", 100, 1, kMaxLimit, limit)) return *r;
    Json list = Json::array();
    for (const auto& a : listAudit(db, "", static_cast<std::size_t>(limit))) {
      Json j = Json::object();
      j.set("id", a.id);
      j.set("at", a.at);
      j.set("actor", a.actor);
      j.set("action", a.action);
      j.set("object", a.object);
      j.set("before", nullable(a.before));
      j.set("after", nullable(a.after));
      list.push(std::move(j));
    }
    Json out = Json::object();
    out.set("entries", std::move(list));
    return jsonResponse(200, out);
  }

  // ---- the overview: built on the writer thread from the live model, then cached ----
  //
  // Building it means reading every unit's figures from the model and counting the open
  // alerts per unit (one indexed GROUP BY over the alerts), which with 100,000 endpoints
  // costs 130-200 ms of the writer thread. The result is kept until an alert is acted on
  // in the console, or the model or its alerts moved (the collector's generation counter)
  // and the result is over kOverviewMinAge old, or kOverviewMaxAge passes (changes made
  // with the CLI); every request in between is answered from it on the I/O thread.

  struct OverviewUnit {
    std::string parent;  // "" for a root
    Json brief;          // code, names, kind, parent, endpoints, stale, open_alerts
    Json targets;        // each target's figures over the unit's subtree
    Json layers;         // the four layers' verdicts with their evidence
  };
  struct OverviewSnapshot {
    std::pair<std::uint64_t, std::uint64_t> generation{0, 0};
    std::chrono::steady_clock::time_point builtAt;
    std::int64_t generatedAt = 0;
    std::map<std::string, OverviewUnit> units;
    std::map<std::string, std::vector<std::string>> children;  // sorted by code
    std::vector<std::string> roots;                            // sorted by code
    std::string treeJson;  // every unit's brief, in tree order (the UI's navigation)
  };
  static constexpr auto kOverviewMaxAge = std::chrono::seconds(30);
  // While reports stream in the model moves every few milliseconds: then the cached
  // overview is kept this long, so the writer builds it at most every 5 s. An alert
  // action in the console always makes it stale at once (the user expects to see it).
  static constexpr auto kOverviewMinAge = std::chrono::seconds(5);
  std::mutex overviewMutex;
  std::shared_ptr<const OverviewSnapshot> overviewCache;
  std::atomic<std::uint64_t> triageGeneration{0};

  std::pair<std::uint64_t, std::uint64_t> currentGeneration() const {
    return {ctx.generation ? ctx.generation() : 0, triageGeneration.load()};
  }

  // The cached overview when it is still current, else null.
  std::shared_ptr<const OverviewSnapshot> currentOverview() {
    std::lock_guard lock(overviewMutex);
    if (!overviewCache || !ctx.generation) return nullptr;
    auto age = std::chrono::steady_clock::now() - overviewCache->builtAt;
    auto generation = currentGeneration();
    if (age > kOverviewMaxAge) return nullptr;
    if (overviewCache->generation.second != generation.second) return nullptr;  // alert actions
    if (overviewCache->generation.first != generation.first && age > kOverviewMinAge) return nullptr;
    return overviewCache;
  }

  // Writer thread. Builds the snapshot unless another request did meanwhile.
  void buildOverview(db::Connection& db) {
    if (currentOverview()) return;
    auto generation = currentGeneration();  // read first: a later change makes it stale
    auto snap = std::make_shared<OverviewSnapshot>();
    snap->generation = generation;
    snap->builtAt = std::chrono::steady_clock::now();
    std::int64_t now = util::unixNow();
    std::int64_t today = util::vietnamDay(now);
    snap->generatedAt = now;
    auto org = std::make_shared<const org::OrgModel>(org::loadOrg(db));
    const FleetModel* model = ctx.model ? ctx.model() : nullptr;
    std::unique_ptr<FleetModel> own;
    if (!model) {
      ModelOptions options;
      options.staleAfterSeconds = ctx.staleAfterSeconds;
      options.org = org;
      own = std::make_unique<FleetModel>(ctx.policies(), options);
      own->rebuild(loadEndpoints(db), now);
      model = own.get();
    }

    // Every unit: the organization's tree and the units seen only in reports (roots).
    std::map<std::string, std::string> parents = org->parents();
    for (const auto& c : model->units()) parents.emplace(c, "");
    for (auto& [code, parent] : parents) {
      if (!parent.empty() && !parents.count(parent)) parent.clear();
    }
    for (const auto& [code, parent] : parents) {
      if (parent.empty()) snap->roots.push_back(code);
      else snap->children[parent].push_back(code);
    }

    // Open alerts: each unit's own, added to every ancestor (bounded: a cycle in a
    // hand-made tree cannot loop).
    std::map<std::string, std::int64_t> open;
    {
      auto a = db.prepare(
          "SELECT unit_code, count(*) FROM alerts WHERE status IN ('open', 'acknowledged') "
          "GROUP BY unit_code");
      while (a.step()) {
        std::string at = a.getText(0);
        std::int64_t n = a.getInt(1);
        for (std::size_t guard = 0; !at.empty() && guard <= parents.size(); ++guard) {
          open[at] += n;
          auto p = parents.find(at);
          at = p == parents.end() ? std::string() : p->second;
        }
      }
    }

    const auto& targets = model->targets();
    for (const auto& [code, parent] : parents) {
      const auto* u = org->findUnit(code);
      auto tally = model->tally(code);
      OverviewUnit ou;
      ou.parent = parent;
      ou.brief = Json::object();
      ou.brief.set("code", code);
      ou.brief.set("name", u ? u->nameVi : code);
      ou.brief.set("name_en", u ? u->nameEn : code);
      ou.brief.set("kind", u ? Json(std::string(org::unitKindName(u->kind))) : Json());
      ou.brief.set("parent", nullable(parent));
      ou.brief.set("endpoints", tally.endpoints);
      ou.brief.set("stale", tally.stale);
      auto o = open.find(code);
      ou.brief.set("open_alerts", o == open.end() ? 0 : o->second);
      ou.targets = Json::array();
      for (std::size_t t = 0; t < targets.size(); ++t) {
        auto ev = model->evaluate(t, code, today);
        Json tj = Json::object();
        tj.set("policy", targets[t].policy->id);
        tj.set("id", targets[t].target->id);
        tj.set("title_vi", targets[t].target->title.vi);
        tj.set("title_en", targets[t].target->title.en);
        tj.set("value", fraction(ev.satisfied, ev.total));
        tj.set("passing", ev.satisfied);
        tj.set("total", ev.total);
        tj.set("threshold", ev.inForce ? Json(ev.inForce->atLeastPercent / 100.0) : Json());
        tj.set("by", ev.inForce ? Json(util::formatDate(ev.inForce->byDay)) : Json());
        tj.set("status", statusKey(ev.status));
        ou.targets.push(std::move(tj));
      }
      auto l2 = model->layer2(code);
      ou.layers = Json::array();
      for (const auto& v : org::evaluateLayers(*org, code, today,
                                               {l2.satisfied, l2.total, ModelOptions{}.layer2RequiredPercent})) {
        Json lj = Json::object();
        lj.set("layer", v.layer);
        lj.set("pass", v.pass);
        lj.set("evidence_vi", v.evidenceVi);
        lj.set("evidence_en", v.evidenceEn);
        ou.layers.push(std::move(lj));
      }
      snap->units.emplace(code, std::move(ou));
    }

    // The navigation tree, depth-first from each root.
    Json tree = Json::array();
    std::set<std::string> seen;
    std::vector<std::string> stack(snap->roots.rbegin(), snap->roots.rend());
    while (!stack.empty()) {
      std::string code = std::move(stack.back());
      stack.pop_back();
      if (!seen.insert(code).second) continue;
      tree.push(snap->units.at(code).brief);
      auto c = snap->children.find(code);
      if (c != snap->children.end()) stack.insert(stack.end(), c->second.rbegin(), c->second.rend());
    }
    snap->treeJson = writeJson(tree, false);

    std::lock_guard lock(overviewMutex);
    overviewCache = std::move(snap);
  }

  // Any thread: the selected unit (or every root) with its children, and the tree.
  static net::Response renderOverview(const OverviewSnapshot& snap, const std::string& unit) {
    std::vector<std::string> show;
    auto withChildren = [&](const std::string& code) {
      show.push_back(code);
      auto c = snap.children.find(code);
      if (c != snap.children.end()) show.insert(show.end(), c->second.begin(), c->second.end());
    };
    if (unit.empty()) {
      for (const auto& r : snap.roots) withChildren(r);
    } else {
      if (!snap.units.count(unit)) return notFound("đơn vị " + unit + " / unit " + unit);
      withChildren(unit);
    }
    Json units = Json::array();
    for (const auto& code : show) {
      const auto& u = snap.units.at(code);
      Json j = u.brief;
      j.set("targets", u.targets);
      j.set("layers", u.layers);
      units.push(std::move(j));
    }
    std::string body = "{\"generated_at\":" + std::to_string(snap.generatedAt) +
                       ",\"unit\":" + writeJson(nullable(unit), false) +
                       ",\"units\":" + writeJson(units, false) + ",\"tree\":" + snap.treeJson + "}";
    return net::Response{200, kJson, std::move(body), {}};
  }

  boost::asio::awaitable<net::Response> onWriter(std::function<net::Response(db::Connection&)> work) {
    auto response = std::make_shared<net::Response>();
    Ingest::Job job = [response, work = std::move(work)](db::Connection& db) { *response = work(db); };
    auto pending = ctx.ingest->run(std::move(job));
    Ingest::JobOutcome outcome = co_await std::move(pending);
    if (outcome.error) {
      try {
        std::rethrow_exception(outcome.error);
      } catch (const std::exception& e) {
        log::error("console overview failed: ", e.what());
      }
      co_return apiError(500, "internal", "Lỗi máy chủ", "internal error");
    }
    co_return std::move(*response);
  }

  // ---- exports: the session and the cache on an API thread, the build on an export thread ----

  boost::asio::awaitable<net::Response> exportRoute(Call call, bool manifest) {
    auto request = std::make_shared<std::optional<ExportRequest>>();
    DbPool::Job prepare = [this, call, manifest, request](db::Connection& db) {
      auto auth = authorise(db, call, Need::Export, false);
      if (auto* refused = std::get_if<net::Response>(&auth)) return std::move(*refused);
      ExportRequest build;
      auto answer = exports.prepare(call.query, std::get<auth::SessionInfo>(auth).user, manifest,
                                    util::unixNow(), build);
      if (answer) return std::move(*answer);
      *request = std::move(build);
      return net::Response{};
    };
    auto prepared = onPool(apiPool, std::move(prepare));
    net::Response r = co_await std::move(prepared);
    if (!*request) co_return r;
    auto admitted = exports.admit((*request)->user);
    if (auto* refused = std::get_if<net::Response>(&admitted)) co_return std::move(*refused);
    // Given back by the job itself, before its answer goes out: copies of the job may live
    // on a little (the pool's, the coroutine's), and the user's next export must find the
    // place free.
    auto ticket = std::make_shared<std::optional<ExportGate::Ticket>>(
        std::move(std::get<ExportGate::Ticket>(admitted)));
    DbPool::Job build = [this, request, ticket](db::Connection& db) {
      struct GiveBack {
        std::optional<ExportGate::Ticket>& t;
        ~GiveBack() { t.reset(); }
      } giveBack{*ticket};  // also when the build throws
      return exports.build(db, **request, util::unixNow());
    };
    auto built = onPool(exportPool, std::move(build));
    net::Response done = co_await std::move(built);
    co_return done;
  }

  // ---- routing ----

  boost::asio::awaitable<net::Response> api(net::Request& request, const std::string& path,
                                            Query query) {
    Call call;
    call.method = request.message.method();
    call.path = path;
    call.query = std::move(query);
    call.body = request.message.body();
    call.token = auth::sessionTokenFromCookieHeader(request.message[http::field::cookie]);
    call.csrf = std::string(request.message["X-CSRF-Token"]);
    call.ip = net::remoteAddress(request.remote);
    call.userAgent = std::string(request.message[http::field::user_agent]);
    bool get = call.method == http::verb::get;
    bool post = call.method == http::verb::post;
    bool del = call.method == http::verb::delete_;
    bool put = call.method == http::verb::put;

    // A browser names the page a state-changing request comes from: it must be this
    // console (a second line of defence after the CSRF token; the login has no token).
    if (!get) {
      if (auto r = requireSameOrigin(request)) co_return *r;
    }
    if (path == "/api/v1/session" && post) {
      auto pending = postSession(request, loginPool, logins);
      net::Response r = co_await std::move(pending);
      co_return r;
    }
    if ((path == "/api/v1/export" || path == "/api/v1/export/manifest") && get) {
      auto pending = exportRoute(std::move(call), path.ends_with("/manifest"));
      net::Response r = co_await std::move(pending);
      co_return r;
    }

    // Which handler, what it needs, whether it changes anything.
    using Handler = std::function<net::Response(db::Connection&, const Call&, const auth::SessionInfo&)>;
    Handler handler;
    Need need = Need::Read;
    bool changes = false;
    bool writer = false;
    std::vector<std::string> seg;
    {
      std::string_view rest = std::string_view(path).substr(std::string_view("/api/v1/").size());
      while (true) {
        auto slash = rest.find('/');
        seg.emplace_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) break;
        rest = rest.substr(slash + 1);
      }
    }
    if (seg.size() == 1 && seg[0] == "session" && (get || del)) {
      need = Need::AnySession;
      changes = del;
      if (get) handler = [this](db::Connection&, const Call&, const auth::SessionInfo& s) { return sessionInfo(s); };
      else handler = [this](db::Connection& db, const Call& c, const auth::SessionInfo&) { return logoutNow(db, c); };
    } else if (seg.size() == 1 && seg[0] == "overview" && get) {
      writer = true;
    } else if (seg.size() == 1 && seg[0] == "history" && get) {
      handler = [this](db::Connection& db, const Call& c, const auth::SessionInfo&) { return history(db, c); };
    } else if (seg.size() == 1 && seg[0] == "alerts" && get) {
      handler = [this](db::Connection& db, const Call& c, const auth::SessionInfo&) { return alerts(db, c); };
    } else if (seg.size() == 2 && seg[0] == "alerts" && seg[1] == "bulk" && post) {
      need = Need::AlertTriage;
      changes = true;
      handler = [this](db::Connection& db, const Call& c, const auth::SessionInfo& s) { return bulk(db, c, s); };
    } else if (seg.size() == 2 && seg[0] == "alerts" && get && idSegment(seg[1])) {
      std::int64_t id = *idSegment(seg[1]);
      handler = [this, id](db::Connection& db, const Call&, const auth::SessionInfo&) { return alert(db, id); };
    } else if (seg.size() == 3 && seg[0] == "alerts" && post && idSegment(seg[1]) &&
               (seg[2] == "ack" || seg[2] == "resolve" || seg[2] == "comment" || seg[2] == "assign")) {
      std::int64_t id = *idSegment(seg[1]);
      std::string verb = seg[2];
      need = Need::AlertTriage;
      changes = true;
      handler = [this, id, verb](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
        return act(db, c, s, id, verb);
      };
    } else if (seg.size() == 1 && seg[0] == "endpoints" && get) {
      handler = [this](db::Connection& db, const Call& c, const auth::SessionInfo&) {
        return listEndpoints(db, c.query, ctx.staleAfterSeconds);
      };
    } else if (seg.size() == 2 && seg[0] == "endpoints" && get) {
      std::string agentId = seg[1];
      handler = [this, agentId](db::Connection& db, const Call&, const auth::SessionInfo&) {
        return endpointDetail(db, agentId, *ctx.policies(), ctx.staleAfterSeconds);
      };
    } else if (seg.size() == 1 && seg[0] == "audit" && get) {
      need = Need::AuditRead;
      handler = [this](db::Connection& db, const Call& c, const auth::SessionInfo&) { return audit(db, c); };
    } else if (seg.size() == 1 && seg[0] == "layers" && get) {
      handler = [](db::Connection& db, const Call&, const auth::SessionInfo&) { return listLayers(db); };
    } else if (seg.size() == 3 && seg[0] == "layers" && put) {
      std::string unit = seg[1], layer = seg[2];
      need = Need::OrgEdit;
      changes = true;
      handler = [unit, layer](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
        Json body;
        if (auto r = jsonBody(c, body)) return *r;
        return putLayerRecord(db, unit, layer, body, s.user);
      };
    } else if (seg.size() == 1 && seg[0] == "systems" && get) {
      handler = [](db::Connection& db, const Call&, const auth::SessionInfo&) { return listSystems(db); };
    } else if (seg.size() == 2 && seg[0] == "systems" && (put || del)) {
      std::string code = seg[1];
      need = Need::OrgEdit;
      changes = true;
      if (put) {
        handler = [code](db::Connection& db, const Call& c, const auth::SessionInfo& s) {
          Json body;
          if (auto r = jsonBody(c, body)) return *r;
          return putInfoSystem(db, code, body, s.user);
        };
      } else {
        handler = [code](db::Connection& db, const Call&, const auth::SessionInfo& s) {
          return deleteInfoSystem(db, code, s.user);
        };
      }
    } else if (seg.size() == 3 && seg[0] == "endpoints" && seg[2] == "history" && get) {
      std::string agentId = seg[1];
      handler = [this, agentId](db::Connection& db, const Call& c, const auth::SessionInfo&) {
        auto policies = ctx.policies();
        return endpointHistory(db, agentId, c.query, *policies);
      };
    } else {
      bool known = seg.size() >= 1 && (seg[0] == "session" || seg[0] == "overview" || seg[0] == "history" ||
                                       seg[0] == "alerts" || seg[0] == "endpoints" || seg[0] == "audit" ||
                                       seg[0] == "export" || seg[0] == "layers" || seg[0] == "systems");
      if (known && seg.size() <= 3) {
        co_return apiError(405, "method_not_allowed", "Phương thức không được hỗ trợ ở đây",
                           "method not allowed here");
      }
      co_return notFound(path);
    }

    std::string onlyUnit;
    if (writer) {
      if (auto r = unitParam(call.query, "unit", false, onlyUnit)) co_return *r;
      handler = [](db::Connection&, const Call&, const auth::SessionInfo&) {
        return net::Response{200, kJson, "", {}};
      };
    }
    std::function<net::Response(db::Connection&)> job = [this, call, need, changes,
                                                          handler](db::Connection& db) {
      auto auth = authorise(db, call, need, changes);
      if (auto* refused = std::get_if<net::Response>(&auth)) return std::move(*refused);
      return handler(db, call, std::get<auth::SessionInfo>(auth));
    };
    auto pending = onPool(apiPool, std::move(job));
    net::Response r = co_await std::move(pending);
    if (!writer || r.status != 200) co_return r;
    auto snap = currentOverview();
    if (!snap) {
      std::function<net::Response(db::Connection&)> work = [this](db::Connection& db) {
        buildOverview(db);
        return net::Response{200, kJson, "", {}};
      };
      auto built = onWriter(std::move(work));
      net::Response b = co_await std::move(built);
      if (b.status != 200) co_return b;
      std::lock_guard lock(overviewMutex);
      snap = overviewCache;
    }
    if (!snap) co_return apiError(500, "internal", "Lỗi máy chủ", "internal error");
    co_return renderOverview(*snap, onlyUnit);
  }

};

void addSecurityHeaders(net::Response& r, bool api) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                         "script-src 'self'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
  if (api) r.headers.emplace_back("Cache-Control", "no-store");
}

std::string_view contentTypeFor(std::string_view name) {
  auto dot = name.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json") return "application/json; charset=utf-8";
  if (ext == "yaml" || ext == "yml") return "application/yaml; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

ConsoleApi::ConsoleApi(ConsoleContext context) : impl_(std::make_unique<Impl>(std::move(context))) {}

ConsoleApi::~ConsoleApi() { stop(); }

void ConsoleApi::stop() {
  impl_->apiPool.stop();
  impl_->loginPool.stop();
  impl_->exportPool.stop();
  impl_->housekeeping.stop();  // after the logins: its last pass writes every open count
}

namespace {
std::optional<net::Response> staticFile(std::string_view name) {
  for (const auto& f : embeddedFiles()) {
    if (f.name == name) {
      return net::Response{200, std::string(contentTypeFor(name)), std::string(f.bytes), {}};
    }
  }
  return std::nullopt;
}
}  // namespace

boost::asio::awaitable<net::Response> ConsoleApi::handle(net::Request& request) {
  std::string target(request.message.target());
  auto qmark = target.find('?');
  std::string path = target.substr(0, qmark);
  Query query;
  bool api = path.starts_with("/api/");
  net::Response response;
  bool get = request.message.method() == http::verb::get;
  if (!parseQuery(qmark == std::string::npos ? std::string_view{} : std::string_view(target).substr(qmark + 1),
                  query)) {
    response = badRequest("query", "mã hoá phần trăm sai", "bad percent-encoding");
  } else if (path == "/api/v1/openapi.yaml" && get) {
    response = *staticFile("openapi.yaml");
  } else if (api) {
    if (path.starts_with("/api/v1/")) {
      auto op = impl_->api(request, path, std::move(query));
      response = co_await std::move(op);
    } else {
      response = notFound(path);
    }
  } else if (!get) {
    response = net::Response{405, "text/plain; charset=utf-8", "method not allowed\n", {}};
  } else if (path == "/" || path == "/index.html") {
    auto f = staticFile("index.html");
    response = f ? *f : net::Response{404, "text/plain; charset=utf-8", "not found\n", {}};
  } else if (path.starts_with("/assets/") && path.size() > 8 &&
             path.find('/', 8) == std::string::npos && path.substr(8) != "openapi.yaml") {
    auto f = staticFile(std::string_view(path).substr(8));
    response = f ? *f : net::Response{404, "text/plain; charset=utf-8", "not found\n", {}};
  } else if (path == "/healthz") {
    response = net::Response{200, "text/plain; charset=utf-8", "ok\n", {}};
  } else {
    response = net::Response{404, "text/plain; charset=utf-8", "not found\n", {}};
  }
  addSecurityHeaders(response, api);
  co_return response;
}

}  // namespace posture::collector::console
