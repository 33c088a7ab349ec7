// A province's console over HTTP (issue 16): a real collector whose database holds two
// registered children with applied pushes (federation::registerChild / applyPush, as the
// push route would store them). The children route with a healthy and a stale link, the
// endpoint list with the districts' rows and their search, a district endpoint's page, and
// the districts' alert counts, for every role and read-only.
#include <doctest/doctest.h>

#include <boost/beast/http.hpp>

#include <map>
#include <set>
#include <string>

#include "collector/federation/mounts.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "tests/integration/child_process.h"
#include "tests/integration/console_harness.h"

using namespace posture;
using namespace posture::test;
namespace fed = posture::collector::federation;
namespace http = boost::beast::http;

namespace {

const std::string kHealthy = "c0ffee00-0000-4000-8000-000000000001";
const std::string kStale = "c0ffee00-0000-4000-8000-000000000002";

v1::FederationPush push(const std::string& district, const std::string& commune, int endpoints,
                        std::int64_t now) {
  v1::FederationPush p;
  p.set_epoch(1);
  p.set_snapshot(true);
  p.set_detail("endpoints");
  p.set_interval_seconds(60);
  p.set_sent_at(now);
  std::uint64_t seq = 0;
  auto* u = p.add_changes();
  u->set_sequence(++seq);
  u->mutable_unit()->set_code(commune);
  u->mutable_unit()->set_name_vi("Xã " + commune);
  u->mutable_unit()->set_name_en(commune + " commune");
  u->mutable_unit()->set_kind("commune");
  for (int i = 0; i < endpoints; ++i) {
    auto* c = p.add_changes();
    c->set_sequence(++seq);
    auto* e = c->mutable_endpoint();
    e->set_agent_id(std::string("fed0000") + (district == "DC" ? "d" : "e") + "-000" +
                    std::to_string(i));
    e->set_hostname("may-" + district + "-" + std::to_string(i));
    e->set_unit_code(commune);
    e->set_os("Windows 11 Pro");
    auto* f = e->add_facts();
    f->set_name("antivirus.real_time");
    f->set_flag(i % 2 == 0);
    e->set_facts_at(now - 120);
    auto* ch = e->add_checks();
    ch->set_policy_id("binh-son-2022");
    ch->set_check_id("endpoint-protected");
    ch->set_result(i % 2 == 0 ? v1::CHECK_RESULT_MET : v1::CHECK_RESULT_NOT_MET);
    e->set_last_seen(now - 60);
  }
  auto* a = p.add_changes();
  a->set_sequence(++seq);
  a->mutable_alert_count()->set_unit_code(commune);
  a->mutable_alert_count()->set_rule("binh-son-2022/endpoint-protected");
  a->mutable_alert_count()->set_severity("high");
  a->mutable_alert_count()->set_open(static_cast<std::uint32_t>(endpoints / 2));
  a->mutable_alert_count()->set_acknowledged(1);
  p.set_snapshot_through(seq);
  return p;
}

// The sample Bình Sơn tree (QNG → BS → ...) plus two districts of the province, DC and TH,
// each the mount of a child: DC's pushed just now (healthy), TH's 20 minutes ago (stale,
// 3 × 60 s).
void mountChildren(const CollectorProcess& c) {
  auto db = collector::openDatabase(c.dataDir);
  std::int64_t now = util::unixNow();
  for (const auto& [code, name] :
       {std::pair<std::string, std::string>{"DC", "Huyện Đức Cơ"}, {"TH", "Huyện Thanh Hà"}}) {
    collector::org::putUnit(*db, {code, "QNG", name, name, collector::org::UnitKind::District},
                            "test", now);
  }
  fed::UnitCodes own;
  for (const auto& u : collector::org::loadOrg(*db).units) own.insert(u.code);
  fed::registerChild(*db, kHealthy, "DC", now);
  fed::registerChild(*db, kStale, "TH", now - 1300);
  auto ack = fed::applyPush(*db, kHealthy, own, push("DC", "DC-IA", 3, now), now);
  INFO(ack.message_en());
  REQUIRE(ack.error_code().empty());
  ack = fed::applyPush(*db, kStale, own, push("TH", "TH-TA", 2, now - 1200), now - 1200);
  REQUIRE(ack.error_code().empty());
}

Reply get(const CollectorProcess& c, const Session& s, const std::string& target) {
  return request(c.consoleAddress, http::verb::get, target, {}, s.headers(false));
}

}  // namespace

TEST_CASE(
    "console federation: a province sees its districts' links, endpoints and alerts, read-only") {
  auto c = consoleCollector();
  importSampleOrg(c);
  smallFleet(c, "BS-VP", 2);
  mountChildren(c);
  std::map<std::string, Session> sessions;
  for (const std::string role : {"admin", "soc", "auditor"}) {
    sessions[role] = login(c, role, addUser(c, role, role));
  }

  for (const auto& entry : sessions) {
    // Named, not a structured binding: clang 14 cannot capture one (CAPTURE, INFO).
    const auto& role = entry.first;
    const auto& s = entry.second;
    INFO(role);
    auto children = get(c, s, "/api/v1/federation/children");
    REQUIRE(children.status == 200);
    std::map<std::string, util::Json> byId;
    auto answer = children.json();
    for (const auto& ch : answer.at("children").items()) byId[ch.at("child_id").asString()] = ch;
    REQUIRE(byId.size() == 2);
    CHECK(byId[kHealthy].at("state").asString() == "healthy");
    CHECK(byId[kHealthy].at("mount_unit").asString() == "DC");
    CHECK(byId[kHealthy].at("mount_name_vi").asString() == "Huyện Đức Cơ");
    CHECK(byId[kHealthy].at("endpoints").asInt() == 3);
    CHECK(byId[kHealthy].at("last_sequence").asInt() == 5);
    CHECK(byId[kStale].at("state").asString() == "stale");
    CHECK(byId[kStale].at("endpoints").asInt() == 2);

    auto alerts = get(c, s, "/api/v1/federation/alerts");
    REQUIRE(alerts.status == 200);
    auto a = alerts.json();
    CHECK(a.at("children").asInt() == 2);
    CHECK(a.at("total").asInt() == 2);
    CHECK(a.at("open").asInt() == 2);  // 3 / 2 + 2 / 2
    CHECK(a.at("acknowledged").asInt() == 2);
    CHECK(a.at("counts").items().at(0).at("title_vi").isString());
    CHECK(get(c, s, "/api/v1/federation/alerts?unit=TH").json().at("open").asInt() == 1);
  }
  const Session& admin = sessions["admin"];

  // The endpoint list: this collector's two and the districts' five, with their source.
  auto list = get(c, admin, "/api/v1/endpoints?limit=500");
  REQUIRE(list.status == 200);
  CHECK(list.json().at("total").asInt() == 7);
  std::set<std::string> sources;
  auto listed = list.json();
  for (const auto& e : listed.at("endpoints").items())
    sources.insert(e.at("source").isNull() ? "local" : e.at("source").asString());
  CHECK(sources == std::set<std::string>{"local", kHealthy, kStale});
  auto found = get(c, admin, "/api/v1/endpoints?q=MAY-DC");
  REQUIRE(found.status == 200);
  CHECK(found.json().at("total").asInt() == 3);
  auto foundRows = found.json();
  for (const auto& e : foundRows.at("endpoints").items()) {
    CHECK(e.at("source").asString() == kHealthy);
    CHECK(e.at("unit").asString() == "DC-IA");
  }
  CHECK(get(c, admin, "/api/v1/endpoints?unit=TH").json().at("total").asInt() == 2);
  CHECK(get(c, admin, "/api/v1/endpoints?unit=BS").json().at("total").asInt() == 2);
  // A keyset page after a district's row, named with its source.
  auto next =
      get(c, admin, "/api/v1/endpoints?limit=1&after_id=fed0000d-0000&after_source=" + kHealthy);
  REQUIRE(next.status == 200);
  CHECK(next.json().at("endpoints").items().at(0).at("agent_id").asString() == "fed0000d-0001");

  // A district endpoint's page: what was pushed, no report, no history here.
  auto detail = get(c, sessions["auditor"], "/api/v1/endpoints/fed0000d-0001?source=" + kHealthy);
  REQUIRE(detail.status == 200);
  auto d = detail.json();
  CHECK(d.at("federated").at("child_id").asString() == kHealthy);
  CHECK(d.at("report").isNull());
  CHECK(d.at("endpoint").at("failing").asInt() == 1);
  CHECK(d.at("checks").items().at(0).at("result").asString() == "fail");
  auto history = get(c, admin, "/api/v1/endpoints/fed0000d-0001/history");
  REQUIRE(history.status == 200);
  CHECK(history.json().at("reports").size() == 0);

  // Read-only: no other method, no session no answer, and the province's own alert actions
  // know only its own alerts (a district's counts have no id here).
  auto post = request(c.consoleAddress, http::verb::post, "/api/v1/federation/alerts", "{}",
                      admin.headers());
  CHECK(post.status == 405);
  CHECK(post.header("allow") == "GET");
  CHECK(request(c.consoleAddress, http::verb::delete_, "/api/v1/federation/children", {},
                admin.headers())
            .status == 405);
  CHECK(request(c.consoleAddress, http::verb::get, "/api/v1/federation/children").status == 401);
  auto bulk = request(c.consoleAddress, http::verb::post, "/api/v1/alerts/bulk",
                      R"({"action":"ack","ids":[999999]})", admin.headers());
  CHECK(bulk.status == 200);
  CHECK(bulk.json().at("updated").asInt() == 0);
  auto own = get(c, admin, "/api/v1/alerts?status=all&limit=500");
  REQUIRE(own.status == 200);
  auto ownAlerts = own.json();
  for (const auto& al : ownAlerts.at("alerts").items())
    CHECK(al.at("subject").asString().find("fed0000") == std::string::npos);
}
