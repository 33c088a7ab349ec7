#include "collector/console/audit_api.h"

#include "collector/audit/audit.h"

namespace posture::collector::console {

net::Response auditList(db::Connection& db, const Query& query) {
  std::int64_t limit = 100;
  if (auto r = numberParam(query, "limit", 100, 1, kMaxLimit, limit)) return *r;
  util::Json list = util::Json::array();
  for (const auto& a : listAudit(db, "", static_cast<std::size_t>(limit))) {
    util::Json j = util::Json::object();
    j.set("id", a.id);
    j.set("at", a.at);
    j.set("actor", a.actor);
    j.set("action", a.action);
    j.set("object", a.object);
    j.set("before", nullable(a.before));
    j.set("after", nullable(a.after));
    list.push(std::move(j));
  }
  util::Json out = util::Json::object();
  out.set("entries", std::move(list));
  return jsonResponse(200, out);
}

}  // namespace posture::collector::console
