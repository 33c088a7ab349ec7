// The live evaluation as the collector runs it on its writer thread: the first tick
// evaluates what is stored, announced changes rebuild, new reports update, and alert changes
// that cannot be written wait and are written at the next tick, then handed to delivery.
#include "collector/evaluation/live.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "collector/alerts/alerts.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;

namespace {
ReportRecord report(const std::string& id, bool protectedNow, std::uint64_t seq,
                    std::int64_t seen) {
  posture::v1::Report r;
  r.set_sequence(seq);
  r.mutable_collected_at()->set_seconds(seen);
  r.mutable_identity()->set_hostname(id + "-host");
  r.mutable_identity()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  auto* av = r.mutable_antivirus();
  av->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  auto* p = av->add_products();
  p->set_name("BKAV Pro Internet Security");
  p->set_real_time_protection(protectedNow ? posture::v1::TRISTATE_ON
                                           : posture::v1::TRISTATE_OFF);
  p->mutable_signature_time()->set_seconds(seen - util::kSecondsPerDay);
  ReportRecord rec;
  rec.agentId = id;
  rec.unitCode = "BS";
  rec.hostname = id + "-host";
  rec.sequence = seq;
  rec.collectedAt = seen;
  rec.body = r.SerializeAsString();
  rec.decoded = std::make_shared<posture::v1::Report>(r);
  return rec;
}

void store(db::Connection& db, const ReportRecord& r, std::int64_t at) {
  db::Transaction tx(db);
  ReportWriter(db).insert(r, at);
  tx.commit();
}

PolicySet binhSon() {
  auto v = std::make_shared<std::vector<policy::Policy>>();
  v->push_back(policy::loadPolicyFile(std::filesystem::path(POSTURE_SOURCE_DIR) /
                                      "policies/binh-son-2022.yaml"));
  return v;
}

// Whether the endpoint's "protected by antivirus" check has an open alert (the other checks
// of the plan fail for these reports whatever they say about antivirus).
bool hasAlert(db::Connection& db, const std::string& subject) {
  for (const auto& a : listAlerts(db, AlertFilter{})) {
    if (a.subject == subject && a.rule == "binh-son-2022/endpoint-protected") return true;
  }
  return false;
}

struct Fixture {
  test::TempDir dir{"posture-live-"};
  std::unique_ptr<db::Connection> db = openDatabase(dir.path());
  PolicySet policies = binhSon();
  std::int64_t now = util::unixNow();
  int delivered = 0;

  LiveOptions options() {
    LiveOptions o;
    o.policies = [this] { return policies; };
    o.now = [this] { return now; };
    o.afterAlertsWritten = [this](db::Connection&) { ++delivered; };
    o.rebuildRetry = std::chrono::seconds(0);
    o.rebuildThreads = 1;
    return o;
  }
};
}  // namespace

TEST_CASE("the first tick evaluates what is stored, writes its alerts and hands them on") {
  Fixture f;
  store(*f.db, report("a", false, 1, f.now), f.now);
  store(*f.db, report("b", true, 1, f.now), f.now);
  LiveEvaluation live(f.options());
  CHECK(live.model() == nullptr);
  auto g0 = live.generation();
  live.tick(*f.db);
  REQUIRE(live.model() != nullptr);
  CHECK(live.model()->endpointCount() == 2);
  CHECK(live.generation() > g0);
  CHECK(f.delivered == 1);
  CHECK(hasAlert(*f.db, "endpoint:a"));
  CHECK_FALSE(hasAlert(*f.db, "endpoint:b"));
  // Nothing changed: the next tick sweeps, the model stays.
  const FleetModel* model = live.model();
  live.tick(*f.db);
  CHECK(live.model() == model);
}

TEST_CASE("new reports update the model; an announced organization change or new policies rebuild it") {
  Fixture f;
  store(*f.db, report("a", false, 1, f.now), f.now);
  LiveEvaluation live(f.options());
  live.tick(*f.db);
  REQUIRE(hasAlert(*f.db, "endpoint:a"));
  const FleetModel* first = live.model();

  auto fixed = report("a", true, 2, f.now + 60);
  store(*f.db, fixed, f.now + 60);
  auto g = live.generation();
  live.onReports(*f.db, {&fixed}, f.now + 60);
  CHECK(live.model() == first);  // updated in place
  CHECK(live.generation() > g);
  CHECK_FALSE(hasAlert(*f.db, "endpoint:a"));  // its alert resolved

  // The CLI or the console announce an organization change: the next tick rebuilds.
  {
    db::Transaction tx(*f.db);
    announceChange(*f.db, Change::Organization);
    tx.commit();
  }
  live.tick(*f.db);
  CHECK(live.model() != first);
  const FleetModel* second = live.model();
  live.tick(*f.db);
  CHECK(live.model() == second);

  // A policy reload (a new set): the next batch rebuilds before it is evaluated.
  f.policies = binhSon();
  auto again = report("a", true, 3, f.now + 120);
  store(*f.db, again, f.now + 120);
  live.onReports(*f.db, {&again}, f.now + 120);
  CHECK(live.model() != second);
  CHECK(live.model()->endpointCount() == 1);
}

TEST_CASE("alert changes that cannot be written are kept and written at the next tick") {
  Fixture f;
  store(*f.db, report("a", true, 1, f.now), f.now);
  LiveEvaluation live(f.options());
  live.tick(*f.db);
  REQUIRE_FALSE(hasAlert(*f.db, "endpoint:a"));
  int deliveredBefore = f.delivered;

  // Writing alerts fails, as on a full disk: the model moves on, the change waits.
  f.db->exec(
      "CREATE TRIGGER refuse BEFORE INSERT ON alerts "
      "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
  auto broken = report("a", false, 2, f.now + 60);
  store(*f.db, broken, f.now + 60);
  live.onReports(*f.db, {&broken}, f.now + 60);
  CHECK(live.pendingAlertChanges() > 0);
  CHECK_FALSE(hasAlert(*f.db, "endpoint:a"));
  CHECK(f.delivered == deliveredBefore);
  auto waiting = live.pendingAlertChanges();
  live.tick(*f.db);  // still failing: still kept
  CHECK(live.pendingAlertChanges() == waiting);

  f.db->exec("DROP TRIGGER refuse");
  live.tick(*f.db);
  CHECK(live.pendingAlertChanges() == 0);
  CHECK(hasAlert(*f.db, "endpoint:a"));
  CHECK(f.delivered == deliveredBefore + 1);
}
