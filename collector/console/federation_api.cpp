#include "collector/console/federation_api.h"

#include <string_view>

#include "collector/federation/readers.h"
#include "collector/org/org.h"
#include "collector/policy/facts.h"

namespace posture::collector::console {
namespace {

const policy::Policy* findPolicy(const std::vector<policy::Policy>& policies, std::string_view id) {
  for (const auto& p : policies) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const policy::Check* findCheck(const policy::Policy& p, std::string_view id) {
  for (const auto& c : p.checks) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

// The title of an alert rule ("POLICY/CHECK" or "POLICY/TARGET") in this collector's own
// policies; nullptr when it names none of them.
const policy::LocalizedText* ruleTitle(const std::vector<policy::Policy>& policies,
                                       std::string_view rule) {
  auto slash = rule.find('/');
  if (slash == std::string_view::npos) return nullptr;
  const auto* p = findPolicy(policies, rule.substr(0, slash));
  if (!p) return nullptr;
  auto id = rule.substr(slash + 1);
  if (const auto* c = findCheck(*p, id)) return &c->title;
  for (const auto& t : p->targets) {
    if (t.id == id) return &t.title;
  }
  return nullptr;
}

}  // namespace

net::Response federationChildren(db::Connection& db, std::int64_t now) {
  auto org = org::loadOrg(db);
  auto counts = federation::endpointCountsByChild(db);
  util::Json list = util::Json::array();
  for (const auto& c : federation::children(db)) {
    util::Json j = util::Json::object();
    j.set("child_id", c.childId);
    j.set("mount_unit", c.mountUnit);
    const auto* mount = org.findUnit(c.mountUnit);
    j.set("mount_name_vi", mount ? util::Json(mount->nameVi) : util::Json());
    j.set("mount_name_en", mount ? util::Json(mount->nameEn) : util::Json());
    j.set("state", std::string(federation::linkStateName(federation::linkState(c, now))));
    j.set("healthy", c.healthy(now));
    j.set("snapshot_complete", c.complete());
    j.set("last_push_at", c.lastPushAt ? util::Json(*c.lastPushAt) : util::Json());
    j.set("interval_seconds", static_cast<std::int64_t>(c.intervalSeconds));
    j.set("stale_after_seconds", 3 * static_cast<std::int64_t>(c.intervalSeconds));
    j.set("epoch", static_cast<std::int64_t>(c.epoch));
    j.set("last_sequence", static_cast<std::int64_t>(c.lastSequence));
    j.set("snapshot_through", static_cast<std::int64_t>(c.snapshotThrough));
    j.set("detail", nullable(c.detail));
    j.set("revoked_at", c.revokedAt ? util::Json(*c.revokedAt) : util::Json());
    auto n = counts.find(c.childId);
    j.set("endpoints", n == counts.end() ? std::int64_t{0} : n->second);
    list.push(std::move(j));
  }
  util::Json out = util::Json::object();
  out.set("now", now);
  out.set("children", std::move(list));
  // This collector's own link up (serve --upstream), as its last round left it: layer 4's
  // telemetry (org/links.h). null on the top of a hierarchy.
  util::Json uplink;
  if (const auto& u = org.links.uplink) {
    uplink = util::Json::object();
    uplink.set("upstream", u->upstream);
    uplink.set("identity", u->identity);
    uplink.set("mount_unit", u->mountUnit);
    uplink.set("interval_seconds", u->intervalSeconds);
    uplink.set("last_ack_at", u->lastAckAt ? util::Json(*u->lastAckAt) : util::Json());
    uplink.set("last_attempt_at", u->lastAttemptAt);
    uplink.set("last_error", nullable(u->lastError));
    uplink.set("state", u->healthy(now) ? "healthy" : u->lastAckAt ? "stale" : "waiting");
  }
  out.set("uplink", std::move(uplink));
  return jsonResponse(200, out);
}

net::Response federationAlerts(db::Connection& db, const Query& query,
                               const std::vector<policy::Policy>& policies) {
  federation::FederatedAlertFilter f;
  std::string unit;
  std::int64_t limit = 50, offset = 0;
  if (auto r = unitParam(query, "unit", false, unit)) return *r;
  if (auto r = sourceParam(query, "child", f.childId)) return *r;
  if (auto r = oneOf(query, "severity", {"low", "medium", "high", "critical"}, f.severity))
    return *r;
  if (auto r = textParam(query, "rule", 200, f.rulePrefix)) return *r;
  if (auto r = pageParams(query, 50, limit, offset)) return *r;
  if (!unit.empty()) f.units = org::loadOrg(db).subtree(unit);
  auto totals = federation::countFederatedAlerts(db, f);
  util::Json list = util::Json::array();
  for (const auto& row : federation::federatedAlertCounts(db, f, limit, offset)) {
    util::Json j = util::Json::object();
    j.set("child_id", row.childId);
    j.set("unit", row.unitCode);
    j.set("rule", row.rule);
    j.set("severity", row.severity);
    j.set("open", row.open);
    j.set("acknowledged", row.acknowledged);
    const auto* title = ruleTitle(policies, row.rule);
    j.set("title_vi", title ? util::Json(title->vi) : util::Json());
    j.set("title_en", title ? util::Json(title->en) : util::Json());
    list.push(std::move(j));
  }
  util::Json out = util::Json::object();
  out.set("children", static_cast<std::int64_t>(federation::children(db).size()));
  out.set("total", totals.rows);
  out.set("open", totals.open);
  out.set("acknowledged", totals.acknowledged);
  out.set("counts", std::move(list));
  return jsonResponse(200, out);
}

net::Response federatedEndpointDetail(const federation::FederatedEndpointRow& row,
                                      const std::vector<policy::Policy>& policies, std::int64_t now,
                                      std::int64_t staleAfterSeconds) {
  std::int64_t failing = 0;
  util::Json checks = util::Json::array();
  for (const auto& c : row.checks) {
    failing += c.result == policy::Tri::False;
    const auto* p = findPolicy(policies, c.policyId);
    const auto* check = p ? findCheck(*p, c.checkId) : nullptr;
    util::Json j = check ? checkJson(*p, *check) : util::Json::object();
    if (!check) {
      // A check of the district's own plans that this collector does not hold.
      j.set("policy", c.policyId);
      j.set("id", c.checkId);
      j.set("title_vi", util::Json());
      j.set("title_en", util::Json());
      j.set("severity", util::Json());
    }
    j.set("result", std::string(resultKey(c.result)));
    j.set("remediation_vi", check ? util::Json(check->remediation.vi) : util::Json());
    j.set("remediation_en", check ? util::Json(check->remediation.en) : util::Json());
    checks.push(std::move(j));
  }
  util::Json facts = util::Json::array();
  for (const auto& [name, value] : row.facts.values()) {
    util::Json f = util::Json::object();
    f.set("name", name);
    const auto* info = policy::findFact(name);
    f.set("title_vi", info ? std::string(info->vi) : name);
    f.set("title_en", info ? std::string(info->en) : name);
    f.set("value_vi", policy::formatFact(value, true));
    f.set("value_en", policy::formatFact(value, false));
    f.set("known", !std::holds_alternative<std::monostate>(value));
    facts.push(std::move(f));
  }
  util::Json e = util::Json::object();
  e.set("agent_id", row.agentId);
  e.set("hostname", row.hostname);
  e.set("unit", row.unitCode);
  e.set("source", row.childId);
  e.set("os", row.os);
  e.set("last_seen", row.lastSeen);
  e.set("stale", row.stale || row.lastSeen < now - staleAfterSeconds);
  e.set("failing", failing);
  util::Json from = util::Json::object();
  from.set("child_id", row.childId);
  from.set("mount_unit", row.mountUnit);
  from.set("facts_at", row.factsAt);
  from.set("pushed_stale", row.stale);
  util::Json out = util::Json::object();
  out.set("endpoint", std::move(e));
  out.set("federated", std::move(from));
  out.set("report", util::Json());
  out.set("facts", std::move(facts));
  out.set("checks", std::move(checks));
  return jsonResponse(200, out);
}

}  // namespace posture::collector::console
