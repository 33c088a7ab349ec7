// The SOC console's HTTP side against a real collector process: login, cookies, CSRF,
// roles, the JSON API with a small fleet, inert text, exports (collector/console/).
#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "agent/enrol.h"
#include "agent/uplink.h"
#include "collector/export/json.h"
#include "collector/export/manifest.h"
#include "common/crypto/crypto.h"
#include "common/db/sqlite.h"
#include "common/net/http_server.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/integration/child_process.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using posture::collector::Json;
using posture::test::CollectorProcess;
namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

struct Reply {
  unsigned status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  Json json() const { return collector::parseJson(body); }
  std::string errorCode() const {
    try {
      return json().at("error").at("code").asString();
    } catch (const std::exception&) {
      return "(no error code)";
    }
  }
};

// One HTTPS request on its own connection (the console's certificate is not checked here).
Reply request(const std::string& address, http::verb method, const std::string& target,
              const std::string& body = {},
              const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  boost::asio::io_context io;
  boost::asio::ssl::context tls(boost::asio::ssl::context::tls_client);
  tls.set_verify_mode(boost::asio::ssl::verify_none);
  auto [host, port] = net::splitHostPort(address);
  boost::asio::ip::tcp::resolver resolver(io);
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(io, tls);
  boost::asio::connect(stream.next_layer(), resolver.resolve(host, port));
  stream.handshake(boost::asio::ssl::stream_base::client);
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, host);
  for (const auto& [n, v] : headers) req.set(n, v);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(stream, buffer, parser);
  auto res = parser.release();
  Reply r;
  r.status = res.result_int();
  r.body = res.body();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace(name, std::string(f.value()));
  }
  boost::system::error_code ignored;
  stream.shutdown(ignored);
  return r;
}

std::string addUser(const CollectorProcess& c, const std::string& name, const std::string& role) {
  auto r = util::runProcess({POSTURE_COLLECTOR_BIN, "user", "add", "--data-dir", c.dataDir, "--name",
                             name, "--role", role},
                            std::chrono::seconds(30));
  if (r.exitCode != 0) throw std::runtime_error("user add failed: " + r.err);
  std::string password = r.out;
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  return password;
}

std::string loginBody(const std::string& name, const std::string& password) {
  Json b = Json::object();
  b.set("name", name);
  b.set("password", password);
  return collector::writeJson(b, false);
}

struct Session {
  std::string cookie;  // "posture_session=…"
  std::string csrf;
  std::vector<std::pair<std::string, std::string>> headers(bool withCsrf = true) const {
    std::vector<std::pair<std::string, std::string>> h{{"Cookie", cookie}};
    if (withCsrf) h.emplace_back("X-CSRF-Token", csrf);
    return h;
  }
};

Session login(const CollectorProcess& c, const std::string& name, const std::string& password) {
  auto r = request(c.consoleAddress, http::verb::post, "/api/v1/session", loginBody(name, password));
  INFO(r.body);
  REQUIRE(r.status == 200);
  std::string setCookie = r.header("set-cookie");
  Session s;
  s.cookie = setCookie.substr(0, setCookie.find(';'));
  s.csrf = r.json().at("csrf").asString();
  return s;
}

CollectorProcess consoleCollector() {
  return CollectorProcess({"--console-listen", "127.0.0.1:0"});
}

// Enrols n agents in `unit` and sends each one report whose anti-malware probe found no
// product: checks fail and alerts open.
void smallFleet(CollectorProcess& c, const std::string& unit, int n) {
  std::string token = c.createToken(unit, n);
  for (int i = 0; i < n; ++i) {
    agent::EnrolOptions o;
    o.collector = c.address;
    o.token = token;
    o.stateDir = test::makeTempDir("posture-agent-");
    auto state = agent::enrol(o);
    posture::v1::Report r;
    r.set_sequence(1);
    r.mutable_identity()->set_agent_id(state.agentId);
    r.mutable_identity()->set_hostname("pc-" + unit + "-" + std::to_string(i));
    r.mutable_identity()->set_os_name("Windows");
    r.mutable_identity()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
    r.mutable_antivirus()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
    r.mutable_collected_at()->set_seconds(::time(nullptr));
    agent::sendReport(state, r, std::chrono::seconds(10));
    fs::remove_all(state.dir);
  }
}

// Waits until the console lists at least one open alert; returns the first one's id.
std::int64_t firstAlert(const CollectorProcess& c, const Session& s) {
  for (int i = 0; i < 100; ++i) {
    auto r = request(c.consoleAddress, http::verb::get, "/api/v1/alerts?limit=5", {}, s.headers(false));
    REQUIRE(r.status == 200);
    auto j = r.json();
    if (j.at("total").asInt() > 0) return j.at("alerts").items().front().at("id").asInt();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  FAIL("no alert was raised");
  return 0;
}

}  // namespace

TEST_CASE("console: static files and the OpenAPI file carry the security headers") {
  auto c = consoleCollector();
  REQUIRE_FALSE(c.consoleAddress.empty());
  auto index = request(c.consoleAddress, http::verb::get, "/");
  CHECK(index.status == 200);
  CHECK(index.header("content-type").starts_with("text/html"));
  CHECK(index.header("content-security-policy") ==
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'");
  CHECK(index.header("x-content-type-options") == "nosniff");
  CHECK(index.header("referrer-policy") == "no-referrer");
  CHECK(index.body.find("<html") != std::string::npos);

  auto spec = request(c.consoleAddress, http::verb::get, "/api/v1/openapi.yaml");
  CHECK(spec.status == 200);
  CHECK(spec.body.starts_with("openapi: 3.0"));
  CHECK(spec.header("cache-control") == "no-store");

  CHECK(request(c.consoleAddress, http::verb::get, "/assets/../posture.db").status == 404);
  CHECK(request(c.consoleAddress, http::verb::get, "/assets/nope.js").status == 404);
  auto api = request(c.consoleAddress, http::verb::get, "/api/v1/overview");
  CHECK(api.status == 401);
  CHECK(api.errorCode() == "unauthenticated");
  CHECK(api.header("content-security-policy").starts_with("default-src 'self'"));
}

TEST_CASE("console: login, cookie flags, bad password, throttling, logout") {
  auto c = consoleCollector();
  std::string password = addUser(c, "admin", "admin");

  auto ok = request(c.consoleAddress, http::verb::post, "/api/v1/session", loginBody("admin", password));
  REQUIRE(ok.status == 200);
  std::string cookie = ok.header("set-cookie");
  CHECK(cookie.starts_with("posture_session="));
  CHECK(cookie.find("; HttpOnly") != std::string::npos);
  CHECK(cookie.find("; Secure") != std::string::npos);
  CHECK(cookie.find("; SameSite=Strict") != std::string::npos);
  CHECK(cookie.find("; Path=/") != std::string::npos);
  auto j = ok.json();
  CHECK(j.at("user").asString() == "admin");
  CHECK(j.at("role").asString() == "admin");
  CHECK(j.at("csrf").asString().size() == 43);

  Session s{cookie.substr(0, cookie.find(';')), j.at("csrf").asString()};
  auto who = request(c.consoleAddress, http::verb::get, "/api/v1/session", {}, s.headers(false));
  CHECK(who.status == 200);
  CHECK(who.json().at("csrf").asString() == s.csrf);

  auto bad = request(c.consoleAddress, http::verb::post, "/api/v1/session", loginBody("admin", "wrong password!"));
  CHECK(bad.status == 401);
  CHECK(bad.errorCode() == "bad_credentials");
  auto unknown = request(c.consoleAddress, http::verb::post, "/api/v1/session", loginBody("ghost", "wrong password!"));
  CHECK(unknown.status == 401);
  CHECK(unknown.errorCode() == "bad_credentials");
  auto notJson = request(c.consoleAddress, http::verb::post, "/api/v1/session", "name=admin");
  CHECK(notJson.status == 400);
  CHECK(notJson.errorCode() == "bad_request");

  // Five free failures (one above), then each failure locks the name.
  Reply last;
  for (int i = 0; i < 7 && last.status != 429; ++i) {
    last = request(c.consoleAddress, http::verb::post, "/api/v1/session", loginBody("admin", "wrong password!"));
  }
  CHECK(last.status == 429);
  CHECK(last.errorCode() == "throttled");
  CHECK(std::stoi(last.header("retry-after")) > 0);
  // Locked: even the right password is refused for now.
  auto locked = request(c.consoleAddress, http::verb::post, "/api/v1/session", loginBody("admin", password));
  CHECK(locked.status == 429);

  // Logout ends the session.
  auto out = request(c.consoleAddress, http::verb::delete_, "/api/v1/session", {}, s.headers());
  CHECK(out.status == 204);
  CHECK(out.header("set-cookie").find("Max-Age=0") != std::string::npos);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/session", {}, s.headers(false)).status == 401);
}

TEST_CASE("console: overview, alerts and endpoints with a small fleet") {
  auto c = consoleCollector();
  std::string password = addUser(c, "soc1", "soc");
  smallFleet(c, "BS-VP", 2);
  smallFleet(c, "BS-TC", 1);
  auto s = login(c, "soc1", password);
  std::int64_t id = firstAlert(c, s);
  CHECK(id > 0);

  auto o = request(c.consoleAddress, http::verb::get, "/api/v1/overview", {}, s.headers(false));
  INFO(o.body.substr(0, 400));
  REQUIRE(o.status == 200);
  CHECK(o.header("cache-control") == "no-store");
  auto units = o.json().at("units");
  std::map<std::string, const Json*> byCode;
  for (const auto& u : units.items()) byCode[u.at("code").asString()] = &u;
  REQUIRE(byCode.count("BS-VP"));
  REQUIRE(byCode.count("BS-TC"));
  CHECK(byCode["BS-VP"]->at("endpoints").asInt() == 2);
  CHECK(byCode["BS-TC"]->at("endpoints").asInt() == 1);
  CHECK(byCode["BS-VP"]->at("open_alerts").asInt() > 0);
  REQUIRE(byCode["BS-VP"]->at("targets").size() > 0);
  const auto& t = byCode["BS-VP"]->at("targets").items().front();
  CHECK(t.at("total").asInt() >= 0);
  std::string status = t.at("status").asString();
  CHECK((status == "met" || status == "at-risk" || status == "missed" || status == "no-data"));

  auto one = request(c.consoleAddress, http::verb::get, "/api/v1/overview?unit=BS-TC", {}, s.headers(false));
  CHECK(one.status == 200);
  CHECK(one.json().at("units").size() == 1);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/overview?unit=%27%3B", {}, s.headers(false)).status == 400);

  auto alerts = request(c.consoleAddress, http::verb::get, "/api/v1/alerts?unit=BS-VP&limit=2", {}, s.headers(false));
  REQUIRE(alerts.status == 200);
  auto aj = alerts.json();
  CHECK(aj.at("total").asInt() >= static_cast<std::int64_t>(aj.at("alerts").size()));
  CHECK(aj.at("alerts").size() <= 2);
  for (const auto& a : aj.at("alerts").items()) CHECK(a.at("unit").asString() == "BS-VP");
  auto badLimit = request(c.consoleAddress, http::verb::get, "/api/v1/alerts?limit=501", {}, s.headers(false));
  CHECK(badLimit.status == 400);
  CHECK(badLimit.body.find("limit") != std::string::npos);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/alerts?status=gone", {}, s.headers(false)).status == 400);

  auto detail = request(c.consoleAddress, http::verb::get, "/api/v1/alerts/" + std::to_string(id), {}, s.headers(false));
  REQUIRE(detail.status == 200);
  CHECK(detail.json().at("events").size() >= 1);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/alerts/999999", {}, s.headers(false)).status == 404);

  auto eps = request(c.consoleAddress, http::verb::get, "/api/v1/endpoints?q=pc-bs-vp", {}, s.headers(false));
  REQUIRE(eps.status == 200);
  CHECK(eps.json().at("total").asInt() == 2);
  std::string agentId = eps.json().at("endpoints").items().front().at("agent_id").asString();
  CHECK(eps.json().at("endpoints").items().front().at("os").asString() == "Windows");
  auto ep = request(c.consoleAddress, http::verb::get, "/api/v1/endpoints/" + agentId, {}, s.headers(false));
  REQUIRE(ep.status == 200);
  auto ej = ep.json();
  CHECK(ej.at("endpoint").at("agent_id").asString() == agentId);
  CHECK(ej.at("report").at("identity").at("hostname").asString().starts_with("pc-BS-VP-"));
  REQUIRE(ej.at("checks").size() > 0);
  bool failing = false;
  for (const auto& ck : ej.at("checks").items()) failing = failing || ck.at("result").asString() == "fail";
  CHECK(failing);

  // History of a target (recorded after each full evaluation), layers, systems.
  auto tid = t.at("policy").asString() + "/" + t.at("id").asString();
  auto hist = request(c.consoleAddress, http::verb::get, "/api/v1/history?unit=BS-VP&target=" + tid, {},
                      s.headers(false));
  INFO(hist.body.substr(0, 300));
  CHECK(hist.status == 200);
  CHECK(hist.json().at("points").size() >= 1);
  auto noTarget = request(c.consoleAddress, http::verb::get, "/api/v1/history?unit=BS-VP", {}, s.headers(false));
  CHECK(noTarget.status == 400);
  CHECK(noTarget.body.find("target") != std::string::npos);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/history?target=x&days=0", {}, s.headers(false)).status == 400);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/layers", {}, s.headers(false)).status == 200);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/systems", {}, s.headers(false)).status == 200);

  // soc may not read the audit log nor export.
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/audit", {}, s.headers(false)).status == 403);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/export?format=csv", {}, s.headers(false)).status == 403);

  // Triage with the CSRF token: acknowledged, by soc1, in the audit log.
  auto ack = request(c.consoleAddress, http::verb::post, "/api/v1/alerts/" + std::to_string(id) + "/ack", "{}", s.headers());
  INFO(ack.body);
  CHECK(ack.status == 200);
  CHECK(ack.json().at("status").asString() == "acknowledged");
  auto admin = login(c, "admin", addUser(c, "admin", "admin"));
  auto audit = request(c.consoleAddress, http::verb::get, "/api/v1/audit?limit=500", {}, admin.headers(false));
  REQUIRE(audit.status == 200);
  bool audited = false;
  auto entries = audit.json();
  for (const auto& e : entries.at("entries").items()) {
    audited = audited || (e.at("action").asString() == "alert.ack" && e.at("actor").asString() == "soc1");
  }
  CHECK(audited);
}

TEST_CASE("console: every state-changing endpoint refuses without session, CSRF token, or as auditor") {
  auto c = consoleCollector();
  std::string auditorPassword = addUser(c, "auditor1", "auditor");
  std::string socPassword = addUser(c, "soc1", "soc");
  smallFleet(c, "BS-VP", 1);
  auto soc = login(c, "soc1", socPassword);
  auto auditor = login(c, "auditor1", auditorPassword);
  std::int64_t id = firstAlert(c, soc);
  std::string base = "/api/v1/alerts/" + std::to_string(id);
  std::string ids = "{\"ids\":[" + std::to_string(id) + "],\"action\":\"ack\"}";

  struct Change {
    http::verb method;
    std::string target, body;
  };
  std::vector<Change> changes = {
      {http::verb::post, base + "/ack", "{}"},
      {http::verb::post, base + "/resolve", "{}"},
      {http::verb::post, base + "/comment", "{\"text\":\"hello\"}"},
      {http::verb::post, base + "/assign", "{\"assignee\":\"soc1\"}"},
      {http::verb::post, "/api/v1/alerts/bulk", ids},
      {http::verb::delete_, "/api/v1/session", ""},
  };
  for (const auto& ch : changes) {
    CAPTURE(ch.target);
    auto none = request(c.consoleAddress, ch.method, ch.target, ch.body);
    CHECK(none.status == 401);
    CHECK(none.errorCode() == "unauthenticated");
    auto noCsrf = request(c.consoleAddress, ch.method, ch.target, ch.body, soc.headers(false));
    CHECK(noCsrf.status == 403);
    CHECK(noCsrf.errorCode() == "csrf");
    auto wrong = soc.headers(false);
    wrong.emplace_back("X-CSRF-Token", std::string(43, 'A'));
    auto badCsrf = request(c.consoleAddress, ch.method, ch.target, ch.body, wrong);
    CHECK(badCsrf.status == 403);
    CHECK(badCsrf.errorCode() == "csrf");
    if (ch.method == http::verb::post) {  // an auditor may log out, nothing else
      auto asAuditor = request(c.consoleAddress, ch.method, ch.target, ch.body, auditor.headers());
      CHECK(asAuditor.status == 403);
      CHECK(asAuditor.errorCode() == "forbidden");
    }
  }
  // Nothing changed.
  auto a = request(c.consoleAddress, http::verb::get, base, {}, soc.headers(false));
  REQUIRE(a.status == 200);
  CHECK(a.json().at("status").asString() == "open");
  CHECK(a.json().at("assignee").isNull());
  // The sessions still work (no logout happened).
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/session", {}, soc.headers(false)).status == 200);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/session", {}, auditor.headers(false)).status == 200);
  // The auditor reads, and reads the audit log.
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/alerts", {}, auditor.headers(false)).status == 200);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/audit", {}, auditor.headers(false)).status == 200);
  // And with everything right, the changes go through.
  auto bulk = request(c.consoleAddress, http::verb::post, "/api/v1/alerts/bulk", ids, soc.headers());
  CHECK(bulk.status == 200);
  CHECK(bulk.json().at("updated").asInt() == 1);
  auto out = request(c.consoleAddress, http::verb::delete_, "/api/v1/session", {}, auditor.headers());
  CHECK(out.status == 204);
}

TEST_CASE("console: SQL- and script-shaped text is stored and returned inert") {
  auto c = consoleCollector();
  std::string password = addUser(c, "soc1", "soc");
  smallFleet(c, "BS-VP", 1);
  auto s = login(c, "soc1", password);
  std::int64_t id = firstAlert(c, s);
  const std::string nasty = "'); DROP TABLE alerts;-- <script>alert(1)</script> \"x\" \\ ";
  Json body = Json::object();
  body.set("text", nasty);
  auto r = request(c.consoleAddress, http::verb::post, "/api/v1/alerts/" + std::to_string(id) + "/comment",
                   collector::writeJson(body, false), s.headers());
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").starts_with("application/json"));
  // The raw JSON holds the text as is (only JSON's own escapes for " and \).
  CHECK(r.body.find("'); DROP TABLE alerts;-- <script>alert(1)</script>") != std::string::npos);
  auto detail = request(c.consoleAddress, http::verb::get, "/api/v1/alerts/" + std::to_string(id), {}, s.headers(false));
  REQUIRE(detail.status == 200);
  bool found = false;
  auto events = detail.json();
  for (const auto& e : events.at("events").items()) found = found || e.at("text").asString() == nasty;
  CHECK(found);
  // The table is still there, with the alert.
  db::Connection conn(fs::path(c.dataDir) / "posture.db", db::Connection::Mode::ReadOnly);
  auto st = conn.prepare("SELECT count(*) FROM alerts WHERE id = ?");
  st.bind(1, id);
  REQUIRE(st.step());
  CHECK(st.getInt(0) == 1);
  // Query parameters are bound, never spliced into SQL.
  auto q = request(c.consoleAddress, http::verb::get,
                   "/api/v1/endpoints?q=%27%20OR%201%3D1%20--", {}, s.headers(false));
  CHECK(q.status == 200);
  CHECK(q.json().at("total").asInt() == 0);
  auto rule = request(c.consoleAddress, http::verb::get,
                      "/api/v1/alerts?rule=%27%20OR%201%3D1%20--&status=all", {}, s.headers(false));
  CHECK(rule.status == 200);
  CHECK(rule.json().at("total").asInt() == 0);
}

TEST_CASE("console: the XLSX export and its signed manifest verify") {
  auto c = consoleCollector();
  std::string password = addUser(c, "auditor1", "auditor");
  smallFleet(c, "BS-VP", 1);
  auto s = login(c, "auditor1", password);
  auto file = request(c.consoleAddress, http::verb::get, "/api/v1/export?format=xlsx", {}, s.headers(false));
  INFO(file.body.substr(0, 300));
  REQUIRE(file.status == 200);
  CHECK(file.body.starts_with("PK"));
  std::string disposition = file.header("content-disposition");
  CHECK(disposition.starts_with("attachment; filename=\""));
  std::string name = disposition.substr(disposition.find('"') + 1);
  name.pop_back();
  CHECK(name.ends_with(".xlsx"));
  auto manifest = request(c.consoleAddress, http::verb::get, "/api/v1/export/manifest?format=xlsx", {}, s.headers(false));
  REQUIRE(manifest.status == 200);
  test::TempDir dir;
  auto path = dir.write(name, file.body);
  auto mpath = dir.write(name + ".manifest.json", manifest.body);
  auto caPem = util::readFile(fs::path(c.dataDir) / "ca.crt");
  REQUIRE(caPem.has_value());
  auto verdict = collector::verifyExport(path, mpath, crypto::certificateFingerprint(*caPem));
  INFO(collector::renderVerifyResult(verdict, path));
  CHECK(verdict.ok);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/export?format=pdf", {}, s.headers(false)).status == 400);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/export?as_of=yesterday", {}, s.headers(false)).status == 400);
}
