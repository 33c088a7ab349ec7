#include "collector/console/exceptions_api.h"

#include <algorithm>

#include "collector/exceptions/exceptions.h"
#include "collector/org/org.h"
#include "common/util/time.h"

namespace posture::collector::console {
namespace {
using exceptions::ExceptionError;
using exceptions::RiskException;

util::Json exceptionJson(const RiskException& x, std::int64_t now) {
  util::Json j = util::Json::object();
  j.set("id", static_cast<long long>(x.id));
  j.set("scope", std::string(exceptions::scopeName(x.scope)));
  j.set("subject", x.subject);
  j.set("hostname", nullable(x.hostname));
  j.set("rule", x.rule);
  j.set("justification", x.justification);
  j.set("approver", x.approver);
  j.set("document", x.document);
  j.set("expires", util::formatDate(x.expiresDay));
  // When it stops holding: 00:00 UTC+7 the day after `expires`.
  j.set("expires_at", util::formatRfc3339Vietnam(exceptions::expiresAt(x.expiresDay)));
  j.set("state", std::string(exceptions::stateName(x, now)));
  j.set("created_at", util::formatRfc3339Vietnam(x.createdAt));
  j.set("created_by", x.createdBy);
  j.set("revoked_at",
        x.revokedAt ? util::Json(util::formatRfc3339Vietnam(x.revokedAt)) : util::Json());
  j.set("revoked_by", nullable(x.revokedBy));
  return j;
}

net::Response refused(const ExceptionError& e) {
  std::string what = e.what();
  // what() is "FIELD: vi / en".
  std::string text = what.substr(e.field().size() + 2);
  auto slash = text.find(" / ");
  std::string vi = slash == std::string::npos ? text : text.substr(0, slash);
  std::string en = slash == std::string::npos ? text : text.substr(slash + 3);
  auto r = badRequest(e.field(), vi, en);
  util::Json body = util::parseJson(r.body);
  util::Json err = body.at("error");
  err.set("field", e.field());
  body.set("error", std::move(err));
  return jsonResponse(400, body);
}
}  // namespace

net::Response listExceptionsRoute(db::Connection& db, const Query& query, std::int64_t now) {
  std::string state, agent;
  if (auto r = oneOf(query, "state", {"active", "expired", "revoked"}, state)) return *r;
  if (auto it = query.find("endpoint"); it != query.end()) {
    agent = it->second;
    if (!isAgentId(agent))
      return badRequest("endpoint", "mã tác tử không hợp lệ", "not an agent id");
  }
  std::vector<std::string> chain;
  if (!agent.empty()) {
    auto st = db.prepare("SELECT unit_code FROM endpoints WHERE agent_id = ?");
    st.bind(1, agent);
    if (st.step()) {
      auto parents = org::loadOrg(db).parents();
      std::string at = st.getText(0);
      for (std::size_t guard = 0; !at.empty() && guard <= parents.size() + 1; ++guard) {
        chain.push_back(at);
        auto p = parents.find(at);
        at = p == parents.end() ? std::string() : p->second;
      }
    }
  }
  util::Json items = util::Json::array();
  for (const auto& x : exceptions::listExceptions(db)) {
    if (!state.empty() && exceptions::stateName(x, now) != state) continue;
    if (!agent.empty()) {
      bool covers = x.scope == exceptions::Scope::Endpoint
                        ? x.subject == agent
                        : std::find(chain.begin(), chain.end(), x.subject) != chain.end();
      if (!covers) continue;
    }
    items.push(exceptionJson(x, now));
  }
  util::Json out = util::Json::object();
  out.set("exceptions", std::move(items));
  return jsonResponse(200, out);
}

net::Response addExceptionRoute(db::Connection& db, const util::Json& body,
                                const std::vector<policy::Policy>& policies,
                                const std::string& actor, std::int64_t now) {
  exceptions::NewException r;
  for (const auto& [name, value] : body.members()) {
    static const std::vector<std::string> kKnown = {
        "endpoint", "unit", "rule", "justification", "approver", "document", "expires"};
    if (std::find(kKnown.begin(), kKnown.end(), name) == kKnown.end()) {
      return badRequest(name, "trường không được hỗ trợ", "unknown member");
    }
  }
  struct Member {
    const char* name;
    std::string* out;
  } members[] = {{"endpoint", &r.endpoint}, {"unit", &r.unit},
                 {"rule", &r.rule},         {"justification", &r.justification},
                 {"approver", &r.approver}, {"document", &r.document},
                 {"expires", &r.expires}};
  for (const auto& m : members) {
    if (auto refusal = stringMember(body, m.name, false, 4000, *m.out)) return *refusal;
  }
  try {
    auto x = exceptions::addException(db, r, policies, actor, now);
    util::Json out = util::Json::object();
    out.set("exception", exceptionJson(x, now));
    return jsonResponse(201, out);
  } catch (const ExceptionError& e) {
    return refused(e);
  }
}

net::Response revokeExceptionRoute(db::Connection& db, std::int64_t id, const std::string& actor,
                                   std::int64_t now) {
  if (!exceptions::findException(db, id)) {
    return notFound("ngoại lệ " + std::to_string(id) + " / exception " + std::to_string(id));
  }
  try {
    auto x = exceptions::revokeException(db, id, actor, now);
    util::Json out = util::Json::object();
    out.set("exception", exceptionJson(x, now));
    return jsonResponse(200, out);
  } catch (const ExceptionError&) {
    return apiError(409, "conflict", "ngoại lệ đã bị thu hồi", "the exception is already revoked");
  }
}

}  // namespace posture::collector::console
