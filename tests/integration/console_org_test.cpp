// The console's organization editing (PUT/DELETE of four-layer records and information
// systems, admins only) and an endpoint's history of changes, against a real collector
// process with real TLS and real logins (collector/console/org_api.cpp,
// endpoint_history.cpp).
#include <doctest/doctest.h>

#include <boost/beast/http.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <thread>

#include "common/uplink/enrol.h"
#include "common/uplink/uplink.h"
#include "common/util/json.h"
#include "common/util/process.h"
#include "posture/v1/report.pb.h"
#include "tests/integration/console_harness.h"

using namespace posture;
using namespace posture::test;
namespace fs = std::filesystem;
namespace http = boost::beast::http;

namespace {

std::string json(const util::Json& j) { return util::writeJson(j, false); }

util::Json layerBody(const std::string& reference, const std::string& document, const std::string& date) {
  util::Json b = util::Json::object();
  b.set("reference", reference);
  b.set("document", document);
  b.set("date", date);
  return b;
}

util::Json systemBody(const std::string& unit, const std::string& nameVi, int level) {
  util::Json b = util::Json::object();
  b.set("unit", unit);
  b.set("name_vi", nameVi);
  b.set("name_en", "Human resources");
  b.set("level", level);
  b.set("shared", true);
  b.set("dossier_decision", "77/QĐ-UBND");
  b.set("dossier_approved", "2024-01-15");
  b.set("plan_implemented", util::Json());
  b.set("last_assessment", "2025-05-20");
  b.set("assessor", "Trung tâm CNTT tỉnh");
  b.set("assessment_period_months", 12);
  return b;
}

const util::Json* findLayer(const util::Json& list, const std::string& unit, std::int64_t layer) {
  for (const auto& l : list.at("layers").items())
    if (l.at("unit").asString() == unit && l.at("layer").asInt() == layer) return &l;
  return nullptr;
}

const util::Json* findSystem(const util::Json& list, const std::string& code) {
  for (const auto& s : list.at("systems").items())
    if (s.at("code").asString() == code) return &s;
  return nullptr;
}

// The stored layers and systems as the API returns them (compared byte for byte).
std::pair<std::string, std::string> snapshot(const CollectorProcess& c, const Session& s) {
  auto l = request(c.consoleAddress, http::verb::get, "/api/v1/layers", {}, s.headers(false));
  auto y = request(c.consoleAddress, http::verb::get, "/api/v1/systems", {}, s.headers(false));
  REQUIRE(l.status == 200);
  REQUIRE(y.status == 200);
  return {l.body, y.body};
}

}  // namespace

TEST_CASE("console: an admin edits a four-layer record and a system, read back and audited") {
  auto c = consoleCollector();
  importSampleOrg(c);
  auto admin = login(c, "admin", addUser(c, "admin", "admin"));
  const std::string& at = c.consoleAddress;

  auto put1 = request(at, http::verb::put, "/api/v1/layers/BS-TC/1",
                      json(layerBody("Nguyễn Văn An", "123/QĐ-UBND", "2024-03-01")), admin.headers());
  INFO(put1.body);
  REQUIRE(put1.status == 200);
  CHECK(put1.json().at("changed").asBool());
  CHECK(put1.json().at("layer").at("reference").asString() == "Nguyễn Văn An");
  // The same record again changes nothing.
  auto again = request(at, http::verb::put, "/api/v1/layers/BS-TC/1",
                       json(layerBody("Nguyễn Văn An", "123/QĐ-UBND", "2024-03-01")), admin.headers());
  CHECK(again.status == 200);
  CHECK_FALSE(again.json().at("changed").asBool());
  // Layer 2 has a contract end instead of a date.
  util::Json l2 = util::Json::object();
  l2.set("reference", "VNPT Quảng Ngãi");
  l2.set("document", "45/HĐ");
  l2.set("valid_until", "2027-12-31");
  auto put2 = request(at, http::verb::put, "/api/v1/layers/BS-TC/2", json(l2), admin.headers());
  INFO(put2.body);
  CHECK(put2.status == 200);

  auto layers = request(at, http::verb::get, "/api/v1/layers", {}, admin.headers(false));
  REQUIRE(layers.status == 200);
  auto lj = layers.json();
  const util::Json* one = findLayer(lj, "BS-TC", 1);
  REQUIRE(one);
  CHECK(one->at("reference").asString() == "Nguyễn Văn An");
  CHECK(one->at("document").asString() == "123/QĐ-UBND");
  CHECK(one->at("date").asString() == "2024-03-01");
  CHECK(one->at("valid_until").isNull());
  CHECK(one->at("recorded_by").asString() == "admin");
  const util::Json* two = findLayer(lj, "BS-TC", 2);
  REQUIRE(two);
  CHECK(two->at("date").isNull());
  CHECK(two->at("valid_until").asString() == "2027-12-31");

  // A new system (201), changed (200), removed (204).
  auto created = request(at, http::verb::put, "/api/v1/systems/BS-TC-NS",
                         json(systemBody("BS-TC", "Quản lý nhân sự", 3)), admin.headers());
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(created.json().at("system").at("level").asInt() == 3);
  auto updated = request(at, http::verb::put, "/api/v1/systems/BS-TC-NS",
                         json(systemBody("BS-TC", "Quản lý nhân sự", 4)), admin.headers());
  CHECK(updated.status == 200);
  auto systems = request(at, http::verb::get, "/api/v1/systems", {}, admin.headers(false));
  REQUIRE(systems.status == 200);
  auto sj = systems.json();
  const util::Json* ns = findSystem(sj, "BS-TC-NS");
  REQUIRE(ns);
  CHECK(ns->at("unit").asString() == "BS-TC");
  CHECK(ns->at("name_vi").asString() == "Quản lý nhân sự");
  CHECK(ns->at("level").asInt() == 4);
  CHECK(ns->at("shared").asBool());
  CHECK(ns->at("dossier_approved").asString() == "2024-01-15");
  CHECK(ns->at("plan_implemented").isNull());
  CHECK(ns->at("last_assessment").asString() == "2025-05-20");
  auto removed = request(at, http::verb::delete_, "/api/v1/systems/BS-TC-NS", {}, admin.headers());
  CHECK(removed.status == 204);
  auto after = request(at, http::verb::get, "/api/v1/systems", {}, admin.headers(false));
  CHECK(findSystem(after.json(), "BS-TC-NS") == nullptr);
  CHECK(findSystem(after.json(), "BS-QLVB") != nullptr);
  auto gone = request(at, http::verb::delete_, "/api/v1/systems/BS-TC-NS", {}, admin.headers());
  CHECK(gone.status == 404);

  // Every change is in the audit log with the admin as actor.
  auto audit = request(at, http::verb::get, "/api/v1/audit?limit=500", {}, admin.headers(false));
  REQUIRE(audit.status == 200);
  std::map<std::string, int> seen;  // "action object" → count, by admin
  auto entries = audit.json();
  for (const auto& e : entries.at("entries").items()) {
    if (e.at("actor").asString() == "admin") seen[e.at("action").asString() + " " + e.at("object").asString()]++;
  }
  CHECK(seen["layer.set layer:BS-TC:1"] == 1);  // the unchanged second PUT wrote no row
  CHECK(seen["layer.set layer:BS-TC:2"] == 1);
  CHECK(seen["system.add system:BS-TC-NS"] == 1);
  CHECK(seen["system.set system:BS-TC-NS"] == 1);
  CHECK(seen["system.remove system:BS-TC-NS"] == 1);
}

TEST_CASE("console: only admins edit the organization; no session 401, no CSRF 403, nothing changes") {
  auto c = consoleCollector();
  importSampleOrg(c);
  auto admin = login(c, "admin", addUser(c, "admin", "admin"));
  auto soc = login(c, "soc1", addUser(c, "soc1", "soc"));
  auto auditor = login(c, "auditor1", addUser(c, "auditor1", "auditor"));
  const std::string& at = c.consoleAddress;
  auto before = snapshot(c, admin);

  struct Change {
    http::verb method;
    std::string target, body;
  };
  std::vector<Change> changes = {
      {http::verb::put, "/api/v1/layers/BS/1", json(layerBody("Someone Else", "1/QĐ", "2025-01-01"))},
      {http::verb::put, "/api/v1/systems/BS-QLVB", json(systemBody("BS", "Đổi tên", 5))},
      {http::verb::put, "/api/v1/systems/BS-NEW", json(systemBody("BS", "Hệ thống mới", 2))},
      {http::verb::delete_, "/api/v1/systems/BS-QLVB", ""},
  };
  for (const auto& ch : changes) {
    CAPTURE(ch.target);
    auto none = request(at, ch.method, ch.target, ch.body);
    CHECK(none.status == 401);
    CHECK(none.errorCode() == "unauthenticated");
    auto noCsrf = request(at, ch.method, ch.target, ch.body, admin.headers(false));
    CHECK(noCsrf.status == 403);
    CHECK(noCsrf.errorCode() == "csrf");
    auto wrong = admin.headers(false);
    wrong.emplace_back("X-CSRF-Token", std::string(43, 'A'));
    auto badCsrf = request(at, ch.method, ch.target, ch.body, wrong);
    CHECK(badCsrf.status == 403);
    CHECK(badCsrf.errorCode() == "csrf");
    for (const Session* s : {&soc, &auditor}) {
      auto r = request(at, ch.method, ch.target, ch.body, s->headers());
      CHECK(r.status == 403);
      CHECK(r.errorCode() == "forbidden");
    }
  }
  // Methods the paths do not have: 405 naming the ones they have (the route table).
  auto allow = [](const auto& r) {
    auto it = r.headers.find("allow");
    return it == r.headers.end() ? std::string() : it->second;
  };
  auto deleteLayer = request(at, http::verb::delete_, "/api/v1/layers/BS/1", {}, admin.headers());
  CHECK(deleteLayer.status == 405);
  CHECK(deleteLayer.errorCode() == "method_not_allowed");
  CHECK(allow(deleteLayer) == "PUT");
  auto postSystem = request(at, http::verb::post, "/api/v1/systems/BS-QLVB", "{}", admin.headers());
  CHECK(postSystem.status == 405);
  CHECK(allow(postSystem) == "PUT, DELETE");
  CHECK(snapshot(c, admin) == before);
  // The readers still read.
  CHECK(request(at, http::verb::get, "/api/v1/systems", {}, soc.headers(false)).status == 200);
  CHECK(request(at, http::verb::get, "/api/v1/layers", {}, auditor.headers(false)).status == 200);
}

TEST_CASE("console: bad organization input gets a clear 400 and the registry stays intact") {
  auto c = consoleCollector();
  importSampleOrg(c);
  auto admin = login(c, "admin", addUser(c, "admin", "admin"));
  const std::string& at = c.consoleAddress;
  auto before = snapshot(c, admin);

  auto put = [&](const std::string& target, const std::string& body) {
    return request(at, http::verb::put, target, body, admin.headers());
  };
  auto refused = [&](const Reply& r, const std::string& member) {
    INFO(r.body);
    CHECK(r.status == 400);
    CHECK(r.errorCode() == "bad_request");
    auto e = r.json().at("error");
    CHECK(e.at("message_en").asString().find(member) != std::string::npos);
    CHECK(e.at("message_vi").asString().find(member) != std::string::npos);
  };
  const std::string good = json(layerBody("Nguyễn Văn An", "123/QĐ-UBND", "2024-03-01"));
  refused(put("/api/v1/layers/BS/7", good), "layer");
  refused(put("/api/v1/layers/BS/0", good), "layer");
  auto unknown = put("/api/v1/layers/NOPE/1", good);
  CHECK(unknown.status == 404);
  CHECK(unknown.errorCode() == "not_found");
  refused(put("/api/v1/layers/BS/1", json(layerBody("A", "B", "2024-02-30"))), "date");
  refused(put("/api/v1/layers/BS/1", json(layerBody("A", "B", "01/03/2024"))), "date");
  refused(put("/api/v1/layers/BS/1", json(layerBody("", "B", "2024-03-01"))), "reference");
  refused(put("/api/v1/layers/BS/2", json(layerBody("VNPT", "45/HĐ", "2024-03-01"))), "date");
  refused(put("/api/v1/layers/BS/1", "{\"reference\":\"A\",\"date\":\"2024-03-01\",\"period\":3}"), "period");
  refused(put("/api/v1/layers/BS/1", "not json"), "body");

  auto system = [](int level) { return systemBody("BS", "Hệ thống", level); };
  refused(put("/api/v1/systems/BS-X", json(system(9))), "level");
  refused(put("/api/v1/systems/BS-X", json(system(0))), "level");
  util::Json s = system(3);
  s.set("level", "3");
  refused(put("/api/v1/systems/BS-X", json(s)), "level");
  refused(put("/api/v1/systems/BS-X", json(systemBody("NOPE", "Hệ thống", 3))), "unit");
  s = system(3);
  s.set("last_assessment", "2025-13-01");
  refused(put("/api/v1/systems/BS-X", json(s)), "last_assessment");
  s = system(3);
  s.set("name_vi", std::string(600, 'x'));
  refused(put("/api/v1/systems/BS-X", json(s)), "name_vi");
  s = system(3);
  s.set("name_vi", std::string("a\x01" "b"));
  refused(put("/api/v1/systems/BS-X", json(s)), "name_vi");
  s = system(3);
  s.set("levle", 3);
  refused(put("/api/v1/systems/BS-X", json(s)), "levle");
  refused(put("/api/v1/systems/BS-QLVB", "name=x"), "body");
  refused(put("/api/v1/systems/BS-QLVB", "[1,2]"), "body");
  refused(put("/api/v1/systems/a%27b", json(system(3))), "code");
  // Invalid UTF-8 inside a JSON string.
  refused(put("/api/v1/systems/BS-QLVB", "{\"unit\":\"BS\",\"name_vi\":\"\xff\xfe\",\"level\":3}"), "body");
  CHECK(snapshot(c, admin) == before);

  // SQL- and script-shaped text is stored as text and returned byte for byte.
  const std::string sql = "'); DROP TABLE org_systems;--";
  const std::string script = "<script>alert(1)</script> \"x\" \\";
  s = systemBody("BS", sql, 3);
  s.set("name_en", script);
  s.set("dossier_decision", "'); DROP TABLE systems;--");
  auto stored = put("/api/v1/systems/BS-NASTY", json(s));
  INFO(stored.body);
  REQUIRE(stored.status == 201);
  CHECK(stored.body.find("<script>alert(1)</script>") != std::string::npos);
  auto layer = put("/api/v1/layers/BS-VP/3", json(layerBody(script, sql, "2025-06-01")));
  INFO(layer.body);
  REQUIRE(layer.status == 200);
  auto systemsReply = request(at, http::verb::get, "/api/v1/systems", {}, admin.headers(false));
  REQUIRE(systemsReply.status == 200);
  auto systems = systemsReply.json();
  const util::Json* nasty = findSystem(systems, "BS-NASTY");
  REQUIRE(nasty);
  CHECK(nasty->at("name_vi").asString() == sql);
  CHECK(nasty->at("name_en").asString() == script);
  CHECK(nasty->at("dossier_decision").asString() == "'); DROP TABLE systems;--");
  auto layers = request(at, http::verb::get, "/api/v1/layers", {}, admin.headers(false)).json();
  const util::Json* l3 = findLayer(layers, "BS-VP", 3);
  REQUIRE(l3);
  CHECK(l3->at("reference").asString() == script);
  CHECK(l3->at("document").asString() == sql);
  // Every system imported before is still there.
  auto beforeSystems = util::parseJson(before.second);
  for (const auto& b : beforeSystems.at("systems").items()) {
    CAPTURE(b.at("code").asString());
    const util::Json* now = findSystem(systems, b.at("code").asString());
    REQUIRE(now);
    CHECK(*now == b);
  }
}

TEST_CASE("console: an endpoint's history lists its reports newest first with what changed") {
  auto c = consoleCollector();
  auto soc = login(c, "soc1", addUser(c, "soc1", "soc"));
  const std::string& at = c.consoleAddress;

  uplink::EnrolOptions o;
  o.collector = c.address;
  o.caFingerprint = c.caFingerprint;
  o.token = c.createToken("BS-VP", 1);
  o.stateDir = makeTempDir("posture-agent-");
  auto state = uplink::enrol(o);
  auto report = [&](std::uint64_t sequence, bool firewallOn) {
    posture::v1::Report r;
    r.set_sequence(sequence);
    r.mutable_identity()->set_agent_id(state.agentId);
    r.mutable_identity()->set_hostname("pc-history");
    r.mutable_identity()->set_os_name("Windows");
    r.mutable_identity()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
    r.mutable_antivirus()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
    r.mutable_firewall()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
    r.mutable_firewall()->set_enabled(firewallOn ? posture::v1::TRISTATE_ON : posture::v1::TRISTATE_OFF);
    r.mutable_collected_at()->set_seconds(::time(nullptr) - 100 + static_cast<std::int64_t>(sequence));
    uplink::sendReport(state, r, std::chrono::seconds(10));
  };
  report(1, false);
  report(2, false);  // the same state: "no change"
  report(3, true);   // the firewall turned on
  fs::remove_all(state.dir);

  std::string path = "/api/v1/endpoints/" + state.agentId + "/history";
  util::Json h;
  for (int i = 0; i < 100; ++i) {
    auto r = request(at, http::verb::get, path, {}, soc.headers(false));
    if (r.status == 200 && r.json().at("reports").size() == 3) {
      h = r.json();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(util::writeJson(h, false).substr(0, 2000));
  REQUIRE(h.isObject());
  CHECK(h.at("agent_id").asString() == state.agentId);
  CHECK(h.at("total").asInt() == 3);
  const auto& rows = h.at("reports").items();
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].at("sequence").asInt() == 3);
  CHECK(rows[1].at("sequence").asInt() == 2);
  CHECK(rows[2].at("sequence").asInt() == 1);

  // Newest: the firewall fact and its check changed.
  CHECK(rows[0].at("changed").asBool());
  const auto& changes = rows[0].at("changes");
  bool fact = false;
  for (const auto& f : changes.at("facts").items()) {
    if (f.at("name").asString() == "firewall.enabled") {
      fact = true;
      CHECK(f.at("from_en").asString() == "no");
      CHECK(f.at("to_en").asString() == "yes");
      CHECK(f.at("from_vi").asString() == "không");
      CHECK(f.at("to_vi").asString() == "có");
    }
  }
  CHECK(fact);
  bool check = false;
  for (const auto& k : changes.at("checks").items()) {
    if (k.at("id").asString() == "firewall-enabled") {
      check = true;
      CHECK(k.at("from").asString() == "fail");
      CHECK(k.at("to").asString() == "pass");
    }
  }
  CHECK(check);
  CHECK(changes.find("hostname") == nullptr);
  // The middle one repeated the first: no change, and no change list.
  CHECK_FALSE(rows[1].at("changed").asBool());
  CHECK(rows[1].find("changes") == nullptr);
  CHECK_FALSE(rows[1].at("first").asBool());
  // The oldest is the first report.
  CHECK(rows[2].at("first").asBool());
  CHECK_FALSE(rows[2].at("changed").asBool());

  // limit: the newest alone is still compared with the report before it.
  auto one = request(at, http::verb::get, path + "?limit=1", {}, soc.headers(false));
  REQUIRE(one.status == 200);
  REQUIRE(one.json().at("reports").size() == 1);
  CHECK(one.json().at("reports").items()[0].at("changed").asBool());
  CHECK(request(at, http::verb::get, path + "?limit=0", {}, soc.headers(false)).status == 400);
  CHECK(request(at, http::verb::get, path + "?limit=101", {}, soc.headers(false)).status == 400);
  auto unknown = request(at, http::verb::get, "/api/v1/endpoints/0123456789abcdef/history", {},
                         soc.headers(false));
  CHECK(unknown.status == 404);
  CHECK(unknown.errorCode() == "not_found");
  CHECK(request(at, http::verb::get, path, {}).status == 401);
}
