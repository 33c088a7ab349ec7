#include "collector/storage/console_queries.h"

#include "common/util/json.h"

namespace posture::collector {

namespace {

// The filter of one side of the list (alias e: endpoints, f: federated_endpoints). ?2: ''
// for every unit, ?3: the units as a JSON array, ?4: the search text.
std::string filterOf(const char* a) {
  std::string x(a);
  return "(?2 = '' OR " + x + ".unit_code IN (SELECT value FROM json_each(?3))) " +
         "AND (?4 = '' OR instr(lower(" + x + ".hostname), lower(?4)) > 0 OR instr(" + x +
         ".agent_id, lower(?4)) > 0) ";
}

void bindFilter(db::Statement& st, const EndpointListFilter& filter) {
  util::Json units = util::Json::array();
  if (filter.units) {
    for (const auto& u : *filter.units) units.push(u);
  }
  st.bind(2, filter.units ? "subtree" : "")
      .bind(3, util::writeJson(units, false))
      .bind(4, filter.search);
}

// Every row of the list has these columns, whichever side it comes from; ?1 is the rule
// left out of the open-alert count.
constexpr const char* kRowColumns =
    "SELECT page.agent_id, page.unit_code, page.hostname, page.src, "
    "coalesce(e.last_seen, f.last_seen), r.body, "
    "CASE WHEN page.src = '' THEN (SELECT count(*) FROM alerts a "
    "WHERE a.subject = 'endpoint:' || page.agent_id "
    "AND a.status IN ('open', 'acknowledged') AND a.rule <> ?1) ELSE 0 END, "
    "coalesce(e.last_sequence, 0), coalesce(e.collected_at, f.facts_at), coalesce(f.os, ''), "
    "coalesce(f.stale, 0), f.checks ";
// Each row of `page` (src, agent_id, unit_code, hostname) with its own side's columns.
constexpr const char* kRowJoins =
    "LEFT JOIN endpoints e ON page.src = '' AND e.agent_id = page.agent_id "
    "LEFT JOIN reports r ON r.id = e.report_id "
    "LEFT JOIN federated_endpoints f ON page.src <> '' AND f.child_id = page.src "
    "AND f.agent_id = page.agent_id ";

EndpointRow rowOf(db::Statement& st) {
  EndpointRow r;
  r.agentId = st.getText(0);
  r.unitCode = st.getText(1);
  r.hostname = st.getText(2);
  r.source = st.getText(3);
  r.lastSeen = st.getInt(4);
  if (!st.isNull(5)) r.reportBody = st.getBlob(5);
  r.openAlerts = st.getInt(6);
  r.lastSequence = st.getInt(7);
  r.collectedAt = st.getInt(8);
  r.os = st.getText(9);
  r.pushedStale = st.getInt(10) != 0;
  if (!st.isNull(11)) r.checksBlob = st.getBlob(11);
  return r;
}

}  // namespace

std::int64_t countEndpoints(db::Connection& db, const EndpointListFilter& filter) {
  auto st =
      db.prepare("SELECT (SELECT count(*) FROM endpoints e WHERE " + filterOf("e") +
                 ") + (SELECT count(*) FROM federated_endpoints f WHERE " + filterOf("f") + ")");
  bindFilter(st, filter);
  return st.step() ? st.getInt(0) : 0;
}

std::vector<EndpointRow> endpointPage(db::Connection& db, const EndpointListFilter& filter,
                                      std::int64_t limit, std::int64_t offset,
                                      const std::optional<EndpointCursor>& after,
                                      const std::optional<EndpointCursor>& before,
                                      const std::string& excludedRule) {
  // The page's keys first: this collector's from the order index alone (endpoints_order
  // covers every column the filter reads), merged with the children's rows in one order
  // (unit, host name, agent id, source); only those rows then fetch their report, alert
  // count or pushed columns. A cursor is a range: this collector's source '' sorts first,
  // so its side needs only (unit, host name, agent id), still a range on the index.
  // Without children's rows (a district) the merge is left out: its sort of the source
  // column would cost every page a temporary B-tree (offset 10,000: 5 -> 11 ms).
  bool children = false;
  {
    auto any = db.prepare("SELECT EXISTS (SELECT 1 FROM federated_endpoints)");
    children = any.step() && any.getInt(0) != 0;
  }
  std::string localKeys, childKeys, dir;
  if (after) {
    localKeys = "AND (e.unit_code, e.hostname, e.agent_id) > (?7, ?8, ?9) ";
    childKeys = "AND (f.unit_code, f.hostname, f.agent_id, f.child_id) > (?7, ?8, ?9, ?10) ";
  }
  if (before) {
    // A row of this collector equal on the first three precedes a child's cursor row.
    localKeys =
        "AND (e.unit_code, e.hostname, e.agent_id) <= (?7, ?8, ?9) "
        "AND NOT (e.agent_id = ?9 AND ?10 = '') ";
    childKeys = "AND (f.unit_code, f.hostname, f.agent_id, f.child_id) < (?7, ?8, ?9, ?10) ";
    dir = " DESC";
  }
  std::string keys =
      "SELECT '', e.agent_id, e.unit_code, e.hostname FROM endpoints e INDEXED BY endpoints_order "
      "WHERE " +
      filterOf("e") + localKeys;
  if (children) {
    keys +=
        "UNION ALL SELECT f.child_id, f.agent_id, f.unit_code, f.hostname "
        "FROM federated_endpoints f WHERE " +
        filterOf("f") + childKeys + "ORDER BY 3" + dir + ", 4" + dir + ", 2" + dir + ", 1" + dir;
  } else {
    keys += "ORDER BY 3" + dir + ", 4" + dir + ", 2" + dir;
  }
  auto st = db.prepare("WITH page(src, agent_id, unit_code, hostname) AS (" + keys +
                       " LIMIT ?5 OFFSET ?6) " + kRowColumns + "FROM page " + kRowJoins +
                       "ORDER BY page.unit_code, page.hostname, page.agent_id, page.src");
  st.bind(1, excludedRule);
  bindFilter(st, filter);
  st.bind(5, limit).bind(6, offset);
  if (const auto& c = after ? after : before) {
    st.bind(7, c->unitCode).bind(8, c->hostname).bind(9, c->agentId);
    if (children || before) st.bind(10, c->source);  // only where the SQL names ?10
  }
  std::vector<EndpointRow> out;
  while (st.step()) out.push_back(rowOf(st));
  return out;
}

std::optional<EndpointRow> findEndpointRow(db::Connection& db, const std::string& agentId,
                                           const std::string& excludedRule) {
  auto st = db.prepare(
      std::string("WITH page(src, agent_id, unit_code, hostname) AS ("
                  "SELECT '', agent_id, unit_code, hostname FROM endpoints WHERE agent_id = ?2) ") +
      kRowColumns + "FROM page " + kRowJoins);
  st.bind(1, excludedRule).bind(2, agentId);
  if (!st.step()) return std::nullopt;
  return rowOf(st);
}

std::optional<EndpointPlace> findEndpointPlace(db::Connection& db, const std::string& agentId) {
  auto st = db.prepare("SELECT unit_code, hostname FROM endpoints WHERE agent_id = ?");
  st.bind(1, agentId);
  if (!st.step()) return std::nullopt;
  return EndpointPlace{st.getText(0), st.getText(1), ""};
}

std::optional<EndpointPlace> findListPlace(db::Connection& db, const std::string& agentId,
                                           const std::string& source) {
  if (source.empty()) {
    if (auto local = findEndpointPlace(db, agentId)) return local;
  }
  auto st = db.prepare(
      "SELECT unit_code, hostname, child_id FROM federated_endpoints "
      "WHERE agent_id = ?1 AND (?2 = '' OR child_id = ?2) ORDER BY child_id LIMIT 1");
  st.bind(1, agentId).bind(2, source);
  if (!st.step()) return std::nullopt;
  return EndpointPlace{st.getText(0), st.getText(1), st.getText(2)};
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
