#include "collector/federation/readers.h"

#include "common/util/json.h"

namespace posture::collector::federation {

LinkState linkState(const ChildLink& link, std::int64_t now) {
  if (link.revokedAt) return LinkState::Revoked;
  if (!link.lastPushAt) return LinkState::Waiting;
  if (!link.healthy(now)) return LinkState::Stale;
  if (!link.complete()) return LinkState::Incomplete;
  return LinkState::Healthy;
}

std::string_view linkStateName(LinkState state) {
  switch (state) {
    case LinkState::Revoked:
      return "revoked";
    case LinkState::Waiting:
      return "waiting";
    case LinkState::Stale:
      return "stale";
    case LinkState::Incomplete:
      return "incomplete";
    case LinkState::Healthy:
      return "healthy";
  }
  return "stale";
}

std::map<std::string, std::int64_t> endpointCountsByChild(db::Connection& db) {
  std::map<std::string, std::int64_t> out;
  auto st = db.prepare("SELECT child_id, count(*) FROM federated_endpoints GROUP BY child_id");
  while (st.step()) out[st.getText(0)] = st.getInt(1);
  return out;
}

std::map<std::string, std::string> federatedSystemOwners(db::Connection& db) {
  std::map<std::string, std::string> out;
  auto st = db.prepare("SELECT code, child_id FROM federated_systems");
  while (st.step()) out[st.getText(0)] = st.getText(1);
  return out;
}

std::vector<FederatedCheck> decodeChecks(std::string_view blob) {
  std::vector<FederatedCheck> out;
  v1::FederatedEndpoint checks;
  if (!checks.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) return out;
  for (const auto& c : checks.checks()) {
    policy::Tri t = c.result() == v1::CHECK_RESULT_MET       ? policy::Tri::True
                    : c.result() == v1::CHECK_RESULT_NOT_MET ? policy::Tri::False
                                                             : policy::Tri::Unknown;
    out.push_back({c.policy_id(), c.check_id(), t});
  }
  return out;
}

std::optional<FederatedEndpointRow> findFederatedEndpoint(db::Connection& db,
                                                          const std::string& agentId,
                                                          const std::string& childId) {
  // The primary key is (child_id, agent_id): without a child, the first child holding the
  // agent (an agent id is a UUID, so in practice there is one).
  auto st = db.prepare(std::string("SELECT ") + kFederatedRowColumns +
                       " FROM federated_endpoints e JOIN federation_children c ON c.child_id = "
                       "e.child_id WHERE e.agent_id = ?1 AND (?2 = '' OR e.child_id = ?2) "
                       "ORDER BY e.child_id LIMIT 1");
  st.bind(1, agentId).bind(2, childId);
  if (!st.step()) return std::nullopt;
  return readFederatedRow(st);
}

FederatedEndpointRow readFederatedRow(db::Statement& st) {
  FederatedEndpointRow r;
  r.childId = st.getText(0);
  r.mountUnit = st.getText(1);
  r.agentId = st.getText(2);
  r.unitCode = st.getText(3);
  r.hostname = st.getText(4);
  r.os = st.getText(5);
  // Written by applyPush from checked messages; a damaged blob reads as no facts. The
  // facts as pushed (no ageing: the blob carries no facts_at; the row's is factsAt).
  r.facts = policy::factsFromFederated(st.getBlob(6), 0, 0);
  r.checks = decodeChecks(st.getBlob(7));
  r.factsAt = st.getInt(8);
  r.lastSeen = st.getInt(9);
  r.stale = st.getInt(10) != 0;
  return r;
}

namespace {

// ?1: '' for every unit, ?2: the units as a JSON array, ?3: child, ?4: severity, ?5: rule
// prefix (compared with substr, so '%' and '_' are not wildcards).
constexpr const char* kAlertFilter =
    "WHERE (?1 = '' OR unit_code IN (SELECT value FROM json_each(?2))) "
    "AND (?3 = '' OR child_id = ?3) AND (?4 = '' OR severity = ?4) "
    "AND (?5 = '' OR substr(rule, 1, length(?5)) = ?5) ";

void bindAlertFilter(db::Statement& st, const FederatedAlertFilter& f) {
  util::Json units = util::Json::array();
  if (f.units) {
    for (const auto& u : *f.units) units.push(u);
  }
  st.bind(1, f.units ? "subtree" : "")
      .bind(2, util::writeJson(units, false))
      .bind(3, f.childId)
      .bind(4, f.severity)
      .bind(5, f.rulePrefix);
}

}  // namespace

FederatedAlertTotals countFederatedAlerts(db::Connection& db, const FederatedAlertFilter& filter) {
  auto st = db.prepare(std::string("SELECT count(*), coalesce(sum(open), 0), "
                                   "coalesce(sum(acknowledged), 0) FROM federated_alert_counts ") +
                       kAlertFilter);
  bindAlertFilter(st, filter);
  FederatedAlertTotals t;
  if (st.step()) {
    t.rows = st.getInt(0);
    t.open = st.getInt(1);
    t.acknowledged = st.getInt(2);
  }
  return t;
}

std::vector<FederatedAlertCountRow> federatedAlertCounts(db::Connection& db,
                                                         const FederatedAlertFilter& filter,
                                                         std::int64_t limit, std::int64_t offset) {
  auto st =
      db.prepare(std::string("SELECT child_id, unit_code, rule, severity, open, acknowledged "
                             "FROM federated_alert_counts ") +
                 kAlertFilter + "ORDER BY child_id, unit_code, rule, severity LIMIT ?6 OFFSET ?7");
  bindAlertFilter(st, filter);
  st.bind(6, limit).bind(7, offset);
  std::vector<FederatedAlertCountRow> out;
  while (st.step()) {
    out.push_back(
        {st.getText(0), st.getText(1), st.getText(2), st.getText(3), st.getInt(4), st.getInt(5)});
  }
  return out;
}

}  // namespace posture::collector::federation
