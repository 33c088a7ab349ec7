#include "collector/console/endpoints_api.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "collector/console/federation_api.h"
#include "collector/evaluation/endpoint.h"
#include "collector/evaluation/stale.h"
#include "collector/federation/readers.h"
#include "collector/org/org.h"
#include "collector/storage/console_queries.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"

namespace posture::collector::console {

namespace {

util::Json endpointJson(const EndpointRow& row, std::int64_t now, std::int64_t staleAfterSeconds) {
  util::Json e = util::Json::object();
  e.set("agent_id", row.agentId);
  e.set("hostname", row.hostname);
  e.set("unit", row.unitCode);
  e.set("source", nullable(row.source));
  bool stale = row.lastSeen < now - staleAfterSeconds;
  std::int64_t failing = row.openAlerts;
  std::string os = row.os;
  if (row.source.empty()) {
    posture::v1::Report report;
    if (report.ParseFromString(row.reportBody)) {
      os = report.identity().os_name();
      if (!report.identity().os_version().empty()) os += " " + report.identity().os_version();
    }
  } else {
    // A child's row raises no alert here (triage stays in the district): its failing
    // checks as the district evaluated them.
    stale = stale || row.pushedStale;
    failing = 0;
    for (const auto& c : federation::decodeChecks(row.checksBlob)) failing += c.result == policy::Tri::False;
  }
  e.set("os", os);
  e.set("last_seen", row.lastSeen);
  e.set("stale", stale);
  e.set("failing", failing);
  return e;
}

Refusal cursorParam(db::Connection& db, const Query& q, const std::string& name,
                    std::optional<EndpointCursor>& out) {
  auto it = q.find(name + "_id");
  if (it == q.end() || it->second.empty()) return std::nullopt;
  if (!isAgentId(it->second)) {
    return badRequest(name + "_id", "cần mã thiết bị (agent_id) của một dòng trong danh sách",
                      "expected the agent_id of a row of the list");
  }
  std::string source;
  if (auto r = sourceParam(q, name + "_source", source)) return r;
  auto place = findListPlace(db, it->second, source);
  if (!place) {
    return badRequest(name + "_id", "không có thiết bị " + it->second, "no endpoint " + it->second);
  }
  out = EndpointCursor{place->unitCode, place->hostname, it->second, place->source};
  return std::nullopt;
}

}  // namespace

net::Response listEndpoints(db::Connection& db, const Query& query,
                            std::int64_t staleAfterSeconds) {
  std::string unit, q;
  std::int64_t limit = 50, offset = 0;
  std::optional<EndpointCursor> after, before;
  if (auto r = unitParam(query, "unit", false, unit)) return *r;
  if (auto r = textParam(query, "q", 100, q)) return *r;
  if (auto r = pageParams(query, 50, limit, offset)) return *r;
  if (auto r = cursorParam(db, query, "after", after)) return *r;
  if (auto r = cursorParam(db, query, "before", before)) return *r;
  if (after && before)
    return badRequest("before_id", "không dùng cùng after_id", "not with after_id");
  EndpointListFilter filter;
  filter.search = q;
  if (!unit.empty()) filter.units = org::loadOrg(db).subtree(unit);
  std::int64_t total = countEndpoints(db, filter);
  std::int64_t now = util::unixNow();
  util::Json list = util::Json::array();
  for (const auto& row : endpointPage(db, filter, limit, offset, after, before, kStaleRule))
    list.push(endpointJson(row, now, staleAfterSeconds));
  util::Json out = util::Json::object();
  out.set("total", total);
  out.set("endpoints", std::move(list));
  return jsonResponse(200, out);
}

net::Response endpointDetail(db::Connection& db, const std::string& agentId,
                             const std::vector<policy::Policy>& policies,
                             std::int64_t staleAfterSeconds, const Query& query) {
  if (!isAgentId(agentId)) return notFound("thiết bị / endpoint");
  std::string source;
  if (auto r = sourceParam(query, "source", source)) return *r;
  std::int64_t now = util::unixNow();
  auto row = source.empty() ? findEndpointRow(db, agentId, kStaleRule) : std::nullopt;
  if (!row) {
    // A row a child collector pushed: its facts and checks as pushed, read-only here.
    auto pushed = federation::findFederatedEndpoint(db, agentId, source);
    if (!pushed) return notFound("thiết bị " + agentId + " / endpoint " + agentId);
    return federatedEndpointDetail(*pushed, policies, now, staleAfterSeconds);
  }
  util::Json e = endpointJson(*row, now, staleAfterSeconds);
  const std::string& body = row->reportBody;
  std::vector<std::string> chain = {row->unitCode};
  for (auto& a : org::loadOrg(db).ancestors(row->unitCode)) chain.push_back(std::move(a));
  auto ev = evaluateReport(body, policies, now, &chain);
  util::Json checks = util::Json::array();
  util::Json report;
  {
    for (std::size_t p = 0; p < policies.size() && p < ev.checks.size(); ++p) {
      const auto& pol = policies[p];
      for (std::size_t c = 0; c < pol.checks.size() && c < ev.checks[p].size(); ++c) {
        const auto& check = pol.checks[c];
        util::Json j = checkJson(pol, check);
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
          report = util::parseJson(text);
        } catch (const util::JsonError&) {
        }
      }
    }
  }
  util::Json out = util::Json::object();
  out.set("endpoint", std::move(e));
  out.set("report", std::move(report));
  out.set("checks", std::move(checks));
  return jsonResponse(200, out);
}

}  // namespace posture::collector::console
