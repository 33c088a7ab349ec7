// collector/metrics: the metrics listener's decisions without a socket: which addresses
// are plain loopback and which need TLS and the token, the errors of bad options, the
// token file, the bearer comparison, and the answers of each path and method.
#include "collector/metrics/endpoint.h"

#include <doctest/doctest.h>

#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector::metrics;
namespace http = boost::beast::http;

namespace {
net::Request request(http::verb method, const std::string& target, const std::string& auth = {}) {
  net::Request r;
  r.message.method(method);
  r.message.target(target);
  if (!auth.empty()) r.message.set(http::field::authorization, auth);
  return r;
}

const std::string kToken = "0123456789abcdef0123456789abcdef";

MetricsEndpoint endpoint(std::optional<std::string> notReady = std::nullopt) {
  EndpointOptions o;
  o.render = [] { return std::string("# HELP x X.\n# TYPE x gauge\nx 1\n"); };
  o.notReady = [notReady] { return notReady; };
  return MetricsEndpoint(std::move(o), kToken);
}
}  // namespace

TEST_CASE("loopback is 127.0.0.0/8 and ::1 only; wildcards, other addresses and names are not") {
  CHECK(isLoopbackHost("127.0.0.1"));
  CHECK(isLoopbackHost("127.45.6.7"));
  CHECK(isLoopbackHost("::1"));
  CHECK(isLoopbackHost("::ffff:127.0.0.1"));
  CHECK_FALSE(isLoopbackHost("0.0.0.0"));
  CHECK_FALSE(isLoopbackHost("::"));
  CHECK_FALSE(isLoopbackHost("192.168.1.10"));
  CHECK_FALSE(isLoopbackHost("128.0.0.1"));
  CHECK_FALSE(isLoopbackHost("localhost"));
  CHECK_FALSE(isLoopbackHost("::ffff:10.0.0.1"));
}

TEST_CASE("the plan: plain on loopback, TLS elsewhere or with --metrics-tls") {
  auto plans = planListeners({"127.0.0.1:9464", "[::1]:9464"}, false, {});
  REQUIRE(plans.size() == 2);
  CHECK_FALSE(plans[0].tls);
  CHECK_FALSE(plans[1].tls);
  plans = planListeners({"127.0.0.1:9464", "0.0.0.0:9464", "[::]:9465"}, false, "/etc/posture/t");
  CHECK_FALSE(plans[0].tls);
  CHECK(plans[1].tls);
  CHECK(plans[2].tls);
  plans = planListeners({"127.0.0.1:9464"}, true, "/etc/posture/t");
  CHECK(plans[0].tls);
  CHECK(planListeners({}, false, {}).empty());
}

TEST_CASE("option errors name what is wrong, Vietnamese first") {
  auto message = [](auto f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto m = message([] { planListeners({"0.0.0.0:9464"}, false, {}); });
  CHECK(m.find("--metrics-token-file") != std::string::npos);
  CHECK(m.find("0.0.0.0:9464") != std::string::npos);
  CHECK(m.find("TLS") != std::string::npos);
  m = message([] { planListeners({"127.0.0.1:9464"}, true, {}); });
  CHECK(m.find("--metrics-token-file") != std::string::npos);
  m = message([] { planListeners({"127.0.0.1"}, false, {}); });
  CHECK(m.find("HOST:PORT") != std::string::npos);
  CHECK(m.find("'127.0.0.1'") != std::string::npos);
  m = message([] { planListeners({}, true, {}); });
  CHECK(m.find("--metrics-listen") != std::string::npos);
  m = message([] { planListeners({}, false, "/tmp/t"); });
  CHECK(m.find("--metrics-listen") != std::string::npos);
}

TEST_CASE("the token file: first line trimmed, at least 16 characters, no blanks inside") {
  test::TempDir dir("posture-metrics-token-");
  CHECK(readToken(dir.write("ok", "  " + kToken + " \nsecond line\n")) == kToken);
  CHECK(readToken(dir.write("crlf", kToken + "\r\n")) == kToken);
  CHECK_THROWS_WITH_AS(readToken(dir.write("short", "abc\n")), doctest::Contains("16"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(readToken(dir.write("empty", "")), doctest::Contains("16"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(readToken(dir.write("blank", "0123456789 abcdef0123")),
                       doctest::Contains("blank"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(readToken(dir.path() / "missing"), doctest::Contains("cannot be read"),
                       std::invalid_argument);
}

TEST_CASE("the bearer comparison: scheme case-insensitive, token exact") {
  CHECK(bearerMatches("Bearer " + kToken, kToken));
  CHECK(bearerMatches("bearer " + kToken, kToken));
  CHECK_FALSE(bearerMatches("Bearer " + kToken + "x", kToken));
  CHECK_FALSE(bearerMatches("Bearer " + kToken.substr(1), kToken));
  CHECK_FALSE(bearerMatches("Basic " + kToken, kToken));
  CHECK_FALSE(bearerMatches(kToken, kToken));
  CHECK_FALSE(bearerMatches("", kToken));
  CHECK_FALSE(bearerMatches("Bearer ", ""));
}

TEST_CASE("answers: /metrics in the text format, /healthz, /readyz, 404, 405, HEAD without a body") {
  auto ep = endpoint();
  auto r = ep.handle(request(http::verb::get, "/metrics"), false);
  CHECK(r.status == 200);
  CHECK(r.contentType == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r.body == "# HELP x X.\n# TYPE x gauge\nx 1\n");
  CHECK(ep.handle(request(http::verb::get, "/metrics?x=1"), false).status == 200);
  r = ep.handle(request(http::verb::get, "/healthz"), false);
  CHECK(r.status == 200);
  CHECK(r.body == "ok\n");
  CHECK(ep.handle(request(http::verb::get, "/readyz"), false).status == 200);
  CHECK(ep.handle(request(http::verb::get, "/"), false).status == 404);
  CHECK(ep.handle(request(http::verb::get, "/metrics/../etc"), false).status == 404);
  r = ep.handle(request(http::verb::post, "/metrics"), false);
  CHECK(r.status == 405);
  r = ep.handle(request(http::verb::head, "/metrics"), false);
  CHECK(r.status == 200);
  CHECK(r.body.empty());
}

TEST_CASE("/readyz answers 503 with the reason when not ready") {
  auto ep = endpoint(std::string("the database is not writable: database is locked"));
  auto r = ep.handle(request(http::verb::get, "/readyz"), false);
  CHECK(r.status == 503);
  CHECK(r.body.find("database is locked") != std::string::npos);
  CHECK(ep.handle(request(http::verb::get, "/healthz"), false).status == 200);
}

TEST_CASE("with the token: missing or wrong is 401 on every path, the right one passes") {
  auto ep = endpoint();
  for (const char* path : {"/metrics", "/healthz", "/readyz", "/nope"}) {
    auto r = ep.handle(request(http::verb::get, path), true);
    CHECK(r.status == 401);
    bool challenge = false;
    for (const auto& [k, v] : r.headers) challenge = challenge || k == "WWW-Authenticate";
    CHECK(challenge);
    CHECK(r.body.find("x 1") == std::string::npos);
    CHECK(ep.handle(request(http::verb::get, path, "Bearer wrong-token-0123456789"), true).status == 401);
  }
  CHECK(ep.handle(request(http::verb::get, "/metrics", "Bearer " + kToken), true).status == 200);
  CHECK(ep.handle(request(http::verb::get, "/nope", "Bearer " + kToken), true).status == 404);
}
