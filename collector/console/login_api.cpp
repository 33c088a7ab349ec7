#include "collector/console/login_api.h"

#include <memory>
#include <string>

#include "collector/auth/sessions.h"
#include "collector/console/http_util.h"
#include "collector/console/request_checks.h"
#include "common/log/log.h"
#include "common/net/http_server.h"
#include "common/util/time.h"

namespace posture::collector::console {

namespace {
namespace http = boost::beast::http;

net::Response throttled(const auth::LoginResult& r) {
  std::string s = std::to_string(r.retryAfter);
  net::Response response =
      r.outcome == auth::LoginResult::Outcome::Busy
          ? apiError(429, "throttled",
                     "Quá nhiều yêu cầu đăng nhập cùng lúc, hãy thử lại sau " + s + " giây",
                     "too many logins at once, try again in " + s + " seconds")
          : apiError(429, "throttled",
                     "Quá nhiều lần đăng nhập sai với tên này từ địa chỉ này, hãy thử lại sau " +
                         s + " giây",
                     "too many failed logins for this name from this address, try again in " + s +
                         " seconds");
  response.headers.emplace_back("Retry-After", s);
  return response;
}

// The database thread's part: the password check, then the session.
net::Response finish(db::Connection& db, auth::Logins& logins, auth::Logins::Attempt& attempt,
                     const std::string& password, const std::string& userAgent) {
  std::int64_t now = util::unixNow();
  auto result = logins.authenticate(db, attempt, password, now);
  if (result.outcome == auth::LoginResult::Outcome::Locked ||
      result.outcome == auth::LoginResult::Outcome::Busy)
    return throttled(result);
  if (result.outcome != auth::LoginResult::Outcome::Ok) {
    return apiError(401, "bad_credentials", "Sai tên đăng nhập hoặc mật khẩu",
                    "wrong user name or password");
  }
  auto session = auth::createSession(db, result.user, attempt.address, userAgent, now);
  util::Json out = util::Json::object();
  out.set("user", result.user);
  out.set("role", std::string(auth::roleName(result.role)));
  out.set("csrf", session.csrfToken);
  auto r = jsonResponse(200, out);
  r.headers.emplace_back("Set-Cookie", auth::sessionCookie(session.token, session.expiresAt - now));
  log::info("console login of ", result.user, " from ", attempt.address);
  return r;
}

}  // namespace

boost::asio::awaitable<net::Response> postSession(net::Request& request, DbPool& loginPool,
                                                  auth::Logins& logins) {
  if (auto r = requireJsonBody(request)) co_return *r;
  if (auto r = requireSameOrigin(request)) co_return *r;
  util::Json body;
  if (auto r = jsonObjectBody(request.message.body(), body)) co_return *r;
  std::string name, password;
  if (auto r = stringMember(body, "name", true, 256, name)) co_return *r;
  if (auto r = stringMember(body, "password", true, auth::kMaxPasswordBytes, password))
    co_return *r;

  auto admitted = logins.admit(name, net::remoteAddress(request.remote), util::unixNow());
  if (auto* refused = std::get_if<auth::LoginResult>(&admitted)) co_return throttled(*refused);
  // Shared: a job must be copyable; the budget's place is given back when the last copy goes.
  auto attempt =
      std::make_shared<auth::Logins::Attempt>(std::move(std::get<auth::Logins::Attempt>(admitted)));
  std::string userAgent(request.message[http::field::user_agent]);
  DbPool::Job job = [&logins, attempt, password = std::move(password),
                     userAgent](db::Connection& db) {
    return finish(db, logins, *attempt, password, userAgent);
  };
  // Named first: GCC 12 mishandles temporaries inside co_await expressions.
  auto pending = onPool(loginPool, std::move(job));
  net::Response r = co_await std::move(pending);
  if (r.status == 503) {  // the pool's queue is larger than the budget: only when stopping
    co_return throttled({auth::LoginResult::Outcome::Busy, 1, {}, auth::Role::Auditor});
  }
  co_return r;
}

net::Response sessionInfo(const auth::SessionInfo& session) {
  util::Json out = util::Json::object();
  out.set("user", session.user);
  out.set("role", std::string(auth::roleName(session.role)));
  out.set("csrf", session.csrfToken);
  return jsonResponse(200, out);
}

net::Response logoutSession(db::Connection& db, const std::string& token) {
  auth::logout(db, token);
  net::Response r{204, kJson, "", {}};
  r.headers.emplace_back("Set-Cookie", auth::clearSessionCookie());
  return r;
}

}  // namespace posture::collector::console
