#pragma once
// Internal to collector/console/: the API's route table (console_api.cpp fills it; the
// list of routes is there and nowhere else). A route is a method and a path pattern, who
// may call it, whether it writes, and its handler. 404 and 405 come from the table:
//   * no pattern matches the path: 404 not_found;
//   * a pattern matches but not with this method: 405 method_not_allowed, with `Allow`
//     naming the methods the matching patterns accept.
// Patterns are split at '/': a literal segment matches itself, {name} any one segment
// (also an empty one), {name:id} a numeric id (parseId, http_util.h).
//
// The checks, in order: a request other than GET must be same-origin when it names an
// Origin (request_checks.h; before the route is looked up, so also for a 404); then the
// route; then, on a database thread, checkAccess(): the session (401), the CSRF token of a
// write (403 csrf), the role (403 forbidden, auth::allowed).
#include <boost/beast/http/verb.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "collector/auth/sessions.h"
#include "collector/console/http_util.h"
#include "collector/console/request_checks.h"
#include "common/net/http_server.h"

namespace posture::collector::console {

// Who may call a route.
struct Access {
  // false: no session is needed (the login, the OpenAPI file); checkAccess() lets it pass.
  bool session = true;
  // The role rule (auth::allowed); nullopt: any role with a session.
  std::optional<auth::Action> action;
  // A change: the X-CSRF-Token header must match the session's. Every route but GET
  // writes, and only those (RouteTable::add checks it), so every write is also
  // origin-checked.
  bool writes = false;
};

// The values of a matched pattern's named segments.
struct PathParams {
  std::map<std::string, std::string, std::less<>> values;
  const std::string& text(std::string_view name) const;  // std::out_of_range when not named
  std::int64_t id(std::string_view name) const;          // a {name:id} segment
};

class PathPattern {
 public:
  explicit PathPattern(std::string_view pattern);  // std::invalid_argument for a bad one
  std::optional<PathParams> match(std::string_view path) const;
  const std::string& text() const { return text_; }

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter's name
    bool param = false;
    bool id = false;
  };
  std::string text_;
  std::vector<Segment> segments_;
};

net::Response unauthenticated();  // 401 unauthenticated
net::Response forbidden();        // 403 forbidden
net::Response csrfRefused();      // 403 csrf
// 405 method_not_allowed with the header Allow: `allow`.
net::Response methodNotAllowed(const std::string& allow);

// The refusal of a call under `access` by `session` (nullopt: no valid session) sending
// the X-CSRF-Token header `csrf`: 401, then 403 csrf for a write, then 403 forbidden.
Refusal checkAccess(const Access& access, const std::optional<auth::SessionInfo>& session,
                    std::string_view csrf);

template <class Handler>
class RouteTable {
 public:
  using Verb = boost::beast::http::verb;
  struct Route {
    Verb method;
    PathPattern pattern;
    Access access;
    Handler handler;
  };
  struct Match {
    const Route* route = nullptr;
    PathParams params;
  };

  RouteTable& add(Verb method, std::string_view pattern, Access access, Handler handler) {
    if (access.writes != (method != Verb::get))
      throw std::logic_error("route " + std::string(pattern) + ": only GET routes are reads");
    routes_.push_back(Route{method, PathPattern(pattern), access, std::move(handler)});
    return *this;
  }

  // The route of `method` and `path`, or 404 / 405 (with Allow).
  std::variant<Match, net::Response> find(Verb method, std::string_view path) const {
    std::string allow;
    for (const auto& r : routes_) {
      auto params = r.pattern.match(path);
      if (!params) continue;
      if (r.method == method) return Match{&r, std::move(*params)};
      std::string name(boost::beast::http::to_string(r.method));
      if (!listed(allow, name)) allow += (allow.empty() ? "" : ", ") + name;
    }
    if (!allow.empty()) return methodNotAllowed(allow);
    return notFound(std::string(path));
  }

  // Everything decided before any session work: the origin of a request other than GET,
  // then find().
  std::variant<Match, net::Response> resolve(const net::Request& request, std::string_view path) const {
    Verb method = request.message.method();
    if (method != Verb::get) {
      if (auto r = requireSameOrigin(request)) return std::move(*r);
    }
    return find(method, path);
  }

  const std::vector<Route>& routes() const { return routes_; }

 private:
  static bool listed(std::string_view allow, std::string_view name) {
    while (!allow.empty()) {
      auto comma = allow.find(", ");
      if (allow.substr(0, comma) == name) return true;
      if (comma == std::string_view::npos) break;
      allow.remove_prefix(comma + 2);
    }
    return false;
  }

  std::vector<Route> routes_;
};

}  // namespace posture::collector::console
