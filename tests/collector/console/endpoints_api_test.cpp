// The endpoint list's posture at a glance (issue 17): the posture columns ReportWriter
// stores from each latest report (and the one-off fill of rows stored before them), every
// filter (unit, host-name prefix, OS, failing rule, stale), every sort in both directions
// walked by keyset pages with neither duplicate nor gap (this collector's rows merged with
// a child's), bad parameters refused naming the field, and the CSV of the filtered view.
#include "collector/console/endpoints_api.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "collector/export/csv.h"
#include "collector/federation/mounts.h"
#include "collector/org/org.h"
#include "collector/storage/endpoint_posture.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"
#include "tests/collector/federation/picture.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
namespace fed = posture::collector::federation;
namespace ft = posture::test::federation;

namespace {

constexpr std::int64_t kStaleAfter = 7 * util::kSecondsPerDay;
constexpr std::int64_t kDay = util::kSecondsPerDay;
constexpr int kLocal = 30;

v1::Tristate tri(int v) {
  return v < 0 ? v1::TRISTATE_UNKNOWN : v ? v1::TRISTATE_ON : v1::TRISTATE_OFF;
}

// District D (units D-A, D-B) with 30 endpoints of its own whose posture varies column by
// column (with ties and unknowns), and a child c1 mounted at D-C that pushed three rows.
struct Fleet {
  test::TempDir dir{"posture-console-endpoints-"};
  std::unique_ptr<db::Connection> db = openDatabase(dir.path());
  std::vector<policy::Policy> policies;
  std::int64_t now = util::unixNow();

  Fleet() {
    using org::UnitKind;
    for (const auto& [code, parent, kind] : std::vector<std::tuple<std::string, std::string, UnitKind>>{
             {"D", "", UnitKind::District}, {"D-A", "D", UnitKind::Commune},
             {"D-B", "D", UnitKind::Commune}, {"D-C", "D", UnitKind::Commune}}) {
      org::putUnit(*db, {code, parent, code, code, kind}, "test", now);
    }
    for (int i = 0; i < kLocal; ++i) local(i);
    fed::registerChild(*db, "c1", "D-C", now);
    fed::UnitCodes own{"D", "D-A", "D-B", "D-C"};
    v1::FederationPush p;
    p.set_epoch(1);
    p.set_snapshot(true);
    p.set_detail("endpoints");
    p.set_interval_seconds(60);
    p.set_sent_at(now);
    std::uint64_t seq = 1;
    // a0000000000000005 also exists here: a child's row with a local row's agent id.
    for (const auto& agent : {"c0000000000000001", "c0000000000000002", "a0000000000000005"}) {
      auto c = ft::endpoint(agent, "D-C");
      c.mutable_endpoint()->set_last_seen(now);
      c.set_sequence(seq++);
      *p.add_changes() = c;
    }
    p.set_snapshot_through(seq - 1);
    REQUIRE(fed::applyPush(*db, "c1", own, p, now).error_code().empty());
    policies.push_back(policy::loadPolicyFile(std::filesystem::path(POSTURE_SOURCE_DIR) /
                                              "policies/binh-son-2022.yaml"));
  }

  static std::string agentOf(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "a%016d", i);
    return buf;
  }

  void local(int i) {
    v1::Report r;
    r.set_sequence(1);
    r.mutable_collected_at()->set_seconds(now);
    std::string host = (i % 2 ? "PC-" : "pc-") + std::to_string(100 + i);
    r.mutable_identity()->set_hostname(host);
    r.mutable_identity()->mutable_probe()->set_status(v1::PROBE_STATUS_OK);
    r.mutable_identity()->set_os_name(i % 3 ? "Windows" : "Ubuntu");
    r.mutable_identity()->set_os_version(i % 3 ? "10 Pro" : "22.04");
    auto* av = r.mutable_antivirus();
    av->mutable_probe()->set_status(i % 11 == 10 ? v1::PROBE_STATUS_ERROR : v1::PROBE_STATUS_OK);
    if (i % 3 != 0) {
      auto* p = av->add_products();
      p->set_name(i % 2 ? "BKAV Pro" : "Kaspersky");
      p->set_real_time_protection(tri(i % 4 == 3 ? -1 : i % 4 != 0));
      p->mutable_signature_time()->set_seconds(now - (i % 20) * kDay);
    }
    auto* pa = r.mutable_patches();
    pa->mutable_probe()->set_status(v1::PROBE_STATUS_OK);
    if (i % 6 != 5) pa->set_pending_updates(i % 5);
    pa->set_pending_security_updates(i % 3);
    pa->set_reboot_required(tri(i % 2));
    auto* ip = r.mutable_ipv6();
    ip->mutable_probe()->set_status(i % 7 == 0 ? v1::PROBE_STATUS_ERROR : v1::PROBE_STATUS_OK);
    ip->set_readiness_level(i % 5);
    auto* fw = r.mutable_firewall();
    fw->mutable_probe()->set_status(v1::PROBE_STATUS_OK);
    fw->set_enabled(tri(i % 4 == 0 ? -1 : i % 4 != 1));
    ReportRecord rec;
    rec.agentId = agentOf(i);
    rec.unitCode = i % 2 ? "D-A" : "D-B";
    rec.hostname = host;
    rec.sequence = 1;
    rec.collectedAt = now;
    rec.body = r.SerializeAsString();
    db::Transaction tx(*db);
    ReportWriter(*db).insert(rec, i == 29 ? now - 10 * kDay : now);  // one stale endpoint
    tx.commit();
  }

  void alert(const std::string& rule, int i, const std::string& status) {
    db->prepare("INSERT INTO alerts(rule, subject, unit_code, severity, status, title_vi, title_en, "
                "detail, first_seen, last_seen) VALUES (?, ?, ?, 'high', ?, 't', 't', '', ?, ?)")
        .bind(1, rule)
        .bind(2, "endpoint:" + agentOf(i))
        .bind(3, i % 2 ? "D-A" : "D-B")  // the endpoint's unit, as the evaluator raises it
        .bind(4, status)
        .bind(5, now)
        .bind(6, now)
        .run();
  }

  net::Response raw(const console::Query& q) { return console::listEndpoints(*db, q, kStaleAfter, policies); }
  util::Json list(const console::Query& q) {
    auto r = raw(q);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return util::parseJson(r.body);
  }
};

std::vector<std::string> keys(const util::Json& answer) {
  std::vector<std::string> out;
  for (const auto& e : answer.at("endpoints").items()) {
    out.push_back(e.at("agent_id").asString() + "@" +
                  (e.at("source").isNull() ? std::string("local") : e.at("source").asString()));
  }
  return out;
}

const util::Json& row(const util::Json& answer, const std::string& agent) {
  for (const auto& e : answer.at("endpoints").items())
    if (e.at("agent_id").asString() == agent && e.at("source").isNull()) return e;
  FAIL("no row " << agent);
  throw std::logic_error("unreachable");
}

void checkBadRequest(const net::Response& r, const std::string& field) {
  INFO(r.body);
  CHECK(r.status == 400);
  CHECK(r.body.find("'" + field + "'") != std::string::npos);
}

}  // namespace

TEST_CASE("endpoint list: the posture columns come from the latest report's facts") {
  Fleet f;
  auto all = f.list({{"limit", "500"}});
  CHECK(all.at("total").asInt() == kLocal + 3);
  // #5: Windows 10 Pro, BKAV Pro, real time on, signatures 5 days old, 0 pending, 2 security
  // updates pending, reboot needed, IPv6 level 0, firewall off.
  const auto& e5 = row(all, Fleet::agentOf(5));
  CHECK(e5.at("os").asString() == "Windows 10 Pro");
  const auto& p = e5.at("posture");
  CHECK(p.at("av_product").asString() == "BKAV Pro");
  CHECK(p.at("av_installed").asBool());
  CHECK(p.at("real_time").asBool());
  CHECK(p.at("signature_age_days").asDouble() == doctest::Approx(5.0).epsilon(0.02));
  CHECK(p.at("pending").isNull());  // i % 6 == 5: not reported
  CHECK(p.at("security").asInt() == 2);
  CHECK(p.at("reboot").asBool());
  CHECK(p.at("ipv6").asInt() == 0);
  CHECK(p.at("firewall").asBool() == false);
  const auto& b = e5.at("badges");
  CHECK(b.at("av").asString() == "ok");
  CHECK(b.at("real_time").asString() == "ok");
  CHECK(b.at("signature").asString() == "ok");
  CHECK(b.at("pending").asString() == "unknown");
  CHECK(b.at("security").asString() == "bad");
  CHECK(b.at("reboot").asString() == "warn");
  CHECK(b.at("ipv6").asString() == "bad");
  CHECK(b.at("firewall").asString() == "bad");
  // #0: Ubuntu, no anti-malware, IPv6 probe failed: unknown, never a default.
  const auto& e0 = row(all, Fleet::agentOf(0));
  CHECK(e0.at("posture").at("av_installed").asBool() == false);
  CHECK(e0.at("badges").at("av").asString() == "bad");
  CHECK(e0.at("posture").at("ipv6").isNull());
  CHECK(e0.at("badges").at("ipv6").asString() == "unknown");
  CHECK(e0.at("posture").at("firewall").isNull());
  // #14: signatures 14 days old: warn; #17: 17 days: bad.
  CHECK(row(all, Fleet::agentOf(14)).at("badges").at("signature").asString() == "warn");
  CHECK(row(all, Fleet::agentOf(17)).at("badges").at("signature").asString() == "bad");
  // #10: the anti-malware probe failed: unknown.
  CHECK(row(all, Fleet::agentOf(10)).at("badges").at("av").asString() == "unknown");
  // A child's row: listed, its posture unknown here.
  for (const auto& e : all.at("endpoints").items()) {
    if (e.at("source").isNull()) continue;
    CHECK(e.at("badges").at("real_time").asString() == "unknown");
    CHECK(e.at("posture").at("ipv6").isNull());
  }
}

TEST_CASE("endpoint list: rows stored before the posture columns are filled once") {
  Fleet f;
  auto before = f.list({{"limit", "500"}});
  f.db->exec("UPDATE endpoints SET os = NULL, av_product = NULL, av_installed = NULL, av_real_time = NULL, "
             "av_signature_at = NULL, patch_pending = NULL, patch_security = NULL, reboot_required = NULL, "
             "ipv6_level = NULL, firewall_on = NULL");
  // Unfilled rows read as unknown, never as "off".
  CHECK(f.list({{"limit", "500"}}).at("endpoints").items()[0].at("badges").at("firewall").asString() == "unknown");
  CHECK(fillMissingPosture(*f.db, f.now, 7) == kLocal);  // in batches of 7
  CHECK(fillMissingPosture(*f.db, f.now) == 0);
  auto after = f.list({{"limit", "500"}});
  CHECK(util::writeJson(after, false) == util::writeJson(before, false));
  // Opening the database runs the same pass (what an upgraded collector does at start).
  f.db->exec("UPDATE endpoints SET os = NULL, ipv6_level = NULL");
  auto reopened = openDatabase(f.dir.path());
  auto missing = reopened->prepare("SELECT count(*) FROM endpoints WHERE os IS NULL OR ipv6_level IS NULL");
  REQUIRE(missing.step());
  CHECK(missing.getInt(0) == 0);
}

TEST_CASE("endpoint list: a newer report moves the posture columns, a late resend does not") {
  Fleet f;
  auto ipv6Of = [&](int i) {
    return row(f.list({{"limit", "500"}}), Fleet::agentOf(i)).at("posture").at("ipv6");
  };
  CHECK(ipv6Of(6).asInt() == 1);
  auto report = [&](std::uint64_t sequence, std::uint32_t level) {
    v1::Report r;
    r.set_sequence(sequence);
    r.mutable_ipv6()->mutable_probe()->set_status(v1::PROBE_STATUS_OK);
    r.mutable_ipv6()->set_readiness_level(level);
    ReportRecord rec;
    rec.agentId = Fleet::agentOf(6);
    rec.unitCode = "D-B";
    rec.hostname = "pc-106";
    rec.sequence = sequence;
    rec.collectedAt = f.now;
    rec.body = r.SerializeAsString();
    db::Transaction tx(*f.db);
    CHECK(ReportWriter(*f.db).insert(rec, f.now));
    tx.commit();
  };
  report(3, 4);
  CHECK(ipv6Of(6).asInt() == 4);
  CHECK(row(f.list({{"limit", "500"}}), Fleet::agentOf(6)).at("posture").at("firewall").isNull());  // not in it
  report(2, 0);  // older than the latest: history only
  CHECK(ipv6Of(6).asInt() == 4);
}

TEST_CASE("endpoint list: filters") {
  Fleet f;
  // Host name prefix in any case (the index), and the agent id's prefix.
  CHECK(f.list({{"q", "pc-10"}}).at("total").asInt() == 10);
  CHECK(f.list({{"q", "PC-10"}}).at("total").asInt() == 10);
  CHECK(keys(f.list({{"q", "pc-105"}})) == std::vector<std::string>{Fleet::agentOf(5) + "@local"});
  CHECK(f.list({{"q", "a000000000000000"}}).at("total").asInt() == 11);  // 10 local + c1's a..05
  CHECK(f.list({{"q", "05"}}).at("total").asInt() == 0);  // not a prefix
  CHECK(f.list({{"q", "05"}, {"match", "substring"}}).at("total").asInt() == 2);  // #5 and c1's
  // Unit subtree; a child's units are in its mount's subtree.
  CHECK(f.list({{"unit", "D-A"}}).at("total").asInt() == 15);
  CHECK(f.list({{"unit", "D-C"}}).at("total").asInt() == 3);
  CHECK(f.list({{"unit", "D"}}).at("total").asInt() == kLocal + 3);
  // OS prefix, as shown (a child's rows say Windows 10 Pro).
  CHECK(f.list({{"os", "Ubuntu"}}).at("total").asInt() == 10);
  CHECK(f.list({{"os", "Windows 10"}}).at("total").asInt() == 20 + 3);
  // Stale: #29 was last seen 10 days ago.
  CHECK(keys(f.list({{"stale", "1"}})) == std::vector<std::string>{Fleet::agentOf(29) + "@local"});
  CHECK(f.list({{"stale", "0"}}).at("total").asInt() == kLocal + 2);
  // Failing rule: open or acknowledged alerts of that rule; resolved ones and other rules not.
  const std::string rule = "binh-son-2022/endpoint-protected";
  f.alert(rule, 3, "open");
  f.alert(rule, 4, "acknowledged");
  f.alert(rule, 6, "resolved");
  f.alert("binh-son-2022/firewall-enabled", 7, "open");
  auto failing = f.list({{"rule", rule}});
  CHECK(failing.at("total").asInt() == 2);
  CHECK(keys(failing) == std::vector<std::string>{Fleet::agentOf(3) + "@local", Fleet::agentOf(4) + "@local"});
  CHECK(f.list({{"rule", rule}, {"unit", "D-B"}}).at("total").asInt() == 1);
  CHECK(f.list({{"rule", "posture/endpoint-stale"}}).at("total").asInt() == 0);
  // Filters combine, and each sort keeps them.
  CHECK(f.list({{"rule", rule}, {"sort", "ipv6"}, {"dir", "desc"}}).at("total").asInt() == 2);
  CHECK(keys(f.list({{"rule", rule}, {"sort", "ipv6"}, {"dir", "desc"}})) ==
        std::vector<std::string>{Fleet::agentOf(4) + "@local", Fleet::agentOf(3) + "@local"});
}

TEST_CASE("endpoint list: bad parameters are refused naming the field") {
  Fleet f;
  checkBadRequest(f.raw({{"rule", "no-such/check"}}), "rule");
  checkBadRequest(f.raw({{"sort", "colour"}}), "sort");
  checkBadRequest(f.raw({{"dir", "up"}}), "dir");
  checkBadRequest(f.raw({{"stale", "maybe"}}), "stale");
  checkBadRequest(f.raw({{"match", "regex"}}), "match");
  checkBadRequest(f.raw({{"after", "not json"}}), "after");
  checkBadRequest(f.raw({{"before", "[\"unit\",[\"D\",\"x\"],\"zz\",\"\"]"}}), "before");  // not an agent id
  // A cursor made under another sort.
  auto first = f.list({{"sort", "ipv6"}, {"limit", "1"}});
  std::string cursor = first.at("endpoints").items()[0].at("cursor").asString();
  checkBadRequest(f.raw({{"sort", "firewall"}, {"after", cursor}}), "after");
  CHECK(f.raw({{"sort", "ipv6"}, {"after", cursor}}).status == 200);
  checkBadRequest(f.raw({{"after", cursor}, {"before", cursor}, {"sort", "ipv6"}}), "before");
  checkBadRequest(f.raw({{"sort", "ipv6"}, {"after_id", "ffff"}}), "after_id");
}

TEST_CASE("endpoint list: every sort, both directions, keyset pages without duplicate or gap") {
  Fleet f;
  for (const auto& column : sortColumns()) {
    for (const std::string dir : {"asc", "desc"}) {
      const std::string sort(column.name);
      INFO("sort=" << sort << " dir=" << dir);
      auto whole = keys(f.list({{"sort", sort}, {"dir", dir}, {"limit", "500"}}));
      REQUIRE(whole.size() == static_cast<std::size_t>(kLocal + 3));
      CHECK(std::set<std::string>(whole.begin(), whole.end()).size() == whole.size());
      // The opposite direction is the exact reverse.
      auto reverse = keys(f.list({{"sort", sort}, {"dir", dir == "asc" ? "desc" : "asc"}, {"limit", "500"}}));
      std::reverse(reverse.begin(), reverse.end());
      CHECK(reverse == whole);
      // Forward by `after` cursors, 4 rows a page.
      std::vector<std::string> walked, cursors;
      console::Query q{{"sort", sort}, {"dir", dir}, {"limit", "4"}};
      for (int guard = 0; guard < 20; ++guard) {
        auto page = f.list(q);
        CHECK(page.at("total").asInt() == kLocal + 3);
        const auto& rows = page.at("endpoints").items();
        for (const auto& k : keys(page)) walked.push_back(k);
        if (rows.empty()) break;
        cursors.push_back(rows.front().at("cursor").asString());
        q["after"] = rows.back().at("cursor").asString();
      }
      CHECK(walked == whole);
      // Backward by `before` from past the end: the same rows.
      std::vector<std::string> back;
      console::Query b{{"sort", sort}, {"dir", dir}, {"limit", "5"}, {"before", ""}};
      auto lastPage = f.list({{"sort", sort}, {"dir", dir}, {"limit", "1"}, {"offset", std::to_string(kLocal + 2)}});
      b["before"] = lastPage.at("endpoints").items()[0].at("cursor").asString();
      back = keys(lastPage);
      for (int guard = 0; guard < 20; ++guard) {
        auto page = f.list(b);
        auto k = keys(page);
        if (k.empty()) break;
        back.insert(back.begin(), k.begin(), k.end());
        b["before"] = page.at("endpoints").items()[0].at("cursor").asString();
      }
      CHECK(back == whole);
      // after_id (an agent id, its key read from the database) continues the same way.
      auto byId = f.list({{"sort", sort}, {"dir", dir}, {"limit", "3"}, {"after_id", Fleet::agentOf(9)}});
      auto at = std::find(whole.begin(), whole.end(), Fleet::agentOf(9) + "@local");
      REQUIRE(at != whole.end());
      CHECK(keys(byId) == std::vector<std::string>(at + 1, std::min(at + 4, whole.end())));
    }
  }
}

TEST_CASE("endpoint list: sorting orders by the column, unknown first when ascending") {
  Fleet f;
  auto ipv6 = f.list({{"sort", "ipv6"}, {"limit", "500"}}).at("endpoints").items();
  int prev = -2;
  for (const auto& e : ipv6) {
    int v = e.at("posture").at("ipv6").isNull() ? -1 : static_cast<int>(e.at("posture").at("ipv6").asInt());
    CHECK(v >= prev);
    prev = v;
  }
  // Signature age ascending: youngest first, unknown last.
  auto sig = f.list({{"sort", "signature_age"}, {"limit", "500"}}).at("endpoints").items();
  double age = -1;
  bool unknownSeen = false;
  for (const auto& e : sig) {
    const auto& a = e.at("posture").at("signature_age_days");
    if (a.isNull()) {
      unknownSeen = true;
      continue;
    }
    CHECK_FALSE(unknownSeen);
    CHECK(a.asDouble() >= age);
    age = a.asDouble();
  }
  // Host name: any case, one order.
  auto host = f.list({{"sort", "hostname"}, {"dir", "desc"}, {"limit", "2"}, {"q", "pc-1"}});
  CHECK(host.at("endpoints").items()[0].at("hostname").asString() == "PC-129");
  CHECK(host.at("endpoints").items()[1].at("hostname").asString() == "pc-128");
}

TEST_CASE("endpoint list: the CSV is the filtered view in its order, bilingual headers") {
  Fleet f;
  console::Query q{{"sort", "security"}, {"dir", "desc"}, {"unit", "D-A"}, {"limit", "2"}};
  auto r = console::endpointsCsv(*f.db, q, kStaleAfter, f.policies, f.now);
  REQUIRE(r.status == 200);
  CHECK(r.contentType.find("text/csv") == 0);
  CHECK(r.body.rfind("\xEF\xBB\xBF", 0) == 0);  // UTF-8 BOM
  auto rows = parseCsv(r.body);
  REQUIRE(rows.size() == 1 + 15);  // every row of the view, paging ignored
  CHECK(rows[0][0] == "Tên máy / Hostname");
  CHECK(rows[0][13] == "Cần khởi động lại / Restart required");
  q["limit"] = "500";
  auto list = f.list(q).at("endpoints").items();
  for (std::size_t i = 0; i < list.size(); ++i) {
    CHECK(rows[i + 1][1] == list[i].at("agent_id").asString());
  }
  // #5's row in Vietnamese, then English.
  auto five = std::find_if(rows.begin(), rows.end(), [](const auto& x) { return x[1] == Fleet::agentOf(5); });
  REQUIRE(five != rows.end());
  CHECK((*five)[8] == "BKAV Pro");
  CHECK((*five)[9] == "có");
  CHECK((*five)[11] == "không rõ");
  CHECK((*five)[12] == "2");
  q["lang"] = "en";
  auto en = parseCsv(console::endpointsCsv(*f.db, q, kStaleAfter, f.policies, f.now).body);
  five = std::find_if(en.begin(), en.end(), [](const auto& x) { return x[1] == Fleet::agentOf(5); });
  REQUIRE(five != en.end());
  CHECK((*five)[9] == "yes");
  CHECK((*five)[11] == "unknown");
  // A bad filter is refused here too, naming it.
  checkBadRequest(console::endpointsCsv(*f.db, {{"rule", "x/y"}}, kStaleAfter, f.policies, f.now), "rule");
}
