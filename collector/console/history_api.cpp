#include "collector/console/history_api.h"

#include <string>

#include "collector/evaluation/history.h"
#include "common/util/time.h"

namespace posture::collector::console {

net::Response targetHistory(db::Connection& db, const Query& query,
                            const std::vector<policy::Policy>& policies) {
  std::string unit, target, policyId;
  std::int64_t days = 90;
  if (auto r = unitParam(query, "unit", false, unit)) return *r;
  if (auto r = textParam(query, "target", 200, target)) return *r;
  if (auto r = textParam(query, "policy", 200, policyId)) return *r;
  if (auto r = numberParam(query, "days", 90, 1, 3660, days)) return *r;
  if (target.empty()) return badRequest("target", "bắt buộc", "required");
  if (auto slash = target.find('/'); slash != std::string::npos && policyId.empty()) {
    policyId = target.substr(0, slash);
    target = target.substr(slash + 1);
  }
  if (policyId.empty()) {
    for (const auto& p : policies) {
      for (const auto& t : p.targets)
        if (t.id == target && policyId.empty()) policyId = p.id;
    }
    if (policyId.empty()) return badRequest("target", "không có chỉ tiêu này", "no such target");
  }
  std::int64_t today = util::vietnamDay(util::unixNow());
  util::Json points = util::Json::array();
  for (const auto& h : historyTrend(db, unit, policyId, target, today - days + 1, today)) {
    util::Json p = util::Json::object();
    p.set("day", util::formatDate(h.day));
    p.set("value", fraction(h.satisfied, h.total));
    p.set("passing", h.satisfied);
    p.set("total", h.total);
    p.set("threshold", h.threshold / 100.0);
    p.set("status", h.status);
    points.push(std::move(p));
  }
  util::Json out = util::Json::object();
  out.set("unit", nullable(unit));
  out.set("policy", policyId);
  out.set("target", target);
  out.set("points", std::move(points));
  return jsonResponse(200, out);
}

}  // namespace posture::collector::console
