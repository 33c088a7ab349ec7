// Alert groups (issue 17): the alerts of one rule in one unit, their counts kept in step
// with the member alerts, actions on a whole group, the rule of a new member joining an
// acknowledged group, and one notice per group transition.
#include <doctest/doctest.h>

#include "collector/alerts/alerts.h"
#include "collector/alerts/groups.h"
#include "collector/alerts/outbox.h"
#include "collector/audit/audit.h"
#include "collector/storage/storage.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;

namespace {
const std::string kRule = "binh-son-2022/endpoint-protected";

WantedAlert failing(const std::string& host, const std::string& unit = "BS-VP",
                    const std::string& rule = kRule) {
  return {rule, "endpoint:" + host, unit, "high", "Máy được bảo vệ", "Endpoint protected",
          host + ": antivirus.real_time=no"};
}

std::vector<WantedAlert> hosts(int from, int to, const std::string& unit = "BS-VP") {
  std::vector<WantedAlert> out;
  std::string prefix = unit == "BS-VP" ? "pc" : unit + "-pc";  // subjects are per machine
  for (int i = from; i < to; ++i) out.push_back(failing(prefix + std::to_string(i), unit));
  return out;
}

// Every group's counts against a count of its member alerts: the number of groups whose
// stored counts disagree (0 when in step).
std::int64_t groupsOutOfStep(db::Connection& db) {
  auto st = db.prepare(
      "SELECT count(*) FROM alert_groups g LEFT JOIN (SELECT rule, unit_code, "
      "sum(status = 'open') o, sum(status = 'acknowledged') a, count(*) n FROM alerts "
      "GROUP BY rule, unit_code) m ON m.rule = g.rule AND m.unit_code = g.unit_code "
      "WHERE g.open != coalesce(m.o, 0) OR g.acknowledged != coalesce(m.a, 0) "
      "OR g.members != coalesce(m.n, 0)");
  REQUIRE(st.step());
  auto groupsWithout = db.prepare(
      "SELECT count(*) FROM (SELECT DISTINCT rule, unit_code FROM alerts) m WHERE NOT EXISTS "
      "(SELECT 1 FROM alert_groups g WHERE g.rule = m.rule AND g.unit_code = m.unit_code)");
  REQUIRE(groupsWithout.step());
  return st.getInt(0) + groupsWithout.getInt(0);
}

std::vector<std::string> eventsOf(db::Connection& db, const std::string& rule, const std::string& unit) {
  std::vector<std::string> out;
  auto g = findGroup(db, rule, unit);
  if (!g) return out;
  for (const auto& e : groupEvents(db, g->id)) out.push_back(e.event + "/" + e.actor);
  return out;
}
}  // namespace

TEST_CASE("group counts follow their members through raise, resolve, reopen and actions") {
  test::TempDir dir("posture-groups-");
  auto db = openDatabase(dir.path());
  auto wanted = hosts(0, 5);
  for (auto& w : hosts(0, 3, "BS-TCKH")) wanted.push_back(w);
  wanted.push_back(failing("pc0", "BS-VP", "posture/endpoint-stale"));
  syncAlertSet(*db, wanted, 1000);
  CHECK(groupsOutOfStep(*db) == 0);
  auto vp = findGroup(*db, kRule, "BS-VP");
  REQUIRE(vp);
  CHECK(vp->open == 5);
  CHECK(vp->status() == "open");
  CHECK(countGroups(*db, {}) == 3);

  // Two fixed; one acknowledged by hand.
  syncAlertSet(*db, [&] {
    auto w = hosts(2, 5);
    for (auto& x : hosts(0, 3, "BS-TCKH")) w.push_back(x);
    return w;
  }(), 1100);
  CHECK(groupsOutOfStep(*db) == 0);
  auto members = listAlerts(*db, [] {
    AlertFilter f;
    f.rule = kRule;
    f.unitCode = "BS-VP";
    return f;
  }());
  REQUIRE(members.size() == 3);
  actOnAlert(*db, members[0].id, AlertAction::Acknowledge, "lan", "", 1150);
  CHECK(groupsOutOfStep(*db) == 0);
  vp = findGroup(*db, kRule, "BS-VP");
  CHECK(vp->open == 2);
  CHECK(vp->acknowledged == 1);
  CHECK(vp->status() == "open");
  // The stale group resolved with its only member; a resolved group is listed with --all.
  auto stale = findGroup(*db, "posture/endpoint-stale", "BS-VP");
  REQUIRE(stale);
  CHECK(stale->status() == "resolved");
  GroupFilter all;
  all.activeOnly = false;
  CHECK(countGroups(*db, all) == 3);
  CHECK(countGroups(*db, {}) == 2);

  // Everything back: the fixed ones reopen.
  syncAlertSet(*db, wanted, 1200);
  CHECK(groupsOutOfStep(*db) == 0);
  CHECK(findGroup(*db, "posture/endpoint-stale", "BS-VP")->status() == "open");

  // A group acknowledged as a whole: every open member, each with its event and audit.
  auto done = actOnGroup(*db, kRule, "BS-VP", AlertAction::Acknowledge, "lan", "đang xử lý", 1300);
  CHECK(done.members == 4);  // 5 active, one acknowledged before
  CHECK(done.group.status() == "acknowledged");
  CHECK(groupsOutOfStep(*db) == 0);
  auto audit = listAudit(*db, "alert:");
  std::size_t withGroup = 0;
  for (const auto& e : audit) {
    if (e.after.find("\"group\":\"" + kRule + "@BS-VP\"") != std::string::npos) ++withGroup;
  }
  CHECK(withGroup == 4);
  // Nothing open left to acknowledge: refused, nothing changed.
  CHECK_THROWS_AS(actOnGroup(*db, kRule, "BS-VP", AlertAction::Acknowledge, "lan", "", 1310), AlertError);
  CHECK_THROWS_AS(actOnGroup(*db, kRule, "NOWHERE", AlertAction::Resolve, "lan", "", 1310), AlertError);
  CHECK_THROWS_AS(actOnGroup(*db, kRule, "BS-VP", AlertAction::Comment, "lan", "", 1310), AlertError);

  // Assign, comment, resolve on the group: all members, one group event each.
  actOnGroup(*db, kRule, "BS-VP", AlertAction::Assign, "lan", "minh", 1320);
  CHECK(findGroup(*db, kRule, "BS-VP")->assignee == "minh");
  actOnGroup(*db, kRule, "BS-VP", AlertAction::Comment, "lan", "gọi VNPT", 1330);
  auto resolved = actOnGroup(*db, kRule, "BS-VP", AlertAction::Resolve, "lan", "", 1340);
  CHECK(resolved.members == 5);
  CHECK(resolved.group.status() == "resolved");
  CHECK(groupsOutOfStep(*db) == 0);
  CHECK(eventsOf(*db, kRule, "BS-VP") ==
        std::vector<std::string>{"opened/posture", "acknowledged/lan",
                                 "assigned/lan", "commented/lan", "resolved/lan"});
  // (Members coming and going while the group stayed open wrote no group event.) Each
  // member has its own events too.
  for (const auto& e : alertEvents(*db, members[1].id)) CHECK(!e.event.empty());
  CHECK(alertEvents(*db, members[1].id).back().event == "resolved");
}

TEST_CASE("a new member of an acknowledged group arrives open, inherits the assignee, reopens the group once") {
  test::TempDir dir("posture-groups-join-");
  auto db = openDatabase(dir.path());
  syncAlertSet(*db, hosts(0, 3), 1000);
  actOnGroup(*db, kRule, "BS-VP", AlertAction::Acknowledge, "lan", "", 1100);
  actOnGroup(*db, kRule, "BS-VP", AlertAction::Assign, "lan", "minh", 1110);
  auto g = findGroup(*db, kRule, "BS-VP");
  REQUIRE(g);
  CHECK(g->status() == "acknowledged");

  // Two more machines fail the same rule in the same unit.
  auto change = applyAlertDelta(*db, hosts(3, 5), {}, 1200);
  CHECK(change.opened == 2);
  g = findGroup(*db, kRule, "BS-VP");
  CHECK(g->status() == "open");
  CHECK(g->open == 2);
  CHECK(g->acknowledged == 3);  // the acknowledged ones stay acknowledged
  CHECK(groupsOutOfStep(*db) == 0);
  AlertFilter f;
  f.rule = kRule;
  for (const auto& a : listAlerts(*db, f)) {
    CHECK(a.assignee == "minh");  // inherited: every active member shared it
    CHECK(a.status == (a.subject == "endpoint:pc3" || a.subject == "endpoint:pc4" ? "open" : "acknowledged"));
  }
  auto events = groupEvents(*db, g->id);
  REQUIRE(events.size() == 4);  // opened, acknowledged, assigned, reopened
  CHECK(events.back().event == "reopened");
  CHECK(events.back().actor == "posture");
  CHECK(events.back().detail.find("2 new since acknowledged") == 0);

  // Mixed assignees: a newcomer inherits nobody.
  auto members = listAlerts(*db, f);
  actOnAlert(*db, members[0].id, AlertAction::Assign, "lan", "hoa", 1300);
  CHECK(findGroup(*db, kRule, "BS-VP")->assignee.empty());
  applyAlertDelta(*db, hosts(5, 6), {}, 1400);
  CHECK(findAlert(*db, listAlerts(*db, f).back().id)->assignee.empty());
}

TEST_CASE("notices go per group transition: 300 endpoints failing one rule in one unit are one notice") {
  test::TempDir dir("posture-groups-notice-");
  auto db = openDatabase(dir.path());
  std::int64_t position = 0;
  CHECK(pendingNotices(*db, 1000, position).empty());  // starts at the newest event
  advanceOutbox(*db, position);
  syncAlertSet(*db, hosts(0, 300), 1000);
  auto notices = pendingNotices(*db, 1000, position);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].event == "opened");
  CHECK(notices[0].rule == kRule);
  CHECK(notices[0].unitCode == "BS-VP");
  CHECK(notices[0].severity == "high");
  CHECK(notices[0].members == 300);
  CHECK(notices[0].membersOpen == 300);
  CHECK(notices[0].subject == kRule + "@BS-VP");
  advanceOutbox(*db, position);

  // More members of an open group: no notice. A person's group ack: one notice.
  applyAlertDelta(*db, hosts(300, 310), {}, 1100);
  CHECK(pendingNotices(*db, 1000, position).empty());
  actOnGroup(*db, kRule, "BS-VP", AlertAction::Acknowledge, "lan", "đã giao", 1200);
  notices = pendingNotices(*db, 1000, position);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].event == "acknowledged");
  CHECK(notices[0].actor == "lan");
  CHECK(notices[0].status == "acknowledged");
  CHECK(notices[0].membersAcknowledged == 310);
  CHECK(notices[0].detail.find("đã giao") == 0);
  advanceOutbox(*db, position);

  // All fixed: one "resolved" by the evaluator.
  syncAlertSet(*db, {}, 1300);
  notices = pendingNotices(*db, 1000, position);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].event == "resolved");
  CHECK(notices[0].actor == "posture");
  CHECK(notices[0].members == 0);
  advanceOutbox(*db, position);
  // And back: one "reopened".
  syncAlertSet(*db, hosts(0, 2), 1400);
  notices = pendingNotices(*db, 1000, position);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].event == "reopened");
}

TEST_CASE("group keys and the grouped list's filters and keyset pages") {
  CHECK(parseGroupKey("a/b@BS-VP") == std::make_pair(std::string("a/b"), std::string("BS-VP")));
  CHECK(parseGroupKey("a/b@") == std::make_pair(std::string("a/b"), std::string()));
  CHECK_FALSE(parseGroupKey("a/b"));
  CHECK_FALSE(parseGroupKey("@BS"));
  CHECK(groupKey("r", "") == "r@");

  test::TempDir dir("posture-groups-list-");
  auto db = openDatabase(dir.path());
  std::vector<WantedAlert> wanted;
  for (const char* unit : {"U1", "U2", "U3", "U4"}) {
    for (auto& w : hosts(0, 2, unit)) wanted.push_back(w);
    wanted.push_back(failing(std::string("x-") + unit, unit, "other/rule"));
  }
  syncAlertSet(*db, wanted, 1000);
  GroupFilter f;
  f.limit = 3;
  auto first = listGroups(*db, f);
  REQUIRE(first.size() == 3);
  f.afterId = first.back().id;
  auto second = listGroups(*db, f);
  CHECK(second.size() == 3);
  CHECK(second.front().id > first.back().id);
  f = {};
  f.unitCodes = {"U1", "U2"};
  f.rulePrefix = "binh-son";
  CHECK(countGroups(*db, f) == 2);
  auto rollup = rollupByRule(*db, GroupFilter{});
  REQUIRE(rollup.size() == 2);
  CHECK(rollup[0].rule == kRule);
  CHECK(rollup[0].units == 4);
  CHECK(rollup[0].open == 8);
  CHECK(rollup[1].units == 4);
  CHECK(rollup[1].open == 4);
}
