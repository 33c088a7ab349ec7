// People's part of the alert lifecycle: acknowledge, assign, comment, resolve — each
// recorded with its actor and audited — and how it meets the evaluator's automatic
// resolution and reopening.
#include <doctest/doctest.h>

#include "collector/alerts/alerts.h"
#include "collector/audit/audit.h"
#include "collector/storage/storage.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;

namespace {
WantedAlert unprotected(const std::string& host) {
  return {"binh-son-2022/endpoint-protected", "endpoint:" + host, "BS-VP", "high",
          "Máy được bảo vệ", "Endpoint protected", host + ": antivirus.real_time=no"};
}
std::vector<std::string> eventsOf(db::Connection& db, std::int64_t id) {
  std::vector<std::string> out;
  for (const auto& e : alertEvents(db, id)) out.push_back(e.event + "/" + e.actor);
  return out;
}
}  // namespace

TEST_CASE("acknowledged alerts resolve when the condition clears and reopen when it recurs") {
  test::TempDir dir("posture-lifecycle-");
  auto db = openDatabase(dir.path());
  auto opened = syncAlertSet(*db, {unprotected("pc1"), unprotected("pc2")}, 1000);
  CHECK(opened.opened == 2);
  REQUIRE(opened.events.size() == 2);
  std::int64_t id = opened.events[0].alertId;

  auto acked = actOnAlert(*db, id, AlertAction::Acknowledge, "lan", "đang kiểm tra", 1100);
  CHECK(acked.status == "acknowledged");
  actOnAlert(*db, id, AlertAction::Assign, "lan", "minh", 1200);
  actOnAlert(*db, id, AlertAction::Comment, "minh", "Đã gỡ phần mềm cũ, \"cài lại\" BKAV", 1300);
  CHECK(findAlert(*db, id)->assignee == "minh");
  CHECK(countOpenAlerts(*db, "BS-VP") == 2);  // acknowledged still counts as open work

  // Still failing at the next evaluation: stays acknowledged, not reopened.
  auto same = syncAlertSet(*db, {unprotected("pc1"), unprotected("pc2")}, 1400);
  CHECK(same.opened + same.reopened + same.resolved == 0);
  CHECK(findAlert(*db, id)->status == "acknowledged");

  // pc1 is fixed: resolved by the evaluator.
  auto fixed = syncAlertSet(*db, {unprotected("pc2")}, 1500);
  CHECK(fixed.resolved == 1);
  CHECK(findAlert(*db, id)->status == "resolved");
  CHECK_THROWS_WITH_AS(actOnAlert(*db, id, AlertAction::Acknowledge, "lan", "", 1550),
                       doctest::Contains("is resolved and cannot be acknowledged"), AlertError);

  // It recurs: the same alert reopens, keeping its assignee and history.
  auto recurred = applyAlertDelta(*db, {unprotected("pc1")}, {}, 1600);
  CHECK(recurred.reopened == 1);
  CHECK(findAlert(*db, id)->status == "open");
  CHECK(findAlert(*db, id)->assignee == "minh");
  CHECK(eventsOf(*db, id) == std::vector<std::string>{"opened/posture", "acknowledged/lan",
                                                      "assigned/lan", "commented/minh",
                                                      "resolved/posture", "reopened/posture"});
  auto comments = alertEvents(*db, id);
  CHECK(comments[3].detail == "Đã gỡ phần mềm cũ, \"cài lại\" BKAV");

  // Every human action is in the audit log with before and after.
  auto audit = listAudit(*db, "alert:" + std::to_string(id));
  REQUIRE(audit.size() == 3);
  CHECK(audit[2].action == "alert.ack");
  CHECK(audit[2].before == "{\"status\":\"open\",\"assignee\":\"\"}");
  CHECK(audit[2].after == "{\"status\":\"acknowledged\",\"assignee\":\"\"}");
  CHECK(audit[1].action == "alert.assign");
  CHECK(audit[0].after == "{\"comment\":\"Đã gỡ phần mềm cũ, \\\"cài lại\\\" BKAV\"}");
}

TEST_CASE("a person can resolve an alert; bad actions are refused and change nothing") {
  test::TempDir dir("posture-lifecycle-");
  auto db = openDatabase(dir.path());
  auto opened = syncAlertSet(*db, {unprotected("pc1")}, 1000);
  std::int64_t id = opened.events.at(0).alertId;
  CHECK_THROWS_WITH_AS(actOnAlert(*db, 999, AlertAction::Acknowledge, "lan", "", 1100),
                       doctest::Contains("no alert 999"), AlertError);
  CHECK_THROWS_WITH_AS(actOnAlert(*db, id, AlertAction::Comment, "lan", "", 1100),
                       doctest::Contains("the comment is empty"), AlertError);
  CHECK_THROWS_WITH_AS(actOnAlert(*db, id, AlertAction::Assign, "lan", "", 1100),
                       doctest::Contains("no assignee"), AlertError);
  CHECK(alertEvents(*db, id).size() == 1);
  CHECK(listAudit(*db).empty());

  auto resolved = actOnAlert(*db, id, AlertAction::Resolve, "lan", "đã cài lại", 1200);
  CHECK(resolved.status == "resolved");
  CHECK(countOpenAlerts(*db) == 0);
  CHECK_THROWS_WITH_AS(actOnAlert(*db, id, AlertAction::Resolve, "lan", "", 1300),
                       doctest::Contains("already resolved"), AlertError);

  // Filters.
  syncAlertSet(*db, {unprotected("pc2")}, 1400);  // pc1 gone from the wanted set
  AlertFilter f;
  f.activeOnly = false;
  CHECK(listAlerts(*db, f).size() == 2);
  f.status = "resolved";
  CHECK(listAlerts(*db, f).size() == 1);
  f = {};
  f.rulePrefix = "binh-son-2022/";
  f.severity = "high";
  f.unitCode = "BS-VP";
  CHECK(listAlerts(*db, f).size() == 1);
  f.unitCode = "BS-TC";
  CHECK(listAlerts(*db, f).empty());
  f = {};
  f.rulePrefix = "%";  // literal, not a pattern
  CHECK(listAlerts(*db, f).empty());
}

TEST_CASE("alert pages by id (keyset) agree with offsets, and a set of units filters a subtree") {
  test::TempDir dir("posture-lifecycle-");
  auto db = openDatabase(dir.path());
  std::vector<WantedAlert> wanted;
  for (int i = 0; i < 23; ++i) {
    auto w = unprotected("pc" + std::to_string(i));
    w.unitCode = i % 3 == 0 ? "BS-VP" : i % 3 == 1 ? "BS-TC" : "BS-TC-KT\"x";
    wanted.push_back(w);
  }
  syncAlertSet(*db, wanted, 1000);
  AlertFilter all;
  auto every = listAlerts(*db, all);
  REQUIRE(every.size() == 23);

  // Forward with after_id, page by page, gives the same rows as offsets.
  std::vector<std::int64_t> walked;
  AlertFilter page;
  page.limit = 5;
  for (int n = 0; n < 10; ++n) {
    auto rows = listAlerts(*db, page);
    if (rows.empty()) break;
    for (const auto& r : rows) walked.push_back(r.id);
    AlertFilter byOffset;
    byOffset.limit = 5;
    byOffset.offset = static_cast<std::size_t>(n) * 5;
    auto same = listAlerts(*db, byOffset);
    REQUIRE(same.size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) CHECK(same[i].id == rows[i].id);
    page.afterId = rows.back().id;
  }
  REQUIRE(walked.size() == 23);
  for (std::size_t i = 0; i < walked.size(); ++i) CHECK(walked[i] == every[i].id);

  // Backwards with before_id: the 5 just before, still in ascending order.
  AlertFilter back;
  back.limit = 5;
  back.beforeId = every[12].id;
  auto prev = listAlerts(*db, back);
  REQUIRE(prev.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK(prev[i].id == every[7 + i].id);
  // The count ignores the page.
  CHECK(countAlerts(*db, back) == 23);

  // A set of units (a subtree), including a code that needs JSON escaping.
  AlertFilter units;
  units.unitCodes = {"BS-TC", "BS-TC-KT\"x"};
  CHECK(listAlerts(*db, units).size() == 15);
  CHECK(countAlerts(*db, units) == 15);
  units.unitCodes = {"BS-VP"};
  CHECK(countAlerts(*db, units) == 8);
  units.unitCodes = {"NOWHERE"};
  CHECK(listAlerts(*db, units).empty());
}
