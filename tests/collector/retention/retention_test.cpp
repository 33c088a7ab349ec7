// Retention (issue 18) with a pinned clock: days of reports written through the storage
// code, a prune pass, and what is kept checked to the day; the as-of exports within the
// retention identical before and after; a day older than kept refused (the library, the
// CLI's exit code 2 and the console's 400).
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "collector/audit/audit.h"
#include "collector/console/export_api.h"
#include "collector/export/cli.h"
#include "collector/export/export.h"
#include "collector/policy/policy.h"
#include "collector/retention/pruner.h"
#include "collector/retention/retention.h"
#include "common/util/args.h"
#include "tests/collector/export/export_fixture.h"

using namespace posture;
using namespace posture::collector;
using posture::test::vietnamTime;

namespace {
constexpr std::int64_t kDay = util::kSecondsPerDay;

retention::Settings smallRetention() {
  retention::Settings s;
  s.raw = 10 * kDay;
  s.daily = 40 * kDay;
  s.eventsMin = 60 * kDay;
  return s;
}

retention::PrunerOptions fastSlices() {
  retention::PrunerOptions o;
  o.pause = std::chrono::milliseconds(0);
  o.rowsPerSlice = 37;  // many slices, so the cursors are exercised
  return o;
}

struct Stored {
  std::string agent;
  std::int64_t day, receivedAt, sequence;
};

std::vector<Stored> storedReports(db::Connection& db) {
  std::vector<Stored> out;
  auto st = db.prepare("SELECT agent_id, received_at, sequence FROM reports ORDER BY id");
  while (st.step())
    out.push_back({st.getText(0), util::vietnamDay(st.getInt(1)), st.getInt(1), st.getInt(2)});
  return out;
}

std::string csvAsOf(db::Connection& db, const std::vector<policy::Policy>& policies, std::int64_t day,
                    std::int64_t now) {
  ExportFilters f;
  f.asOfDay = day;
  auto list = buildComplianceExport(db, std::make_shared<const std::vector<policy::Policy>>(policies),
                                    f, "fp", now);
  return renderExport(list, ExportFormat::Csv);
}

// Per endpoint and Vietnam day, from `firstDay` to `now`: just after Vietnam midnight
// (still the day before in UTC), mid-morning and at 23:59:30; every third day also a late
// resend at 23:59:50, received last yet with a lower sequence than the day's highest (the
// gap left for it), as ingest stores an agent's retry.
// "deadbeef" stops reporting at `deadFrom`. Written in time order, as reports arrive.
void writeDays(test::ExportFixture& fix, const std::vector<std::string>& agents, std::int64_t firstDay,
               std::int64_t now, std::int64_t deadFrom, std::map<std::string, std::int64_t>& seq) {
  for (std::int64_t d = firstDay; d <= util::vietnamDay(now); ++d) {
    std::string date = util::formatDate(d);
    for (const auto& a : agents) {
      std::int64_t base = seq[a];
      auto put = [&](std::int64_t t, std::int64_t sequence) {
        if (t > now || (a == "deadbeef" && t > deadFrom)) return;
        fix.report(a, "BS", "PC-" + a.substr(0, 4), static_cast<std::uint64_t>(sequence), t, sequence % 2 == 0);
        seq[a] = std::max(seq[a], sequence);
      };
      put(vietnamTime(date, 0, 0, 30), base + 1);
      put(vietnamTime(date, 9, 15, 0), base + 3);
      put(vietnamTime(date, 23, 59, 30), base + 4);
      if (d % 3 == 0) put(vietnamTime(date, 23, 59, 50), base + 2);
      seq[a] = base + 4;
    }
  }
}

}  // namespace

TEST_CASE("retention: a prune pass keeps raw days whole, one report per endpoint per Vietnam day, "
          "then nothing but each endpoint's latest") {
  const auto policies = policy::loadPolicyDirectory(std::filesystem::path(POSTURE_SOURCE_DIR) / "policies");
  // Pinned instants: a day of 12 or less, a month's end, a year's end, and 00:00 UTC+7 sharp.
  for (std::int64_t now : {vietnamTime("2026-12-06", 12, 36, 5), vietnamTime("2026-11-30", 23, 59, 59),
                           vietnamTime("2026-12-31", 23, 59, 59), vietnamTime("2027-01-01", 0, 0, 0)}) {
    INFO(util::formatIsoVietnam(now));
    test::ExportFixture fix;
    const auto s = smallRetention();
    const std::int64_t today = util::vietnamDay(now);
    const std::int64_t rawDay = util::vietnamDay(now - *s.raw), dailyDay = util::vietnamDay(now - *s.daily);
    std::map<std::string, std::int64_t> seq;
    // deadbeef: silent for 45 days; its latest report is kept whatever its age.
    std::vector<std::string> agents = {"a1b2c3d4", "e5f60718", "9a0b1c2d", "deadbeef"};
    writeDays(fix, agents, today - 50, now, now - 45 * kDay, seq);
    // The exports of every day the retention keeps, taken before the pass.
    std::map<std::int64_t, std::string> before;
    for (std::int64_t d = dailyDay; d <= today; ++d) before[d] = csvAsOf(*fix.db, policies, d, now);
    auto all = storedReports(*fix.db);

    // Events and tokens.
    appendAudit(*fix.db, {0, now - 70 * kDay, "lan", "unit.add", "unit:OLD", "", "{}"});
    appendAudit(*fix.db, {0, now - 50 * kDay, "lan", "unit.add", "unit:KEPT", "", "{}"});
    fix.db->exec("INSERT INTO alerts(id, rule, subject, unit_code, severity, status, title_vi, title_en, "
                 "detail, first_seen, last_seen) VALUES (1, 'r', 's', 'BS', 'high', 'open', 't', 't', '', 0, 0)");
    auto event = [&](std::int64_t at) {
      fix.db->prepare("INSERT INTO alert_events(alert_id, at, event, detail) VALUES (1, ?, 'opened', '')")
          .bind(1, at)
          .run();
      fix.db->prepare("INSERT INTO alert_group_events(group_id, at, event, actor, detail, open, acknowledged) "
                      "VALUES ((SELECT id FROM alert_groups LIMIT 1), ?, 'opened', 'posture', '', 1, 0)")
          .bind(1, at)
          .run();
    };
    event(now - 90 * kDay);  // delivered: goes
    event(now - 80 * kDay);  // not delivered yet: stays, however old
    event(now - 5 * kDay);
    fix.db->exec("INSERT OR REPLACE INTO delivery_outbox(id, last_event) VALUES (1, (SELECT min(id) FROM alert_group_events))");
    insertToken(*fix.db, "used", "BS", now - 3 * kDay, now + 30 * kDay, 0);
    insertToken(*fix.db, "expired", "BS", now - 40 * kDay, now - 2 * kDay, 5);
    insertToken(*fix.db, "fresh-used", "BS", now - 3600, now + kDay, 0);  // a day's grace
    insertToken(*fix.db, "valid", "BS", now - 3 * kDay, now + 30 * kDay, 5);

    retention::Pruner pruner(s, [now] { return now; }, fastSlices());
    auto conn = retention::openPrunerConnection(fix.data);
    retention::recordSettings(*conn, s, now);
    auto pass = pruner.runOnce(*conn);
    INFO(pass.line());
    CHECK(pass.slices > 3);

    // What is kept, to the day.
    auto kept = storedReports(*fix.db);
    std::map<std::tuple<std::string, std::int64_t>, std::vector<Stored>> byDay, keptByDay;
    for (const auto& r : all) byDay[{r.agent, r.day}].push_back(r);
    for (const auto& r : kept) keptByDay[{r.agent, r.day}].push_back(r);
    std::int64_t expectThinned = 0, expectExpired = 0, deadLastDay = 0;
    for (const auto& r : all)
      if (r.agent == "deadbeef") deadLastDay = std::max(deadLastDay, r.day);
    CHECK(deadLastDay < dailyDay);
    for (const auto& [key, rows] : byDay) {
      // Named copies, not structured bindings: clang 14 cannot capture those (INFO does).
      const std::string& agent = std::get<0>(key);
      const std::int64_t day = std::get<1>(key);
      INFO(agent);
      INFO(util::formatDate(day));
      const auto& k = keptByDay[key];
      bool latestOfDead = agent == "deadbeef" && day == deadLastDay;
      if (day >= rawDay) {
        CHECK(k.size() == rows.size());  // raw: everything
      } else if (day >= dailyDay || latestOfDead) {
        REQUIRE(k.size() == 1);  // one: the highest sequence of the day
        std::int64_t best = 0;
        for (const auto& r : rows) best = std::max(best, r.sequence);
        CHECK(k[0].sequence == best);
        expectThinned += static_cast<std::int64_t>(rows.size()) - 1;
      } else {
        CHECK(k.empty());
        expectExpired += static_cast<std::int64_t>(rows.size());
      }
    }
    CHECK(pass.reportsThinned + pass.reportsExpired == expectThinned + expectExpired);
    // Each endpoint's latest report is still the one it points at.
    auto dangling = fix.db->prepare(
        "SELECT count(*) FROM endpoints e LEFT JOIN reports r ON r.id = e.report_id WHERE r.id IS NULL");
    REQUIRE(dangling.step());
    CHECK(dangling.getInt(0) == 0);

    // The as-of exports of every day kept are what they were.
    for (const auto& entry : before) {
      const std::int64_t d = entry.first;
      INFO(util::formatDate(d));
      CHECK(csvAsOf(*fix.db, policies, d, now) == entry.second);
    }
    // A day older than kept: refused, naming the oldest day kept (dd/mm/yyyy).
    CHECK(retention::oldestAsOfDay(*fix.db, now) == dailyDay);
    auto tooOld = retention::checkAsOfDay(*fix.db, dailyDay - 1, now);
    REQUIRE(tooOld.has_value());
    std::string oldest = retention::formatDayVn(dailyDay);
    CHECK(oldest.size() == 10);
    CHECK(oldest[2] == '/');
    CHECK(tooOld->vi.find(oldest) != std::string::npos);
    CHECK(tooOld->en.find(oldest) != std::string::npos);
    CHECK_THROWS_AS(csvAsOf(*fix.db, policies, dailyDay - 1, now), AsOfTooOld);
    CHECK_FALSE(retention::checkAsOfDay(*fix.db, dailyDay, now).has_value());

    // Events: kept for max(60d, raw, daily) = 60 days; an undelivered group event stays.
    CHECK(listAudit(*fix.db, "unit:OLD").empty());
    CHECK(listAudit(*fix.db, "unit:KEPT").size() == 1);
    auto count = [&](const std::string& sql) {
      auto st = fix.db->prepare(sql);
      REQUIRE(st.step());
      return st.getInt(0);
    };
    CHECK(count("SELECT count(*) FROM alert_events") == 1);
    CHECK(count("SELECT count(*) FROM alert_group_events") == 2);
    CHECK(pass.groupEvents == 1);
    CHECK(count("SELECT count(*) FROM enrolment_tokens") == 2);  // valid, fresh-used
    CHECK(pass.tokens == 2);

    // A second pass finds nothing more to do.
    auto again = pruner.runOnce(*conn);
    CHECK(again.reportsThinned + again.reportsExpired == 0);
    CHECK(storedReports(*fix.db).size() == kept.size());
  }
}

TEST_CASE("retention: the options are checked together") {
  auto s = retention::parseSettings("90d", "2y", "2y", "10m");
  CHECK(s.raw == 90 * kDay);
  CHECK(s.daily == 730 * kDay);
  CHECK(s.events() == 730 * kDay);
  CHECK(s.pruneEverySeconds == 600);
  CHECK(retention::parseSettings("30d", "60d", "7d", "1m").events() == 60 * kDay);
  CHECK_FALSE(retention::parseSettings("off", "off", "2y", "10m").events().has_value());
  CHECK_FALSE(retention::parseSettings("90d", "off", "2y", "10m").daily.has_value());
  CHECK_THROWS_WITH_AS(retention::parseSettings("90d", "30d", "2y", "10m"),
                       doctest::Contains("--retention-daily"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(retention::parseSettings("off", "2y", "2y", "10m"),
                       doctest::Contains("--retention-daily"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(retention::parseSettings("12h", "2y", "2y", "10m"),
                       doctest::Contains("--retention-raw"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(retention::parseSettings("90d", "2y", "forever", "10m"),
                       doctest::Contains("--retention-events-min"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(retention::parseSettings("90d", "2y", "2y", "1s"), doctest::Contains("--prune-every"),
                       std::invalid_argument);
}

TEST_CASE("retention: the CLI's as-of export of a day no longer kept exits 2, the console answers 400") {
  test::ExportFixture fix;
  std::int64_t now = util::unixNow();
  fix.report("a1b2c3d4", "BS", "PC-1", 1, now - 3600, true);
  retention::Settings s = smallRetention();
  retention::recordSettings(*fix.db, s, now);
  std::int64_t old = util::vietnamDay(now) - 45;
  auto out = fix.path("old.csv");
  std::vector<std::string> args = {"posture-collector", "export", "--data-dir", fix.data.string(),
                                   "--out", out.string(), "--format", "csv", "--as-of", util::formatDate(old),
                                   "--policies", std::string(POSTURE_SOURCE_DIR) + "/policies"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  CHECK(util::runCommands("posture-collector", "", static_cast<int>(argv.size()), argv.data(),
                          exportCommands()) == 2);
  CHECK_FALSE(std::filesystem::exists(out));
  // A day kept: written.
  args[9] = util::formatDate(util::vietnamDay(now));
  argv.clear();
  for (auto& a : args) argv.push_back(a.data());
  CHECK(util::runCommands("posture-collector", "", static_cast<int>(argv.size()), argv.data(),
                          exportCommands()) == 0);
  CHECK(std::filesystem::exists(out));

  auto policies = std::make_shared<const std::vector<policy::Policy>>(
      policy::loadPolicyDirectory(std::filesystem::path(POSTURE_SOURCE_DIR) / "policies"));
  console::ExportService service(fix.data, [policies] { return policies; }, 7 * kDay);
  console::ExportRequest r;
  r.user = "lan";
  r.formatName = "csv";
  r.format = ExportFormat::Csv;
  r.asOf = util::formatDate(old);
  r.filters.asOfDay = old;
  auto response = service.build(*fix.db, r, now);
  CHECK(response.status == 400);
  CHECK(response.body.find("as_of") != std::string::npos);
  CHECK(response.body.find(retention::formatDayVn(util::vietnamDay(now - *s.daily))) != std::string::npos);
}
