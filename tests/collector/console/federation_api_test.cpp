// What a province's console shows of its districts (issue 16), from a province database
// filled the way the push fills it (federation::registerChild, federation::applyPush):
// each link's state at a pinned clock, the endpoint list merging this collector's
// endpoints with the children's rows (search, unit subtree, offset and keyset pages in
// both directions), a child endpoint's page and empty history, and the districts' alert
// counts, read-only.
#include "collector/console/federation_api.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "collector/console/endpoint_history.h"
#include "collector/console/endpoints_api.h"
#include "collector/console/org_api.h"
#include "collector/federation/mounts.h"
#include "collector/federation/readers.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"
#include "tests/collector/federation/picture.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
namespace fed = posture::collector::federation;
namespace ft = posture::test::federation;
using posture::v1::FederationChange;
using posture::v1::FederationPush;

namespace {

constexpr std::int64_t kPushedAt = 1750000000;
constexpr std::int64_t kStaleAfter = 7 * util::kSecondsPerDay;

FederationChange endpointChange(const std::string& agent, const std::string& unit,
                                const std::string& host, bool protectedNow, std::int64_t lastSeen) {
  FederationChange c;
  auto* e = c.mutable_endpoint();
  e->set_agent_id(agent);
  e->set_hostname(host);
  e->set_unit_code(unit);
  e->set_os("Windows 10 Pro");
  auto* f = e->add_facts();
  f->set_name("antivirus.real_time");
  f->set_flag(protectedNow);
  f = e->add_facts();
  f->set_name("antivirus.signature_age_days");
  f->set_number(2.5);
  e->set_facts_at(lastSeen - 60);
  auto* ch = e->add_checks();
  ch->set_policy_id("binh-son-2022");
  ch->set_check_id("endpoint-protected");
  ch->set_result(protectedNow ? v1::CHECK_RESULT_MET : v1::CHECK_RESULT_NOT_MET);
  ch = e->add_checks();
  ch->set_policy_id("district-own-plan");
  ch->set_check_id("local-rule");
  ch->set_result(v1::CHECK_RESULT_UNKNOWN);
  e->set_last_seen(lastSeen);
  return c;
}

FederationChange alertCount(const std::string& unit, const std::string& rule,
                            const std::string& severity, std::uint32_t open, std::uint32_t ack) {
  FederationChange c;
  auto* a = c.mutable_alert_count();
  a->set_unit_code(unit);
  a->set_rule(rule);
  a->set_severity(severity);
  a->set_open(open);
  a->set_acknowledged(ack);
  return c;
}

FederationPush snapshot(std::vector<FederationChange> changes, std::uint64_t through = 0) {
  FederationPush p;
  p.set_epoch(1);
  p.set_snapshot(true);
  p.set_detail("endpoints");
  p.set_interval_seconds(60);
  p.set_sent_at(kPushedAt);
  std::uint64_t seq = 1;
  for (auto& c : changes) {
    c.set_sequence(seq++);
    *p.add_changes() = c;
  }
  p.set_snapshot_through(through ? through : seq - 1);
  return p;
}

// A province QNG with its own office QNG-VP (two endpoints of its own) and four children:
// c1 under BS (healthy: three endpoints, alert counts), c2 under DC (no push yet), c3 under
// TH (its snapshot not complete), c4 under AK (pushed one endpoint, then revoked).
struct Province {
  test::TempDir dir{"posture-console-federation-"};
  std::unique_ptr<db::Connection> db = openDatabase(dir.path());
  std::vector<policy::Policy> policies;
  std::int64_t now = util::unixNow();

  Province() {
    using org::UnitKind;
    for (const auto& [code, parent, kind, vi] :
         std::vector<std::tuple<std::string, std::string, UnitKind, std::string>>{
             {"QNG", "", UnitKind::Province, "Tỉnh Quảng Ngãi"},
             {"QNG-VP", "QNG", UnitKind::Department, "Văn phòng tỉnh"},
             {"BS", "QNG", UnitKind::District, "Huyện Bình Sơn"},
             {"DC", "QNG", UnitKind::District, "Huyện Đức Cơ"},
             {"TH", "QNG", UnitKind::District, "Huyện Thanh Hà"},
             {"AK", "QNG", UnitKind::District, "Huyện An Khương"}}) {
      org::putUnit(*db, {code, parent, vi, vi + " (en)", kind}, "test", now);
    }
    local("aa01", "pc-tinh-1");
    local("aa02", "pc-tinh-2");
    fed::UnitCodes own{"QNG", "QNG-VP", "BS", "DC", "TH", "AK"};
    fed::registerChild(*db, "c1", "BS", kPushedAt);
    fed::registerChild(*db, "c2", "DC", kPushedAt);
    fed::registerChild(*db, "c3", "TH", kPushedAt);
    fed::registerChild(*db, "c4", "AK", kPushedAt);
    auto ok = [](const v1::FederationAck& a) {
      INFO(a.message_en());
      REQUIRE(a.error_code().empty());
    };
    ok(fed::applyPush(
        *db, "c1", own,
        snapshot({ft::unit("BS-A", ""), endpointChange("bb01", "BS-A", "pc-xa-1", true, now),
                  endpointChange("bb02", "BS-A", "pc-xa-2", false, now),
                  endpointChange("cc01", "BS", "pc-huyen", true, now - 30 * util::kSecondsPerDay),
                  alertCount("BS-A", "binh-son-2022/endpoint-protected", "high", 3, 1),
                  alertCount("BS-A", "district-own/rule", "low", 0, 2),
                  ft::system("BS-SYS", "BS-A")}),
        kPushedAt));
    ok(fed::applyPush(*db, "c3", own, snapshot({ft::unit("TH-A", "")}, 5), kPushedAt));
    ok(fed::applyPush(*db, "c4", own, snapshot({endpointChange("dd01", "AK", "pc-ak", true, now)}),
                      kPushedAt));
    REQUIRE(fed::revokeChild(*db, "c4", kPushedAt + 10));
    policies.push_back(policy::loadPolicyFile(std::filesystem::path(POSTURE_SOURCE_DIR) /
                                              "policies/binh-son-2022.yaml"));
  }

  void local(const std::string& agent, const std::string& host) {
    v1::Report r;
    r.set_sequence(1);
    r.mutable_collected_at()->set_seconds(now);
    r.mutable_identity()->set_hostname(host);
    r.mutable_identity()->set_os_name("Ubuntu");
    ReportRecord rec;
    rec.agentId = agent;
    rec.unitCode = "QNG-VP";
    rec.hostname = host;
    rec.sequence = 1;
    rec.collectedAt = now;
    rec.body = r.SerializeAsString();
    db::Transaction tx(*db);
    ReportWriter(*db).insert(rec, now);
    tx.commit();
  }

  util::Json get(const net::Response& r, unsigned status = 200) {
    INFO(r.body);
    REQUIRE(r.status == status);
    return util::parseJson(r.body);
  }
  util::Json endpoints(const console::Query& q) {
    return get(console::listEndpoints(*db, q, kStaleAfter, policies));
  }
};

// "agent@source" of each row of a list answer, in order.
std::vector<std::string> keys(const util::Json& list) {
  std::vector<std::string> out;
  for (const auto& e : list.at("endpoints").items()) {
    out.push_back(e.at("agent_id").asString() + "@" +
                  (e.at("source").isNull() ? std::string("local") : e.at("source").asString()));
  }
  return out;
}

const util::Json& child(const util::Json& answer, const std::string& id) {
  for (const auto& c : answer.at("children").items()) {
    if (c.at("child_id").asString() == id) return c;
  }
  FAIL("no child " << id);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("federation console: each child's link state at a pinned clock") {
  Province p;
  auto at = [&](std::int64_t now) { return p.get(console::federationChildren(*p.db, now)); };
  auto in = at(kPushedAt + 100);
  CHECK(in.at("now").asInt() == kPushedAt + 100);
  REQUIRE(in.at("children").size() == 4);
  const auto& c1 = child(in, "c1");
  CHECK(c1.at("state").asString() == "healthy");
  CHECK(c1.at("healthy").asBool());
  CHECK(c1.at("mount_unit").asString() == "BS");
  CHECK(c1.at("mount_name_vi").asString() == "Huyện Bình Sơn");
  CHECK(c1.at("last_push_at").asInt() == kPushedAt);
  CHECK(c1.at("interval_seconds").asInt() == 60);
  CHECK(c1.at("stale_after_seconds").asInt() == 180);
  CHECK(c1.at("epoch").asInt() == 1);
  CHECK(c1.at("last_sequence").asInt() == 7);
  CHECK(c1.at("snapshot_complete").asBool());
  CHECK(c1.at("endpoints").asInt() == 3);
  CHECK(c1.at("detail").asString() == "endpoints");
  CHECK(child(in, "c2").at("state").asString() == "waiting");
  CHECK(child(in, "c2").at("last_push_at").isNull());
  CHECK(child(in, "c2").at("endpoints").asInt() == 0);
  CHECK(child(in, "c3").at("state").asString() == "incomplete");
  CHECK_FALSE(child(in, "c3").at("snapshot_complete").asBool());
  CHECK(child(in, "c4").at("state").asString() == "revoked");
  CHECK(child(in, "c4").at("revoked_at").asInt() == kPushedAt + 10);
  CHECK(child(in, "c4").at("endpoints").asInt() == 1);

  // 3 × 60 s after the last push it is still healthy; one second more and it is stale.
  CHECK(child(at(kPushedAt + 180), "c1").at("state").asString() == "healthy");
  auto late = at(kPushedAt + 181);
  CHECK(child(late, "c1").at("state").asString() == "stale");
  CHECK_FALSE(child(late, "c1").at("healthy").asBool());
  CHECK(child(late, "c3").at("state").asString() == "stale");  // stale before incomplete
  CHECK(child(late, "c4").at("state").asString() == "revoked");
}

TEST_CASE("federation console: the endpoint list merges the children's rows, with their source") {
  Province p;
  auto all = p.endpoints({});
  CHECK(all.at("total").asInt() == 6);
  // By unit, host name, agent id: AK, BS, BS-A, QNG-VP.
  CHECK(keys(all) == std::vector<std::string>{"dd01@c4", "cc01@c1", "bb01@c1", "bb02@c1",
                                              "aa01@local", "aa02@local"});
  const auto& rows = all.at("endpoints").items();
  CHECK(rows[1].at("stale").asBool());  // last seen 30 days ago
  CHECK_FALSE(rows[2].at("stale").asBool());
  CHECK(rows[2].at("os").asString() == "Windows 10 Pro");
  CHECK(rows[2].at("unit").asString() == "BS-A");
  CHECK(rows[2].at("failing").asInt() == 0);
  CHECK(rows[3].at("failing").asInt() == 1);  // its pushed check not met
  CHECK(rows[4].at("os").asString() == "Ubuntu");

  // The search and the unit filter (a child's units are in the subtree of its mount).
  CHECK(keys(p.endpoints({{"q", "PC-XA"}})) == std::vector<std::string>{"bb01@c1", "bb02@c1"});
  CHECK(p.endpoints({{"q", "pc-xa"}}).at("total").asInt() == 2);
  CHECK(keys(p.endpoints({{"q", "dd0"}})) == std::vector<std::string>{"dd01@c4"});
  auto bs = p.endpoints({{"unit", "BS"}});
  CHECK(bs.at("total").asInt() == 3);
  CHECK(keys(bs) == std::vector<std::string>{"cc01@c1", "bb01@c1", "bb02@c1"});
  // The search is a prefix (an index); any part of the name only as an explicit option.
  CHECK(p.endpoints({{"unit", "BS-A"}, {"q", "2"}}).at("total").asInt() == 0);
  CHECK(keys(p.endpoints({{"unit", "BS-A"}, {"q", "2"}, {"match", "substring"}})) ==
        std::vector<std::string>{"bb02@c1"});
  CHECK(p.endpoints({{"unit", "QNG"}}).at("total").asInt() == 6);
  CHECK(p.endpoints({{"unit", "DC"}}).at("total").asInt() == 0);
}

TEST_CASE("federation console: offset and keyset pages walk the merged list in both directions") {
  Province p;
  std::vector<std::string> all = keys(p.endpoints({}));
  // Forwards by keyset, two at a time: after the last row of each page (its source named).
  std::vector<std::string> walked;
  console::Query q{{"limit", "2"}};
  for (int page = 0; page < 5; ++page) {
    auto answer = p.endpoints(q);
    CHECK(answer.at("total").asInt() == 6);
    const auto& list = answer.at("endpoints").items();
    if (list.empty()) break;
    for (const auto& k : keys(answer)) walked.push_back(k);
    const auto& last = list.back();
    q = {{"limit", "2"}, {"after_id", last.at("agent_id").asString()}};
    if (!last.at("source").isNull()) q["after_source"] = last.at("source").asString();
  }
  CHECK(walked == all);
  // Offsets give the same pages.
  CHECK(keys(p.endpoints({{"limit", "2"}, {"offset", "2"}})) ==
        std::vector<std::string>{all[2], all[3]});
  // Backwards: the page before bb02 (c1) and before aa01 (this collector's).
  CHECK(keys(p.endpoints({{"limit", "2"}, {"before_id", "bb02"}, {"before_source", "c1"}})) ==
        std::vector<std::string>{all[1], all[2]});
  CHECK(keys(p.endpoints({{"limit", "3"}, {"before_id", "aa01"}})) ==
        std::vector<std::string>{all[1], all[2], all[3]});
  // A child's row found without its source (no endpoint of this collector has the id).
  CHECK(keys(p.endpoints({{"limit", "1"}, {"after_id", "cc01"}})) ==
        std::vector<std::string>{all[2]});
  // Refusals name the parameter.
  auto bad =
      console::listEndpoints(*p.db, {{"after_id", "bb01"}, {"after_source", "c2"}}, kStaleAfter, p.policies);
  CHECK(bad.status == 400);
  CHECK(bad.body.find("after_id") != std::string::npos);
  bad = console::listEndpoints(*p.db, {{"after_id", "bb01"}, {"after_source", "c 1"}}, kStaleAfter, p.policies);
  CHECK(bad.status == 400);
  CHECK(bad.body.find("after_source") != std::string::npos);
}

TEST_CASE("federation console: a child's endpoint page shows what was pushed; no history here") {
  Province p;
  auto detail = p.get(console::endpointDetail(*p.db, "bb02", p.policies, kStaleAfter, {}));
  const auto& e = detail.at("endpoint");
  CHECK(e.at("source").asString() == "c1");
  CHECK(e.at("hostname").asString() == "pc-xa-2");
  CHECK(e.at("failing").asInt() == 1);
  CHECK(detail.at("report").isNull());
  CHECK(detail.at("federated").at("child_id").asString() == "c1");
  CHECK(detail.at("federated").at("mount_unit").asString() == "BS");
  CHECK(detail.at("federated").at("facts_at").asInt() == p.now - 60);
  // Facts as pushed: the signature age is not moved on.
  bool sawRealTime = false, sawAge = false;
  for (const auto& f : detail.at("facts").items()) {
    if (f.at("name").asString() == "antivirus.real_time") {
      sawRealTime = true;
      CHECK(f.at("value_vi").asString() == "không");
      CHECK(f.at("value_en").asString() == "no");
      CHECK(f.at("known").asBool());
    }
    if (f.at("name").asString() == "antivirus.signature_age_days") {
      sawAge = true;
      CHECK(f.at("value_en").asString() == "2.5");
      CHECK(f.at("value_vi").asString() == "2,5");
    }
  }
  CHECK(sawRealTime);
  CHECK(sawAge);
  const auto& checks = detail.at("checks").items();
  REQUIRE(checks.size() == 2);
  CHECK(checks[0].at("policy").asString() == "binh-son-2022");
  CHECK(checks[0].at("result").asString() == "fail");
  CHECK(checks[0].at("severity").asString() == "high");
  CHECK(checks[0].at("title_vi").asString().find("phòng, chống mã độc") != std::string::npos);
  CHECK_FALSE(checks[0].at("remediation_vi").isNull());
  // A check of the district's own plans that the province does not hold: its ids only.
  CHECK(checks[1].at("id").asString() == "local-rule");
  CHECK(checks[1].at("result").asString() == "unknown");
  CHECK(checks[1].at("title_vi").isNull());

  // Named by its source too; another child does not hold it.
  CHECK(
      console::endpointDetail(*p.db, "bb02", p.policies, kStaleAfter, {{"source", "c1"}}).status ==
      200);
  CHECK(
      console::endpointDetail(*p.db, "bb02", p.policies, kStaleAfter, {{"source", "c2"}}).status ==
      404);
  CHECK(console::endpointDetail(*p.db, "ee99", p.policies, kStaleAfter, {}).status == 404);
  // This collector's own endpoint still comes with its report.
  auto own = p.get(console::endpointDetail(*p.db, "aa01", p.policies, kStaleAfter, {}));
  CHECK(own.at("endpoint").at("source").isNull());
  CHECK(own.at("report").isObject());

  auto history = p.get(console::endpointHistory(*p.db, "bb02", {}, p.policies));
  CHECK(history.at("source").asString() == "c1");
  CHECK(history.at("total").asInt() == 0);
  CHECK(history.at("reports").size() == 0);
  auto ownHistory = p.get(console::endpointHistory(*p.db, "aa01", {}, p.policies));
  CHECK(ownHistory.at("source").isNull());
  CHECK(ownHistory.at("total").asInt() == 1);
}

TEST_CASE("federation console: the districts' alert counts, filtered, with titles where known") {
  Province p;
  auto all = p.get(console::federationAlerts(*p.db, {}, p.policies));
  CHECK(all.at("children").asInt() == 4);
  CHECK(all.at("total").asInt() == 2);
  CHECK(all.at("open").asInt() == 3);
  CHECK(all.at("acknowledged").asInt() == 3);
  const auto& first = all.at("counts").items().at(0);
  CHECK(first.at("child_id").asString() == "c1");
  CHECK(first.at("unit").asString() == "BS-A");
  CHECK(first.at("rule").asString() == "binh-son-2022/endpoint-protected");
  CHECK(first.at("severity").asString() == "high");
  CHECK(first.at("open").asInt() == 3);
  CHECK(first.at("acknowledged").asInt() == 1);
  CHECK(first.at("title_en").asString().find("anti-malware") != std::string::npos);
  CHECK(all.at("counts").items().at(1).at("title_vi").isNull());

  auto count = [&](const console::Query& q) {
    return p.get(console::federationAlerts(*p.db, q, p.policies)).at("total").asInt();
  };
  CHECK(count({{"unit", "BS"}}) == 2);
  CHECK(count({{"unit", "DC"}}) == 0);
  CHECK(count({{"severity", "low"}}) == 1);
  CHECK(count({{"rule", "binh-son"}}) == 1);
  CHECK(count({{"rule", "%"}}) == 0);  // a prefix, not a LIKE pattern
  CHECK(count({{"child", "c2"}}) == 0);
  CHECK(count({{"limit", "1"}, {"offset", "1"}}) == 2);
  CHECK(p.get(console::federationAlerts(*p.db, {{"limit", "1"}, {"offset", "1"}}, p.policies))
            .at("counts")
            .size() == 1);
  CHECK(console::federationAlerts(*p.db, {{"severity", "urgent"}}, p.policies).status == 400);
  CHECK(console::federationAlerts(*p.db, {{"unit", "BS A"}}, p.policies).status == 400);
}

TEST_CASE(
    "federation console: a district's units and systems are listed but edited at the district") {
  Province p;
  auto systems = p.get(console::listSystems(*p.db));
  REQUIRE(systems.at("systems").size() == 1);
  CHECK(systems.at("systems").items()[0].at("code").asString() == "BS-SYS");
  CHECK(systems.at("systems").items()[0].at("source").asString() == "c1");
  auto body = [](const std::string& unit) {
    util::Json b = util::Json::object();
    b.set("unit", unit);
    b.set("name_vi", "Hệ thống thử");
    b.set("level", std::int64_t{2});
    return b;
  };
  auto refused = [&](const net::Response& r, const std::string& names) {
    INFO(r.body);
    CHECK(r.status == 409);
    CHECK(r.body.find("\"federated\"") != std::string::npos);
    CHECK(r.body.find(names) != std::string::npos);
    CHECK(r.body.find("collector cấp dưới c1") != std::string::npos);
  };
  std::string before =
      p.get(console::listSystems(*p.db)).at("systems").items()[0].at("name_vi").asString();
  refused(console::putInfoSystem(*p.db, "BS-SYS", body("QNG-VP"), "admin"), "BS-SYS");
  refused(console::deleteInfoSystem(*p.db, "BS-SYS", "admin"), "BS-SYS");
  refused(console::putInfoSystem(*p.db, "NEW-SYS", body("BS-A"), "admin"), "BS-A");
  util::Json layer = util::Json::object();
  layer.set("reference", "Nguyễn Văn A");
  layer.set("document", "1/QĐ");
  layer.set("date", "2024-01-02");
  refused(console::putLayerRecord(*p.db, "BS-A", "1", layer, "admin"), "BS-A");
  CHECK(p.get(console::listSystems(*p.db)).at("systems").size() == 1);
  CHECK(p.get(console::listSystems(*p.db)).at("systems").items()[0].at("name_vi").asString() ==
        before);
  // The province's own units and systems are still edited here.
  CHECK(console::putInfoSystem(*p.db, "NEW-SYS", body("QNG-VP"), "admin").status == 201);
  CHECK(console::putLayerRecord(*p.db, "QNG-VP", "1", layer, "admin").status == 200);
}

TEST_CASE("federation console: a collector without children pages its own endpoints as before") {
  Province p;
  p.db->prepare("DELETE FROM federated_endpoints").run();
  p.local("aa03", "pc-tinh-3");
  CHECK(keys(p.endpoints({})) ==
        std::vector<std::string>{"aa01@local", "aa02@local", "aa03@local"});
  CHECK(keys(p.endpoints({{"limit", "1"}, {"after_id", "aa01"}})) ==
        std::vector<std::string>{"aa02@local"});
  CHECK(keys(p.endpoints({{"limit", "5"}, {"before_id", "aa03"}})) ==
        std::vector<std::string>{"aa01@local", "aa02@local"});
  CHECK(keys(p.endpoints({{"limit", "1"}, {"offset", "2"}})) ==
        std::vector<std::string>{"aa03@local"});
  CHECK(p.endpoints({{"q", "tinh-2"}, {"match", "substring"}}).at("total").asInt() == 1);
}
