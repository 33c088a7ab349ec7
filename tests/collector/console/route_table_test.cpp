// The console's route table: 404 when no pattern matches, 405 with Allow when one matches
// with another method, the origin check of every write, then the session, CSRF token and
// role checks (checkAccess).
#include "collector/console/route_table.h"

#include <doctest/doctest.h>

#include <string>

using namespace posture;
using namespace posture::collector::console;
namespace http = boost::beast::http;
namespace auth = posture::collector::auth;

namespace {

using Table = RouteTable<std::string>;  // the handler: a name, enough to see which route

Table table() {
  const Access read{true, auth::Action::Read, false};
  const Access triage{true, auth::Action::AlertTriage, true};
  Table t;
  t.add(http::verb::post, "/api/v1/session", {false, std::nullopt, true}, "login")
      .add(http::verb::get, "/api/v1/session", {true, std::nullopt, false}, "whoami")
      .add(http::verb::delete_, "/api/v1/session", {true, std::nullopt, true}, "logout")
      .add(http::verb::get, "/api/v1/alerts", read, "list")
      .add(http::verb::post, "/api/v1/alerts/bulk", triage, "bulk")
      .add(http::verb::get, "/api/v1/alerts/{id:id}", read, "one")
      .add(http::verb::post, "/api/v1/alerts/{id:id}/ack", triage, "ack")
      .add(http::verb::get, "/api/v1/endpoints/{agent_id}/history", read, "history");
  return t;
}

net::Request request(http::verb method, const std::string& target, const std::string& origin = "") {
  net::Request r;
  r.message.method(method);
  r.message.target(target);
  r.message.set(http::field::host, "console.example:8444");
  if (!origin.empty()) r.message.set(http::field::origin, origin);
  r.remote = "127.0.0.1:50000";
  return r;
}

std::string header(const net::Response& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "";
}

auth::SessionInfo session(auth::Role role) {
  auth::SessionInfo s;
  s.user = "lan";
  s.role = role;
  s.csrfToken = "tok-0123456789";
  return s;
}

}  // namespace

TEST_CASE("a path no pattern matches is 404 not_found, whatever the method") {
  auto t = table();
  for (const char* path : {"/api/v1/nothing", "/api/v1/alerts/abc", "/api/v1/alerts/1/2/3",
                           "/api/v1/alerts/", "/api/v1//alerts", "/api/v1/alerts/1/frobnicate"}) {
    CAPTURE(path);
    for (auto method : {http::verb::get, http::verb::post}) {
      auto found = t.find(method, path);
      REQUIRE(std::holds_alternative<net::Response>(found));
      const auto& r = std::get<net::Response>(found);
      CHECK(r.status == 404);
      CHECK(r.body.find("\"code\":\"not_found\"") != std::string::npos);
      CHECK(header(r, "Allow").empty());
    }
  }
}

TEST_CASE("a pattern matching with another method is 405 with Allow naming the methods") {
  auto t = table();
  auto put = t.find(http::verb::put, "/api/v1/session");
  REQUIRE(std::holds_alternative<net::Response>(put));
  CHECK(std::get<net::Response>(put).status == 405);
  CHECK(std::get<net::Response>(put).body.find("\"code\":\"method_not_allowed\"") != std::string::npos);
  CHECK(header(std::get<net::Response>(put), "Allow") == "POST, GET, DELETE");

  auto getBulk = t.find(http::verb::get, "/api/v1/alerts/bulk");  // not the {id:id} route
  REQUIRE(std::holds_alternative<net::Response>(getBulk));
  CHECK(std::get<net::Response>(getBulk).status == 405);
  CHECK(header(std::get<net::Response>(getBulk), "Allow") == "POST");

  auto deleteOne = t.find(http::verb::delete_, "/api/v1/alerts/42");
  REQUIRE(std::holds_alternative<net::Response>(deleteOne));
  CHECK(header(std::get<net::Response>(deleteOne), "Allow") == "GET");

  auto getAck = t.find(http::verb::get, "/api/v1/alerts/42/ack");
  REQUIRE(std::holds_alternative<net::Response>(getAck));
  CHECK(header(std::get<net::Response>(getAck), "Allow") == "POST");
}

TEST_CASE("a match names its route and the path's parameters") {
  auto t = table();
  auto one = t.find(http::verb::get, "/api/v1/alerts/42");
  REQUIRE(std::holds_alternative<Table::Match>(one));
  CHECK(std::get<Table::Match>(one).route->handler == "one");
  CHECK(std::get<Table::Match>(one).params.id("id") == 42);

  auto bulk = t.find(http::verb::post, "/api/v1/alerts/bulk");
  REQUIRE(std::holds_alternative<Table::Match>(bulk));
  CHECK(std::get<Table::Match>(bulk).route->handler == "bulk");

  auto history = t.find(http::verb::get, "/api/v1/endpoints/0a-1b/history");
  REQUIRE(std::holds_alternative<Table::Match>(history));
  CHECK(std::get<Table::Match>(history).params.text("agent_id") == "0a-1b");
  CHECK_THROWS_AS((void)std::get<Table::Match>(history).params.text("unit"), std::out_of_range);
}

TEST_CASE("a write from another origin is refused before the route, a read is not checked") {
  auto t = table();
  for (const char* path : {"/api/v1/alerts/bulk", "/api/v1/nothing", "/api/v1/alerts"}) {
    CAPTURE(path);
    auto r = t.resolve(request(http::verb::post, path, "https://evil.example"), path);
    REQUIRE(std::holds_alternative<net::Response>(r));
    CHECK(std::get<net::Response>(r).status == 403);
    CHECK(std::get<net::Response>(r).body.find("\"code\":\"cross_origin\"") != std::string::npos);
  }
  CHECK(std::holds_alternative<Table::Match>(
      t.resolve(request(http::verb::post, "/api/v1/alerts/bulk", "https://console.example:8444"),
                "/api/v1/alerts/bulk")));
  CHECK(std::holds_alternative<Table::Match>(
      t.resolve(request(http::verb::post, "/api/v1/alerts/bulk"), "/api/v1/alerts/bulk")));
  CHECK(std::holds_alternative<Table::Match>(
      t.resolve(request(http::verb::get, "/api/v1/alerts", "https://evil.example"), "/api/v1/alerts")));
}

TEST_CASE("a write needs the session's CSRF token; a read does not") {
  auto t = table();
  auto match = std::get<Table::Match>(t.find(http::verb::post, "/api/v1/alerts/bulk"));
  const Access& write = match.route->access;
  CHECK(write.writes);
  auto soc = session(auth::Role::Soc);
  auto missing = checkAccess(write, soc, "");
  REQUIRE(missing);
  CHECK(missing->status == 403);
  CHECK(missing->body.find("\"code\":\"csrf\"") != std::string::npos);
  auto wrong = checkAccess(write, soc, "tok-0123456788");
  REQUIRE(wrong);
  CHECK(wrong->status == 403);
  CHECK_FALSE(checkAccess(write, soc, "tok-0123456789"));

  const Access& read = std::get<Table::Match>(t.find(http::verb::get, "/api/v1/alerts")).route->access;
  CHECK_FALSE(read.writes);
  CHECK_FALSE(checkAccess(read, soc, ""));
}

TEST_CASE("no session is 401; the role table decides the rest") {
  auto t = table();
  const Access& write = std::get<Table::Match>(t.find(http::verb::post, "/api/v1/alerts/bulk")).route->access;
  const Access& read = std::get<Table::Match>(t.find(http::verb::get, "/api/v1/alerts")).route->access;
  const Access& whoami = std::get<Table::Match>(t.find(http::verb::get, "/api/v1/session")).route->access;
  const Access& login = std::get<Table::Match>(t.find(http::verb::post, "/api/v1/session")).route->access;

  auto none = checkAccess(read, std::nullopt, "");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(none->body.find("\"code\":\"unauthenticated\"") != std::string::npos);
  CHECK(checkAccess(write, std::nullopt, "tok-0123456789")->status == 401);  // before the token
  CHECK_FALSE(checkAccess(login, std::nullopt, ""));                          // the login needs none

  auto auditor = session(auth::Role::Auditor);
  auto refused = checkAccess(write, auditor, auditor.csrfToken);  // auditors do not triage
  REQUIRE(refused);
  CHECK(refused->status == 403);
  CHECK(refused->body.find("\"code\":\"forbidden\"") != std::string::npos);
  CHECK(checkAccess(write, auditor, "")->body.find("\"code\":\"csrf\"") != std::string::npos);  // CSRF first
  CHECK_FALSE(checkAccess(read, auditor, ""));
  CHECK_FALSE(checkAccess(whoami, auditor, ""));
  CHECK_FALSE(checkAccess(write, session(auth::Role::Admin), "tok-0123456789"));
}

TEST_CASE("only GET routes are reads; patterns are checked when added") {
  Table t;
  CHECK_THROWS_AS(t.add(http::verb::get, "/api/v1/x", {true, std::nullopt, true}, "x"), std::logic_error);
  CHECK_THROWS_AS(t.add(http::verb::put, "/api/v1/x", {true, std::nullopt, false}, "x"), std::logic_error);
  CHECK_THROWS_AS(t.add(http::verb::get, "api/v1/x", {}, "x"), std::invalid_argument);
  CHECK_THROWS_AS(t.add(http::verb::get, "/api/v1/{}", {}, "x"), std::invalid_argument);
  CHECK_THROWS_AS(t.add(http::verb::get, "/api/v1/a{b}", {}, "x"), std::invalid_argument);
  CHECK(t.routes().empty());
}
