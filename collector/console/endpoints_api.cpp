#include "collector/console/endpoints_api.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "collector/evaluation/endpoint.h"
#include "collector/org/org.h"
#include "collector/storage/console_queries.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"

namespace posture::collector::console {

namespace {

constexpr const char* kStaleRule = "posture/endpoint-stale";

// Columns: agent_id, unit_code, hostname, last_seen, report body, open alerts, last
// sequence, collected_at.
Json endpointRow(db::Statement& st, std::int64_t now, std::int64_t staleAfterSeconds,
                 std::string* body = nullptr) {
  Json e = Json::object();
  e.set("agent_id", st.getText(0));
  e.set("hostname", st.getText(2));
  e.set("unit", st.getText(1));
  posture::v1::Report report;
  std::string bytes = st.getBlob(4);
  std::string os;
  if (report.ParseFromString(bytes)) {
    os = report.identity().os_name();
    if (!report.identity().os_version().empty()) os += " " + report.identity().os_version();
  }
  e.set("os", os);
  e.set("last_seen", st.getInt(3));
  e.set("stale", st.getInt(3) < now - staleAfterSeconds);
  e.set("failing", st.getInt(5));
  if (body) *body = std::move(bytes);
  return e;
}

constexpr const char* kEndpointColumns =
    "SELECT e.agent_id, e.unit_code, e.hostname, e.last_seen, r.body, "
    "(SELECT count(*) FROM alerts a WHERE a.subject = 'endpoint:' || e.agent_id "
    "AND a.status IN ('open', 'acknowledged') AND a.rule <> ?1), "
    "e.last_sequence, e.collected_at ";

// The keyset cursor: the named endpoint's place in the list's order.
struct Cursor {
  std::string unit, hostname, agentId;
};

Refusal cursorParam(db::Connection& db, const Query& q, const std::string& name,
                    std::optional<Cursor>& out) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  if (!isAgentId(it->second)) {
    return badRequest(name, "cần mã thiết bị (agent_id) của một dòng trong danh sách",
                      "expected the agent_id of a row of the list");
  }
  auto place = findEndpointPlace(db, it->second);
  if (!place) {
    return badRequest(name, "không có thiết bị " + it->second, "no endpoint " + it->second);
  }
  out = Cursor{place->unitCode, place->hostname, it->second};
  return std::nullopt;
}

}  // namespace

net::Response listEndpoints(db::Connection& db, const Query& query,
                            std::int64_t staleAfterSeconds) {
  std::string unit, q;
  std::int64_t limit = 50, offset = 0;
  std::optional<Cursor> after, before;
  if (auto r = unitParam(query, "unit", false, unit)) return *r;
  if (auto r = textParam(query, "q", 100, q)) return *r;
  if (auto r = pageParams(query, 50, limit, offset)) return *r;
  if (auto r = cursorParam(db, query, "after_id", after)) return *r;
  if (auto r = cursorParam(db, query, "before_id", before)) return *r;
  if (after && before)
    return badRequest("before_id", "không dùng cùng after_id", "not with after_id");
  Json units = Json::array();
  if (!unit.empty()) {
    auto org = org::loadOrg(db);
    for (const auto& u : org.subtree(unit)) units.push(u);
  }
  std::string unitsJson = writeJson(units, false);
  const std::string where =
      "WHERE (?2 = '' OR e.unit_code IN (SELECT value FROM json_each(?3))) "
      "AND (?4 = '' OR instr(lower(e.hostname), lower(?4)) > 0 OR instr(e.agent_id, lower(?4)) > "
      "0) ";
  auto count = db.prepare("SELECT count(*) FROM endpoints e " + where + "AND ?1 = ?1");
  count.bind(1, kStaleRule).bind(2, unit).bind(3, unitsJson).bind(4, q);
  std::int64_t total = count.step() ? count.getInt(0) : 0;
  // The page's agents first, from the order index alone (endpoints_order covers every
  // column the filter reads); only those rows then fetch their report and alert count. A
  // cursor is a range on that index: before_id reads backwards from it.
  std::string keyset, order = "ORDER BY e.unit_code, e.hostname, e.agent_id";
  if (after) keyset = "AND (e.unit_code, e.hostname, e.agent_id) > (?7, ?8, ?9) ";
  if (before) {
    keyset = "AND (e.unit_code, e.hostname, e.agent_id) < (?7, ?8, ?9) ";
    order = "ORDER BY e.unit_code DESC, e.hostname DESC, e.agent_id DESC";
  }
  auto st = db.prepare(
      std::string(kEndpointColumns) +
      "FROM (SELECT e.agent_id FROM endpoints e INDEXED BY endpoints_order " + where + keyset +
      order +
      " LIMIT ?5 OFFSET ?6) page "
      "JOIN endpoints e ON e.agent_id = page.agent_id JOIN reports r ON r.id = e.report_id "
      "ORDER BY e.unit_code, e.hostname, e.agent_id");
  st.bind(1, kStaleRule).bind(2, unit).bind(3, unitsJson).bind(4, q).bind(5, limit).bind(6, offset);
  if (const auto& c = after ? after : before)
    st.bind(7, c->unit).bind(8, c->hostname).bind(9, c->agentId);
  std::int64_t now = util::unixNow();
  Json list = Json::array();
  while (st.step()) list.push(endpointRow(st, now, staleAfterSeconds));
  Json out = Json::object();
  out.set("total", total);
  out.set("endpoints", std::move(list));
  return jsonResponse(200, out);
}

net::Response endpointDetail(db::Connection& db, const std::string& agentId,
                             const std::vector<policy::Policy>& policies,
                             std::int64_t staleAfterSeconds) {
  if (!isAgentId(agentId)) return notFound("thiết bị / endpoint");
  auto st =
      db.prepare(std::string(kEndpointColumns) +
                 "FROM endpoints e JOIN reports r ON r.id = e.report_id WHERE e.agent_id = ?2");
  st.bind(1, kStaleRule).bind(2, agentId);
  if (!st.step()) return notFound("thiết bị " + agentId + " / endpoint " + agentId);
  std::int64_t now = util::unixNow();
  std::string body;
  Json e = endpointRow(st, now, staleAfterSeconds, &body);
  auto ev = evaluateReport(body, policies, now);
  Json checks = Json::array();
  Json report;
  {
    for (std::size_t p = 0; p < policies.size() && p < ev.checks.size(); ++p) {
      const auto& pol = policies[p];
      for (std::size_t c = 0; c < pol.checks.size() && c < ev.checks[p].size(); ++c) {
        const auto& check = pol.checks[c];
        Json j = checkJson(pol, check);
        j.set("result", std::string(resultKey(ev.checks[p][c])));
        j.set("remediation_vi", check.remediation.vi);
        j.set("remediation_en", check.remediation.en);
        checks.push(std::move(j));
      }
    }
    if (ev.decoded) {
      std::string text;
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      if (google::protobuf::util::MessageToJsonString(ev.report, &text, options).ok()) {
        try {
          report = parseJson(text);
        } catch (const JsonError&) {
        }
      }
    }
  }
  Json out = Json::object();
  out.set("endpoint", std::move(e));
  out.set("report", std::move(report));
  out.set("checks", std::move(checks));
  return jsonResponse(200, out);
}

}  // namespace posture::collector::console
