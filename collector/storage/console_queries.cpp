#include "collector/storage/console_queries.h"

#include <variant>

#include "common/util/json.h"

namespace posture::collector {

namespace {

using Arg = std::variant<std::int64_t, std::string>;

// The statement's parameters in the order the SQL text names them: each filter is added
// only when set, so that SQLite sees plain column constraints it can answer from an index
// (a "?x = '' OR ..." guard would hide them from the planner).
struct Args {
  std::vector<Arg> values;
  std::string add(Arg v) {
    values.push_back(std::move(v));
    return "?" + std::to_string(values.size());
  }
  void bindAll(db::Statement& st) const {
    for (std::size_t i = 0; i < values.size(); ++i) {
      int n = static_cast<int>(i + 1);
      if (const auto* x = std::get_if<std::int64_t>(&values[i])) st.bind(n, *x);
      else st.bind(n, std::get<std::string>(values[i]));
    }
  }
};

// Past every string with that prefix: U+10FFFF is the last code point.
std::string prefixEnd(const std::string& prefix) { return prefix + "\xF4\x8F\xBF\xBF"; }

std::string lowerAscii(std::string s) {  // as SQLite's lower(): ASCII only
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// The filter of one side of the list (alias e: endpoints, f: federated_endpoints).
std::string filterOf(const char* alias, const EndpointListFilter& filter, Args& args) {
  const std::string x(alias);
  const bool local = x == "e";
  std::string w = "1 ";
  if (filter.units) {
    util::Json units = util::Json::array();
    for (const auto& u : *filter.units) units.push(u);
    w += "AND " + x + ".unit_code IN (SELECT value FROM json_each(" + args.add(util::writeJson(units, false)) + ")) ";
  }
  if (!filter.search.empty()) {
    std::string q = lowerAscii(filter.search);
    if (filter.substring) {
      std::string p = args.add(q);
      w += "AND (instr(" + x + ".hostname_lc, " + p + ") > 0 OR instr(" + x + ".agent_id, " + p + ") > 0) ";
    } else {
      std::string lo = args.add(q), hi = args.add(prefixEnd(q));
      w += "AND ((" + x + ".hostname_lc >= " + lo + " AND " + x + ".hostname_lc < " + hi + ") OR (" + x +
           ".agent_id >= " + lo + " AND " + x + ".agent_id < " + hi + ")) ";
    }
  }
  if (!filter.os.empty()) {
    w += "AND " + x + ".os >= " + args.add(filter.os) + " AND " + x + ".os < " + args.add(prefixEnd(filter.os)) + " ";
  }
  if (!filter.rule.empty()) {
    if (!local) {
      w += "AND 0 ";  // a child's row raises no alert here
    } else {
      w += "AND e.agent_id IN (SELECT substr(a.subject, 10) FROM alerts a WHERE a.rule = " + args.add(filter.rule) +
           " AND a.status IN ('open', 'acknowledged') AND a.subject LIKE 'endpoint:%') ";
    }
  }
  if (filter.stale) {
    std::string before = args.add(filter.staleBefore);
    std::string stale = local ? "e.last_seen < " + before : "(f.stale <> 0 OR f.last_seen < " + before + ")";
    w += *filter.stale ? "AND " + stale + " " : "AND NOT " + stale + " ";
  }
  return w;
}

const std::vector<SortColumn> kSortColumns = {
    {"unit", "", "", true, false},
    {"hostname", "e.hostname_lc", "f.hostname_lc", true, false},
    {"last_seen", "e.last_seen", "f.last_seen", false, false},
    {"os", "e.os", "f.os", true, false},
    {"av_product", "e.av_product", "''", true, false},
    {"real_time", "e.av_real_time", "-1", false, false},
    {"signature_age", "e.av_signature_at", "0", false, true},
    {"pending", "e.patch_pending", "-1", false, false},
    {"security", "e.patch_security", "-1", false, false},
    {"reboot", "e.reboot_required", "-1", false, false},
    {"ipv6", "e.ipv6_level", "-1", false, false},
    {"firewall", "e.firewall_on", "-1", false, false},
};

// Every row of the list has these columns, whichever side it comes from; ?1 is the rule
// left out of the open-alert count, ?2 whether to read the report body.
constexpr const char* kRowColumns =
    "SELECT page.agent_id, page.unit_code, page.hostname, page.src, "
    "coalesce(e.last_seen, f.last_seen), CASE WHEN ?2 THEN r.body END, "
    "CASE WHEN page.src = '' THEN (SELECT count(*) FROM alerts a "
    "WHERE a.subject = 'endpoint:' || page.agent_id "
    "AND a.status IN ('open', 'acknowledged') AND a.rule <> ?1) ELSE 0 END, "
    "coalesce(e.last_sequence, 0), coalesce(e.collected_at, f.facts_at), coalesce(f.os, ''), "
    "coalesce(f.stale, 0), f.checks, page.k, coalesce(e.os, ''), coalesce(e.av_product, ''), "
    "coalesce(e.av_installed, -1), coalesce(e.av_real_time, -1), coalesce(e.av_signature_at, 0), "
    "coalesce(e.patch_pending, -1), coalesce(e.patch_security, -1), coalesce(e.reboot_required, -1), "
    "coalesce(e.ipv6_level, -1), coalesce(e.firewall_on, -1) ";
// Each row of `page` (src, agent_id, unit_code, hostname, k) with its own side's columns.
constexpr const char* kRowJoins =
    "LEFT JOIN endpoints e ON page.src = '' AND e.agent_id = page.agent_id "
    "LEFT JOIN reports r ON r.id = e.report_id "
    "LEFT JOIN federated_endpoints f ON page.src <> '' AND f.child_id = page.src "
    "AND f.agent_id = page.agent_id ";

EndpointRow rowOf(db::Statement& st, bool textKey) {
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
  if (st.isNull(12)) r.key = std::monostate{};
  else if (textKey) r.key = st.getText(12);
  else r.key = st.getInt(12);
  auto& p = r.posture;
  p.os = st.getText(13);
  p.avProduct = st.getText(14);
  p.avInstalled = static_cast<int>(st.getInt(15));
  p.avRealTime = static_cast<int>(st.getInt(16));
  p.avSignatureAt = st.getInt(17);
  p.patchPending = st.getInt(18);
  p.patchSecurity = st.getInt(19);
  p.rebootRequired = static_cast<int>(st.getInt(20));
  p.ipv6Level = static_cast<int>(st.getInt(21));
  p.firewallOn = static_cast<int>(st.getInt(22));
  return r;
}

std::string tuple(const std::vector<std::string>& xs) {
  std::string out = "(";
  for (std::size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + xs[i];
  return out + ")";
}

Arg argOf(const SortKey& k) {
  if (const auto* i = std::get_if<std::int64_t>(&k)) return *i;
  if (const auto* s = std::get_if<std::string>(&k)) return *s;
  return std::string();
}

}  // namespace

const std::vector<SortColumn>& sortColumns() { return kSortColumns; }

const SortColumn* findSortColumn(std::string_view name) {
  for (const auto& c : kSortColumns)
    if (c.name == name) return &c;
  return nullptr;
}

std::int64_t countEndpoints(db::Connection& db, const EndpointListFilter& filter) {
  Args args;
  if (!filter.rule.empty() && filter.search.empty() && filter.os.empty() && !filter.stale) {
    // "Failing rule R" alone (or within units): the alert groups of R already count their
    // active members (alert_groups, kept by triggers), one per endpoint, so the count reads
    // a few group rows instead of one key lookup per failing endpoint (16,000 of them in
    // the bench). A group's unit is the unit its endpoint had when the alert opened.
    std::string w = "rule = " + args.add(filter.rule);
    if (filter.units) {
      util::Json units = util::Json::array();
      for (const auto& u : *filter.units) units.push(u);
      w += " AND unit_code IN (SELECT value FROM json_each(" + args.add(util::writeJson(units, false)) + "))";
    }
    auto st = db.prepare("SELECT coalesce(sum(open + acknowledged), 0) FROM alert_groups WHERE " + w);
    args.bindAll(st);
    return st.step() ? st.getInt(0) : 0;
  }
  std::string local = filterOf("e", filter, args);
  std::string children = filterOf("f", filter, args);
  auto st = db.prepare("SELECT (SELECT count(*) FROM endpoints e WHERE " + local +
                       ") + (SELECT count(*) FROM federated_endpoints f WHERE " + children + ")");
  args.bindAll(st);
  return st.step() ? st.getInt(0) : 0;
}

std::vector<EndpointRow> endpointPage(db::Connection& db, const EndpointListFilter& filter,
                                      const EndpointSort& sort, std::int64_t limit,
                                      std::int64_t offset,
                                      const std::optional<EndpointCursor>& after,
                                      const std::optional<EndpointCursor>& before,
                                      const std::string& excludedRule, bool withReports) {
  // The page's keys first, from an index (each sort column has one with agent_id), merged
  // with the children's rows in the same order; only those rows then fetch their report,
  // alert count or pushed columns. A cursor is a range on the index: this collector's
  // source '' sorts before a child's with the same key and agent id. Without children's
  // rows (a district) the merge is left out: its sort of the source column would cost
  // every page a temporary B-tree (offset 10,000: 5 -> 11 ms).
  bool children = false;
  {
    auto any = db.prepare("SELECT EXISTS (SELECT 1 FROM federated_endpoints)");
    children = any.step() && any.getInt(0) != 0;
  }
  const SortColumn* col = sort.column && sort.column->name != "unit" ? sort.column : nullptr;
  // The stored column's direction: an age sorts its time the other way round.
  const bool desc = sort.descending != (col && col->inverted);
  Args args;
  args.add(excludedRule);                  // ?1
  args.add(std::int64_t{withReports});     // ?2
  std::vector<std::string> localKey, childKey;
  if (col) {
    localKey = {std::string(col->local), "e.agent_id"};
    childKey = {std::string(col->federated), "f.agent_id", "f.child_id"};
  } else {
    localKey = {"e.unit_code", "e.hostname", "e.agent_id"};
    childKey = {"f.unit_code", "f.hostname", "f.agent_id", "f.child_id"};
  }
  std::string localWhere = filterOf("e", filter, args), childWhere = filterOf("f", filter, args);
  const auto& cursor = after ? after : before;
  // Moving up the stored order (after, ascending; before, descending) or down it.
  const bool up = before ? desc : !desc;
  if (cursor) {
    std::vector<std::string> c;
    if (col) {
      c = {args.add(argOf(cursor->key))};
    } else {
      c = {args.add(cursor->unitCode), args.add(cursor->hostname)};
    }
    std::string cid = args.add(cursor->agentId), csrc = args.add(cursor->source);
    c.push_back(cid);
    std::vector<std::string> cc = c;
    cc.push_back(csrc);
    if (up) {
      localWhere += "AND " + tuple(localKey) + " > " + tuple(c) + " ";
      childWhere += "AND " + tuple(childKey) + " > " + tuple(cc) + " ";
    } else {
      // A row of this collector equal on the key and agent id precedes a child's row.
      localWhere += "AND " + tuple(localKey) + " <= " + tuple(c) + " AND NOT (e.agent_id = " + cid +
                    " AND " + csrc + " = '') ";
      childWhere += "AND " + tuple(childKey) + " < " + tuple(cc) + " ";
    }
  }
  const std::string dir = up ? "" : " DESC";
  // The default order reads endpoints_order, which also covers the unit filter; a prefix
  // search reads hostname_lc's index and sorts the few rows it finds.
  std::string hint = !col && filter.search.empty() ? "INDEXED BY endpoints_order " : "";
  std::string keys = "SELECT '', e.agent_id, e.unit_code, e.hostname, " +
                     std::string(col ? col->local : "NULL") + " FROM endpoints e " + hint + "WHERE " + localWhere;
  std::string order = col ? "5" + dir + ", 2" + dir : "3" + dir + ", 4" + dir + ", 2" + dir;
  if (children) {
    keys += "UNION ALL SELECT f.child_id, f.agent_id, f.unit_code, f.hostname, " +
            std::string(col ? col->federated : "NULL") + " FROM federated_endpoints f WHERE " + childWhere;
    order += ", 1" + dir;
  }
  std::string limits = "LIMIT " + args.add(limit) + " OFFSET " + args.add(offset);
  const std::string listDir = desc ? " DESC" : "";
  std::string finalOrder = col ? "page.k" + listDir + ", page.agent_id" + listDir + ", page.src" + listDir
                               : "page.unit_code" + listDir + ", page.hostname" + listDir + ", page.agent_id" +
                                     listDir + ", page.src" + listDir;
  auto st = db.prepare("WITH page(src, agent_id, unit_code, hostname, k) AS (" + keys + "ORDER BY " + order + " " +
                       limits + ") " + kRowColumns + "FROM page " + kRowJoins + "ORDER BY " + finalOrder);
  args.bindAll(st);
  std::vector<EndpointRow> out;
  while (st.step()) out.push_back(rowOf(st, col && col->text));
  return out;
}

std::optional<SortKey> sortKeyOf(db::Connection& db, const SortColumn& column,
                                 const std::string& agentId, const std::string& source) {
  if (column.name == "unit") return SortKey{};
  auto st = source.empty()
                ? db.prepare("SELECT " + std::string(column.local) + " FROM endpoints e WHERE e.agent_id = ?1")
                : db.prepare("SELECT " + std::string(column.federated) +
                             " FROM federated_endpoints f WHERE f.agent_id = ?1 AND f.child_id = ?2");
  st.bind(1, agentId);
  if (!source.empty()) st.bind(2, source);
  if (!st.step()) return std::nullopt;
  if (st.isNull(0)) return SortKey{};
  if (column.text) return SortKey{st.getText(0)};
  return SortKey{st.getInt(0)};
}

std::optional<EndpointRow> findEndpointRow(db::Connection& db, const std::string& agentId,
                                           const std::string& excludedRule) {
  auto st = db.prepare(
      std::string("WITH page(src, agent_id, unit_code, hostname, k) AS ("
                  "SELECT '', agent_id, unit_code, hostname, NULL FROM endpoints WHERE agent_id = ?3) ") +
      kRowColumns + "FROM page " + kRowJoins);
  st.bind(1, excludedRule).bind(2, 1).bind(3, agentId);
  if (!st.step()) return std::nullopt;
  return rowOf(st, false);
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
