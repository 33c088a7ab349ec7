// The SOC console's HTTP side against a real collector process: login, cookies, CSRF,
// roles, the JSON API with a small fleet, inert text, exports (collector/console/).
#include <doctest/doctest.h>

#include <boost/beast/http.hpp>

#include <filesystem>
#include <chrono>
#include <map>
#include <thread>

#include "common/util/json.h"
#include "collector/export/manifest.h"
#include "common/crypto/crypto.h"
#include "common/db/sqlite.h"
#include "common/util/files.h"
#include "tests/integration/child_process.h"
#include "tests/integration/console_harness.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using posture::test::CollectorProcess;
using namespace posture::test;
namespace fs = std::filesystem;
namespace http = boost::beast::http;

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
  CHECK(cookie.starts_with("__Host-posture_session="));
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

  // Five free failures (one above), then each failure locks the name from this address.
  Reply last;
  for (int i = 0; i < 7 && last.status != 429; ++i) {
    last = request(c.consoleAddress, http::verb::post, "/api/v1/session", loginBody("admin", "wrong password!"));
  }
  CHECK(last.status == 429);
  CHECK(last.errorCode() == "throttled");
  CHECK(std::stoi(last.header("retry-after")) > 0);
  // Locked: even the right password is refused for now, from this address.
  auto locked = request(c.consoleAddress, http::verb::post, "/api/v1/session", loginBody("admin", password));
  CHECK(locked.status == 429);

  // Logout ends the session.
  auto out = request(c.consoleAddress, http::verb::delete_, "/api/v1/session", {}, s.headers());
  CHECK(out.status == 204);
  CHECK(out.header("set-cookie").find("Max-Age=0") != std::string::npos);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/session", {}, s.headers(false)).status == 401);
}

TEST_CASE("console: overview, alerts and endpoints with a small fleet") {
  // A target's history is recorded by full evaluations, and the one at start may run before
  // the first agent enrols (no unit has endpoints yet): the next one, 10 s on, records it.
  CollectorProcess c({"--console-listen", "127.0.0.1:0", "--full-evaluate-every", "10s"});
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
  std::map<std::string, const util::Json*> byCode;
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
  for (int i = 0; i < 60 && hist.status == 200 && hist.json().at("points").size() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    hist = request(c.consoleAddress, http::verb::get, "/api/v1/history?unit=BS-VP&target=" + tid, {},
                   s.headers(false));
  }
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

TEST_CASE("console: the overview tree, its cache after triage, alerts of a subtree, keyset pages") {
  auto c = consoleCollector();
  importSampleOrg(c);
  std::string password = addUser(c, "soc2", "soc");
  smallFleet(c, "BS-VP", 2);
  smallFleet(c, "BS-TC", 1);
  auto s = login(c, "soc2", password);
  firstAlert(c, s);
  auto get = [&](const std::string& target) {
    auto r = request(c.consoleAddress, http::verb::get, target, {}, s.headers(false));
    INFO(target << " -> " << r.body.substr(0, 300));
    REQUIRE(r.status == 200);
    return r.json();
  };
  auto codes = [](const util::Json& list) {
    std::vector<std::string> out;
    for (const auto& u : list.items()) out.push_back(u.at("code").asString());
    return out;
  };

  // Top level: the root and its children with targets; the whole tree without targets.
  auto top = get("/api/v1/overview");
  CHECK(top.at("unit").isNull());
  CHECK(codes(top.at("units")) == std::vector<std::string>{"QNG", "BS"});
  CHECK(codes(top.at("tree")) ==
        std::vector<std::string>{"QNG", "BS", "BS-BC", "BS-BT", "BS-TC", "BS-VP"});
  for (const auto& u : top.at("tree").items()) CHECK(u.find("targets") == nullptr);
  for (const auto& u : top.at("units").items()) CHECK(u.at("targets").size() > 0);

  // A district: itself and its children, counts rolled up.
  auto bs = get("/api/v1/overview?unit=BS");
  CHECK(bs.at("unit").asString() == "BS");
  CHECK(codes(bs.at("units")) == std::vector<std::string>{"BS", "BS-BC", "BS-BT", "BS-TC", "BS-VP"});
  std::map<std::string, util::Json> byCode;
  for (const auto& u : bs.at("units").items()) byCode[u.at("code").asString()] = u;
  CHECK(byCode["BS"].at("endpoints").asInt() == 3);
  CHECK(byCode["BS-VP"].at("endpoints").asInt() == 2);
  CHECK(byCode["BS-BT"].at("endpoints").asInt() == 0);
  std::int64_t vp = byCode["BS-VP"].at("open_alerts").asInt(), tc = byCode["BS-TC"].at("open_alerts").asInt();
  CHECK(vp > 0);
  CHECK(tc > 0);
  CHECK(byCode["BS"].at("open_alerts").asInt() >= vp + tc);  // plus the unit's own target alerts
  // The four-layer matrix: a verdict with its evidence per layer, for every unit shown.
  for (const auto& entry : byCode) {
    // Named, not a structured binding: clang 14 cannot capture one (CAPTURE, INFO).
    const auto& code = entry.first;
    const auto& u = entry.second;
    INFO(code);
    REQUIRE(u.at("layers").size() == 4);
    int n = 0;
    for (const auto& l : u.at("layers").items()) {
      CHECK(l.at("layer").asInt() == ++n);
      CHECK(!l.at("evidence_vi").asString().empty());
      CHECK(!l.at("evidence_en").asString().empty());
    }
  }
  // Layer 2 needs the record and the endpoints' telemetry: BS-TC's one endpoint found no
  // anti-malware, so it cannot pass whatever is recorded.
  CHECK_FALSE(byCode["BS-TC"].at("layers").items()[1].at("pass").asBool());
  for (const auto& u : bs.at("tree").items()) CHECK(u.find("layers") == nullptr);

  // Alerts of a unit include its subtree's.
  std::int64_t bsTotal = get("/api/v1/alerts?unit=BS&limit=1").at("total").asInt();
  CHECK(bsTotal == byCode["BS"].at("open_alerts").asInt());
  CHECK(get("/api/v1/alerts?unit=BS-TC&limit=1").at("total").asInt() == tc);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/overview?unit=NOPE", {}, s.headers(false)).status == 404);

  // Resolving an alert shows in the next overview at once: the cached figures are
  // dropped. (The evaluator may reopen it later; both counts move together then.)
  auto tcAlerts = get("/api/v1/alerts?unit=BS-TC&limit=1").at("alerts");
  REQUIRE(tcAlerts.size() == 1);
  std::int64_t id = tcAlerts.items().front().at("id").asInt();
  auto r = request(c.consoleAddress, http::verb::post, "/api/v1/alerts/" + std::to_string(id) + "/resolve",
                   "{}", s.headers());
  REQUIRE(r.status == 200);
  auto after = get("/api/v1/overview?unit=BS-TC");
  std::int64_t listed = get("/api/v1/alerts?unit=BS-TC&limit=1").at("total").asInt();
  CHECK(after.at("units").items().front().at("open_alerts").asInt() == listed);
  CHECK(listed == tc - 1);

  // Keyset pages: after_id continues where a page ended, before_id goes back.
  auto page1 = get("/api/v1/alerts?limit=3").at("alerts");
  REQUIRE(page1.size() == 3);
  std::int64_t last = page1.items().back().at("id").asInt();
  auto page2 = get("/api/v1/alerts?limit=3&after_id=" + std::to_string(last)).at("alerts");
  REQUIRE(page2.size() > 0);
  CHECK(page2.items().front().at("id").asInt() > last);
  auto byOffset = get("/api/v1/alerts?limit=3&offset=3").at("alerts");
  CHECK(byOffset.items().front().at("id").asInt() == page2.items().front().at("id").asInt());
  auto back = get("/api/v1/alerts?limit=3&before_id=" + std::to_string(page2.items().front().at("id").asInt()))
                  .at("alerts");
  REQUIRE(back.size() == 3);
  CHECK(back.items().front().at("id").asInt() == page1.items().front().at("id").asInt());
  auto both = request(c.consoleAddress, http::verb::get, "/api/v1/alerts?after_id=1&before_id=9", {},
                      s.headers(false));
  CHECK(both.status == 400);
  CHECK(both.body.find("before_id") != std::string::npos);
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
  util::Json body = util::Json::object();
  body.set("text", nasty);
  auto r = request(c.consoleAddress, http::verb::post, "/api/v1/alerts/" + std::to_string(id) + "/comment",
                   util::writeJson(body, false), s.headers());
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
