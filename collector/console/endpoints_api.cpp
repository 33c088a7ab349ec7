#include "collector/console/endpoints_api.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "collector/console/federation_api.h"
#include "collector/evaluation/endpoint.h"
#include "collector/evaluation/stale.h"
#include "collector/export/csv.h"
#include "collector/export/export.h"
#include "collector/federation/readers.h"
#include "collector/org/org.h"
#include "collector/storage/console_queries.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"

namespace posture::collector::console {

namespace {

constexpr std::int64_t kDay = 86400;

util::Json tri(int v) { return v < 0 ? util::Json() : util::Json(v != 0); }
util::Json count(std::int64_t v) { return v < 0 ? util::Json() : util::Json(v); }
// Days since the signature update at `now`, one decimal; null when unknown.
util::Json signatureAge(std::int64_t at, std::int64_t now) {
  if (at <= 0) return util::Json();
  return util::Json(static_cast<double>(std::max<std::int64_t>(0, now - at) * 10 / kDay) / 10.0);
}

// At a glance: ok / warn / bad / unknown per column. Display thresholds only (the policies
// decide compliance): signatures 7 / 15 days (duc-co's 7, the 2290 report's 15), IPv6
// level 2 (what the shipped policies require).
const char* triBadge(int v, const char* whenOff) { return v < 0 ? "unknown" : v ? "ok" : whenOff; }
util::Json badges(const EndpointPosture& p, std::int64_t now) {
  util::Json b = util::Json::object();
  b.set("av", triBadge(p.avInstalled, "bad"));
  b.set("real_time", triBadge(p.avRealTime, "bad"));
  std::int64_t age = p.avSignatureAt > 0 ? now - p.avSignatureAt : -1;
  b.set("signature", age < 0 ? "unknown" : age <= 7 * kDay ? "ok" : age <= 15 * kDay ? "warn" : "bad");
  b.set("pending", p.patchPending < 0 ? "unknown" : p.patchPending == 0 ? "ok" : "warn");
  b.set("security", p.patchSecurity < 0 ? "unknown" : p.patchSecurity == 0 ? "ok" : "bad");
  b.set("reboot", p.rebootRequired < 0 ? "unknown" : p.rebootRequired ? "warn" : "ok");
  b.set("ipv6", p.ipv6Level < 0 ? "unknown" : p.ipv6Level >= 2 ? "ok" : p.ipv6Level == 1 ? "warn" : "bad");
  b.set("firewall", triBadge(p.firewallOn, "bad"));
  return b;
}

// The opaque cursor of a row: [sort, key, agent id, source] as JSON text.
std::string cursorToken(const EndpointSort& sort, const EndpointRow& row) {
  util::Json t = util::Json::array();
  t.push(std::string(sort.column ? sort.column->name : "unit"));
  if (const auto* i = std::get_if<std::int64_t>(&row.key)) t.push(*i);
  else if (const auto* s = std::get_if<std::string>(&row.key)) t.push(*s);
  else {
    util::Json k = util::Json::array();
    k.push(row.unitCode);
    k.push(row.hostname);
    t.push(std::move(k));
  }
  t.push(row.agentId);
  t.push(row.source);
  return util::writeJson(t, false);
}

util::Json endpointJson(const EndpointRow& row, std::int64_t now, std::int64_t staleAfterSeconds) {
  util::Json e = util::Json::object();
  e.set("agent_id", row.agentId);
  e.set("hostname", row.hostname);
  e.set("unit", row.unitCode);
  e.set("source", nullable(row.source));
  bool stale = row.lastSeen < now - staleAfterSeconds;
  std::int64_t failing = row.openAlerts;
  std::string os = row.source.empty() ? row.posture.os : row.os;
  if (row.source.empty() && !row.reportBody.empty()) {
    posture::v1::Report report;
    if (report.ParseFromString(row.reportBody)) {
      os = report.identity().os_name();
      if (!report.identity().os_version().empty()) os += " " + report.identity().os_version();
    }
  } else if (!row.source.empty()) {
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
  // Posture at a glance (issue 17): a child's row shows unknown (its posture is not kept
  // in columns here; its page shows the facts it pushed).
  const auto& p = row.posture;
  util::Json posture = util::Json::object();
  posture.set("av_product", nullable(p.avProduct));
  posture.set("av_installed", tri(p.avInstalled));
  posture.set("real_time", tri(p.avRealTime));
  posture.set("signature_age_days", signatureAge(p.avSignatureAt, now));
  posture.set("pending", count(p.patchPending));
  posture.set("security", count(p.patchSecurity));
  posture.set("reboot", tri(p.rebootRequired));
  posture.set("ipv6", count(p.ipv6Level));
  posture.set("firewall", tri(p.firewallOn));
  e.set("posture", std::move(posture));
  e.set("badges", badges(p, now));
  return e;
}

Refusal cursorParam(db::Connection& db, const Query& q, const std::string& name, const EndpointSort& sort,
                    std::optional<EndpointCursor>& out) {
  const std::string sortName(sort.column ? sort.column->name : "unit");
  if (auto it = q.find(name); it != q.end() && !it->second.empty()) {
    // The token of a row (its `cursor`): the sort it was made for, its key, agent, source.
    const auto bad = [&] {
      return badRequest(name, "cần `cursor` của một dòng trong danh sách với cùng cách sắp xếp",
                        "expected the `cursor` of a row of the list under the same sort");
    };
    util::Json t;
    try {
      t = util::parseJson(it->second);
    } catch (const util::JsonError&) {
      return bad();
    }
    if (!t.isArray() || t.size() != 4 || !t.items()[0].isString() || t.items()[0].asString() != sortName ||
        !t.items()[2].isString() || !t.items()[3].isString() || !isAgentId(t.items()[2].asString()))
      return bad();
    EndpointCursor c;
    c.agentId = t.items()[2].asString();
    c.source = t.items()[3].asString();
    const util::Json& k = t.items()[1];
    const bool text = sort.column && sort.column->text;
    if (!sort.column || sort.column->name == "unit") {
      if (!k.isArray() || k.size() != 2 || !k.items()[0].isString() || !k.items()[1].isString()) return bad();
      c.unitCode = k.items()[0].asString();
      c.hostname = k.items()[1].asString();
    } else if (text && k.isString()) {
      c.key = k.asString();
    } else if (!text && k.isNumber()) {
      try {
        c.key = k.asInt();
      } catch (const util::JsonError&) {
        return bad();
      }
    } else {
      return bad();
    }
    out = std::move(c);
    return std::nullopt;
  }
  // The agent id of a row (and its source): its place read from the database.
  auto it = q.find(name + "_id");
  if (it == q.end() || it->second.empty()) return std::nullopt;
  if (!isAgentId(it->second)) {
    return badRequest(name + "_id", "cần mã thiết bị (agent_id) của một dòng trong danh sách",
                      "expected the agent_id of a row of the list");
  }
  std::string source;
  if (auto r = sourceParam(q, name + "_source", source)) return r;
  auto place = findListPlace(db, it->second, source);
  std::optional<SortKey> key;
  if (place && sort.column) key = sortKeyOf(db, *sort.column, it->second, place->source);
  if (!place || (sort.column && !key)) {
    return badRequest(name + "_id", "không có thiết bị " + it->second, "no endpoint " + it->second);
  }
  out = EndpointCursor{place->unitCode, place->hostname, it->second, place->source, key ? *key : SortKey{}};
  return std::nullopt;
}

// A rule an endpoint can fail: a check of a loaded policy ("policy/check"), or the stale rule.
bool isEndpointRule(const std::string& rule, const std::vector<policy::Policy>& policies) {
  if (rule == kStaleRule) return true;
  for (const auto& p : policies)
    for (const auto& c : p.checks)
      if (rule == p.id + "/" + c.id) return true;
  return false;
}

}  // namespace

Refusal endpointListParams(db::Connection& db, const Query& query, std::int64_t staleAfterSeconds,
                           const std::vector<policy::Policy>& policies, std::int64_t now,
                           EndpointListRequest& out) {
  std::string unit, match, stale, dir, sortName;
  if (auto r = unitParam(query, "unit", false, unit)) return r;
  if (auto r = textParam(query, "q", 100, out.filter.search)) return r;
  if (auto r = oneOf(query, "match", {"prefix", "substring"}, match)) return r;
  out.filter.substring = match == "substring";
  if (auto r = textParam(query, "os", 100, out.filter.os)) return r;
  if (auto r = textParam(query, "rule", 200, out.filter.rule)) return r;
  if (!out.filter.rule.empty() && !isEndpointRule(out.filter.rule, policies)) {
    return badRequest("rule", "không có quy tắc " + out.filter.rule + " (cần CHÍNH_SÁCH/KIỂM_TRA)",
                      "no rule " + out.filter.rule + " (expected POLICY/CHECK)");
  }
  if (auto r = oneOf(query, "stale", {"1", "0"}, stale)) return r;
  if (!stale.empty()) out.filter.stale = stale == "1";
  out.filter.staleBefore = now - staleAfterSeconds;
  if (auto r = textParam(query, "sort", 40, sortName)) return r;
  out.sort.column = findSortColumn(sortName.empty() ? "unit" : sortName);
  if (!out.sort.column) {
    std::string list;
    for (const auto& c : sortColumns()) list += (list.empty() ? "" : "|") + std::string(c.name);
    return badRequest("sort", "không sắp xếp theo " + sortName + "; cần " + list,
                      "cannot sort by " + sortName + "; expected " + list);
  }
  if (auto r = oneOf(query, "dir", {"asc", "desc"}, dir)) return r;
  out.sort.descending = dir == "desc";
  if (!unit.empty()) out.filter.units = org::loadOrg(db).subtree(unit);
  if (auto r = pageParams(query, 50, out.limit, out.offset)) return r;
  if (auto r = cursorParam(db, query, "after", out.sort, out.after)) return r;
  if (auto r = cursorParam(db, query, "before", out.sort, out.before)) return r;
  if (out.after && out.before) {
    const bool token = query.count("before") && !query.at("before").empty();
    return badRequest(token ? "before" : "before_id", "không dùng cùng after / after_id",
                      "not with after / after_id");
  }
  return std::nullopt;
}

net::Response listEndpoints(db::Connection& db, const Query& query, std::int64_t staleAfterSeconds,
                            const std::vector<policy::Policy>& policies) {
  std::int64_t now = util::unixNow();
  EndpointListRequest req;
  if (auto r = endpointListParams(db, query, staleAfterSeconds, policies, now, req)) return *r;
  std::int64_t total = countEndpoints(db, req.filter);
  util::Json list = util::Json::array();
  for (const auto& row :
       endpointPage(db, req.filter, req.sort, req.limit, req.offset, req.after, req.before, kStaleRule, false)) {
    util::Json e = endpointJson(row, now, staleAfterSeconds);
    e.set("cursor", cursorToken(req.sort, row));
    list.push(std::move(e));
  }
  util::Json out = util::Json::object();
  out.set("total", total);
  out.set("endpoints", std::move(list));
  return jsonResponse(200, out);
}

net::Response endpointsCsv(db::Connection& db, const Query& query, std::int64_t staleAfterSeconds,
                           const std::vector<policy::Policy>& policies, std::int64_t now) {
  EndpointListRequest req;
  if (auto r = endpointListParams(db, query, staleAfterSeconds, policies, now, req)) return *r;
  std::string lang;
  if (auto r = oneOf(query, "lang", {"vi", "en"}, lang)) return *r;
  const bool vi = lang != "en";
  const auto yesNo = [vi](const util::Json& v) -> std::string {
    if (!v.isBool()) return vi ? "không rõ" : "unknown";
    return v.asBool() ? (vi ? "có" : "yes") : (vi ? "không" : "no");
  };
  const auto number = [vi](const util::Json& v) -> std::string {
    if (v.isNull()) return vi ? "không rõ" : "unknown";
    std::string s = v.numberAsText();
    if (vi) std::replace(s.begin(), s.end(), '.', ',');
    return s;
  };
  CsvWriter csv;
  csv.row({bilingual("Tên máy", "Hostname"), bilingual("Mã thiết bị", "Agent id"), bilingual("Đơn vị", "Unit"),
           bilingual("Nguồn", "Source"), bilingual("Hệ điều hành", "Operating system"),
           bilingual("Lần báo cáo cuối", "Last seen"), bilingual("Mất liên lạc", "Stale"),
           bilingual("Số cảnh báo", "Failing"), bilingual("Phòng, chống mã độc", "Anti-malware"),
           bilingual("Bảo vệ thời gian thực", "Real-time protection"),
           bilingual("Số ngày từ lần cập nhật mẫu nhận diện", "Signature age (days)"),
           bilingual("Bản cập nhật đang chờ", "Pending updates"),
           bilingual("Bản cập nhật bảo mật đang chờ", "Pending security updates"),
           bilingual("Cần khởi động lại", "Restart required"), bilingual("Mức sẵn sàng IPv6", "IPv6 level"),
           bilingual("Tường lửa", "Firewall")});
  // The whole filtered view in its order, a keyset page at a time.
  std::optional<EndpointCursor> after;
  for (;;) {
    auto page = endpointPage(db, req.filter, req.sort, 1000, 0, after, std::nullopt, kStaleRule, false);
    for (const auto& row : page) {
      util::Json e = endpointJson(row, now, staleAfterSeconds);
      const util::Json& p = e.at("posture");
      std::string av = p.at("av_product").isString() ? p.at("av_product").asString() : yesNo(p.at("av_installed"));
      csv.row({row.hostname, row.agentId, row.unitCode, row.source, e.at("os").asString(),
               row.lastSeen > 0 ? util::formatIsoVietnam(row.lastSeen) : "", yesNo(e.at("stale")),
               std::to_string(e.at("failing").asInt()), av, yesNo(p.at("real_time")),
               number(p.at("signature_age_days")), number(p.at("pending")), number(p.at("security")),
               yesNo(p.at("reboot")), number(p.at("ipv6")), yesNo(p.at("firewall"))});
    }
    if (page.size() < 1000) break;
    const auto& last = page.back();
    after = EndpointCursor{last.unitCode, last.hostname, last.agentId, last.source, last.key};
  }
  net::Response r;
  r.status = 200;
  r.contentType = "text/csv; charset=utf-8";
  r.body = csv.text();
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"endpoints.csv\"");
  return r;
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
