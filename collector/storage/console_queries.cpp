#include "collector/storage/console_queries.h"

#include "common/util/json.h"

namespace posture::collector {

namespace {

constexpr const char* kEndpointColumns =
    "SELECT e.agent_id, e.unit_code, e.hostname, e.last_seen, r.body, "
    "(SELECT count(*) FROM alerts a WHERE a.subject = 'endpoint:' || e.agent_id "
    "AND a.status IN ('open', 'acknowledged') AND a.rule <> ?1), "
    "e.last_sequence, e.collected_at ";

// ?2: '' for every unit, ?3: the units as a JSON array, ?4: the search text.
constexpr const char* kEndpointFilter =
    "WHERE (?2 = '' OR e.unit_code IN (SELECT value FROM json_each(?3))) "
    "AND (?4 = '' OR instr(lower(e.hostname), lower(?4)) > 0 OR instr(e.agent_id, lower(?4)) > "
    "0) ";

void bindFilter(db::Statement& st, const EndpointListFilter& filter) {
  util::Json units = util::Json::array();
  if (filter.units) {
    for (const auto& u : *filter.units) units.push(u);
  }
  st.bind(2, filter.units ? "subtree" : "")
      .bind(3, util::writeJson(units, false))
      .bind(4, filter.search);
}

EndpointRow rowOf(db::Statement& st) {
  EndpointRow r;
  r.agentId = st.getText(0);
  r.unitCode = st.getText(1);
  r.hostname = st.getText(2);
  r.lastSeen = st.getInt(3);
  r.reportBody = st.getBlob(4);
  r.openAlerts = st.getInt(5);
  r.lastSequence = st.getInt(6);
  r.collectedAt = st.getInt(7);
  return r;
}

}  // namespace

std::int64_t countEndpoints(db::Connection& db, const EndpointListFilter& filter) {
  auto st = db.prepare(std::string("SELECT count(*) FROM endpoints e ") + kEndpointFilter +
                       "AND ?1 = ?1");
  st.bind(1, "");
  bindFilter(st, filter);
  return st.step() ? st.getInt(0) : 0;
}

std::vector<EndpointRow> endpointPage(db::Connection& db, const EndpointListFilter& filter,
                                      std::int64_t limit, std::int64_t offset,
                                      const std::optional<EndpointCursor>& after,
                                      const std::optional<EndpointCursor>& before,
                                      const std::string& excludedRule) {
  // The page's agents first, from the order index alone (endpoints_order covers every
  // column the filter reads); only those rows then fetch their report and alert count. A
  // cursor is a range on that index: before reads backwards from it.
  std::string keyset, order = "ORDER BY e.unit_code, e.hostname, e.agent_id";
  if (after) keyset = "AND (e.unit_code, e.hostname, e.agent_id) > (?7, ?8, ?9) ";
  if (before) {
    keyset = "AND (e.unit_code, e.hostname, e.agent_id) < (?7, ?8, ?9) ";
    order = "ORDER BY e.unit_code DESC, e.hostname DESC, e.agent_id DESC";
  }
  auto st = db.prepare(std::string(kEndpointColumns) +
                       "FROM (SELECT e.agent_id FROM endpoints e INDEXED BY endpoints_order " +
                       kEndpointFilter + keyset + order +
                       " LIMIT ?5 OFFSET ?6) page "
                       "JOIN endpoints e ON e.agent_id = page.agent_id "
                       "JOIN reports r ON r.id = e.report_id "
                       "ORDER BY e.unit_code, e.hostname, e.agent_id");
  st.bind(1, excludedRule);
  bindFilter(st, filter);
  st.bind(5, limit).bind(6, offset);
  if (const auto& c = after ? after : before)
    st.bind(7, c->unitCode).bind(8, c->hostname).bind(9, c->agentId);
  std::vector<EndpointRow> out;
  while (st.step()) out.push_back(rowOf(st));
  return out;
}

std::optional<EndpointRow> findEndpointRow(db::Connection& db, const std::string& agentId,
                                           const std::string& excludedRule) {
  auto st = db.prepare(std::string(kEndpointColumns) +
                       "FROM endpoints e JOIN reports r ON r.id = e.report_id "
                       "WHERE e.agent_id = ?2");
  st.bind(1, excludedRule).bind(2, agentId);
  if (!st.step()) return std::nullopt;
  return rowOf(st);
}

std::optional<EndpointPlace> findEndpointPlace(db::Connection& db, const std::string& agentId) {
  auto st = db.prepare("SELECT unit_code, hostname FROM endpoints WHERE agent_id = ?");
  st.bind(1, agentId);
  if (!st.step()) return std::nullopt;
  return EndpointPlace{st.getText(0), st.getText(1)};
}

std::int64_t countReports(db::Connection& db, const std::string& agentId) {
  auto st = db.prepare("SELECT count(*) FROM reports WHERE agent_id = ?");
  st.bind(1, agentId);
  return st.step() ? st.getInt(0) : 0;
}

std::vector<std::pair<std::string, std::int64_t>> openAlertCountsByUnit(db::Connection& db) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  auto st = db.prepare(
      "SELECT unit_code, count(*) FROM alerts WHERE status IN ('open', 'acknowledged') "
      "GROUP BY unit_code");
  while (st.step()) out.emplace_back(st.getText(0), st.getInt(1));
  return out;
}

}  // namespace posture::collector
