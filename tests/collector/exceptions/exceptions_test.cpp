// Exceptions (risk acceptance, issue 17): an excepted check raises no alert; the policy's
// `exceptions: met | excluded` changes a target's counts exactly; an exception that expires
// (end of its day, UTC+7) brings its alert back at the next tick, with the clock injected;
// every bad field is refused by name; add and revoke are audited.
#include "collector/exceptions/exceptions.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "collector/audit/audit.h"
#include "collector/evaluation/live.h"
#include "collector/evaluation/model.h"
#include "collector/export/export.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using exceptions::ExceptionError;
using exceptions::ExceptionSet;
using exceptions::NewException;
using exceptions::RiskException;

namespace {
const std::string kCheck = "binh-son-2022/endpoint-protected";
const std::string kTarget = "binh-son-2022/endpoints-protected-share";

// 2026-12-07 10:00 UTC+7: a fixed day, so that "today" and "yesterday" are known.
const std::int64_t kNow =
    *util::parseDate("2026-12-07") * util::kSecondsPerDay + 3 * util::kSecondsPerHour;

policy::Policy binhSonPolicy() {
  return policy::loadPolicyFile(std::filesystem::path(POSTURE_SOURCE_DIR) /
                                "policies/binh-son-2022.yaml");
}

std::shared_ptr<const std::vector<policy::Policy>> policies(policy::ExceptionMode mode) {
  auto v = std::make_shared<std::vector<policy::Policy>>();
  v->push_back(binhSonPolicy());
  v->back().exceptions = mode;
  return v;
}

posture::v1::Report reportOf(const std::string& id, bool protectedNow, std::uint64_t seq,
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
  p->set_real_time_protection(protectedNow ? posture::v1::TRISTATE_ON : posture::v1::TRISTATE_OFF);
  p->mutable_signature_time()->set_seconds(seen - util::kSecondsPerDay);
  return r;
}

StoredEndpoint endpoint(const std::string& id, const std::string& unit, bool protectedNow) {
  return StoredEndpoint{id,
                        unit,
                        id + "-host",
                        1,
                        kNow,
                        kNow,
                        reportOf(id, protectedNow, 1, kNow).SerializeAsString()};
}

RiskException exceptionOf(std::int64_t id, exceptions::Scope scope, const std::string& subject,
                          const std::string& rule, const std::string& expires = "2026-12-31") {
  RiskException x;
  x.id = id;
  x.scope = scope;
  x.subject = subject;
  x.rule = rule;
  x.document = "15/QĐ-UBND";
  x.approver = "Nguyễn Văn A";
  x.justification = "máy điều khiển thiết bị y tế, không cài được phần mềm";
  x.expiresDay = *util::parseDate(expires);
  x.createdAt = kNow - 60;
  return x;
}

ModelOptions tree(std::vector<RiskException> active) {
  ModelOptions o;
  o.parents = {{"QNG", ""}, {"BS", "QNG"}, {"BS-VP", "BS"}, {"BS-BT", "BS"}};
  o.exceptions = std::make_shared<const ExceptionSet>(std::move(active));
  return o;
}

// a, c protected; b, d not; all in BS-VP.
std::vector<StoredEndpoint> fleet() {
  return {endpoint("a", "BS-VP", true), endpoint("b", "BS-VP", false), endpoint("c", "BS-VP", true),
          endpoint("d", "BS-VP", false)};
}

bool wants(const std::vector<WantedAlert>& v, const std::string& rule, const std::string& subject) {
  return std::any_of(v.begin(), v.end(),
                     [&](const WantedAlert& w) { return w.rule == rule && w.subject == subject; });
}

std::size_t targetIndex(const FleetModel& m, const std::string& id) {
  for (std::size_t i = 0; i < m.targets().size(); ++i)
    if (m.targets()[i].target->id == id) return i;
  FAIL("no target " << id);
  return 0;
}
}  // namespace

TEST_CASE("an excepted check raises no alert; the other endpoints' alerts stay") {
  FleetModel m(policies(policy::ExceptionMode::Excluded),
               tree({exceptionOf(1, exceptions::Scope::Endpoint, "b", kCheck)}));
  auto wanted = m.rebuild(fleet(), kNow);
  CHECK_FALSE(wants(wanted, kCheck, "endpoint:b"));
  CHECK(wants(wanted, kCheck, "endpoint:d"));
  // Another rule of the same endpoint is not excepted.
  CHECK(wants(wanted, "binh-son-2022/antivirus-signatures-recent", "endpoint:b") ==
        wants(wanted, "binh-son-2022/antivirus-signatures-recent", "endpoint:d"));
  // A new report of the excepted endpoint, still failing: nothing raised, a clear instead.
  auto delta = m.update(StoredEndpoint{"b", "BS-VP", "b-host", 2, kNow, kNow,
                                       reportOf("b", false, 2, kNow).SerializeAsString()},
                        kNow);
  CHECK_FALSE(wants(delta.raise, kCheck, "endpoint:b"));
  CHECK(std::count(delta.clear.begin(), delta.clear.end(),
                   std::make_pair(kCheck, std::string("endpoint:b"))) == 1);
}

TEST_CASE(
    "a unit's exception covers its subtree's endpoints; against a target, it silences that unit's "
    "alert only") {
  FleetModel m(policies(policy::ExceptionMode::Excluded),
               tree({exceptionOf(1, exceptions::Scope::Unit, "BS", kCheck)}));
  auto wanted = m.rebuild(fleet(), kNow);
  CHECK_FALSE(wants(wanted, kCheck, "endpoint:b"));
  CHECK_FALSE(wants(wanted, kCheck, "endpoint:d"));
  // b and d leave the denominator; a and c, compliant, count as they are: 2 of 2 at BS.
  auto t = targetIndex(m, "endpoints-protected-share");
  CHECK(m.count(t, "BS").satisfied == 2);
  CHECK(m.count(t, "BS").total == 2);
  CHECK_FALSE(wants(wanted, kTarget, "unit:BS"));

  // A unit's exception against an endpoint target applies to its subtree's endpoints: 2 of 2.
  FleetModel byShare(policies(policy::ExceptionMode::Excluded),
                     tree({exceptionOf(2, exceptions::Scope::Unit, "BS-VP", kTarget)}));
  auto shared = byShare.rebuild(fleet(), kNow);
  CHECK(byShare.count(t, "BS-VP").total == 2);
  CHECK(wants(shared, kCheck, "endpoint:b"));  // a target's exception leaves the checks alone
}

TEST_CASE(
    "a unit's exception against an organization target: the unit leaves the plan's alert, the plan unit's silences it") {
  // The four-layer target, with no layer recorded: missed at every unit of the tree. Its
  // alert is raised once, at the plan's unit (BS, binh-son-2022's applies_to), and lists
  // the units that miss.
  const std::string fourLayer = "binh-son-2022/four-layer-model";
  auto options = [&](std::vector<RiskException> active) {
    auto o = tree(std::move(active));
    org::OrgModel org;
    org.units = {{"QNG", "", "Tỉnh", "Province", org::UnitKind::Province},
                 {"BS", "QNG", "Huyện", "District", org::UnitKind::District},
                 {"BS-VP", "BS", "Văn phòng", "Office", org::UnitKind::Department},
                 {"BS-BT", "BS", "Xã", "Commune", org::UnitKind::Commune}};
    o.org = std::make_shared<const org::OrgModel>(std::move(org));
    return o;
  };
  auto detailOf = [&](const std::vector<WantedAlert>& v) {
    for (const auto& w : v)
      if (w.rule == fourLayer && w.subject == "unit:BS") return w.detail;
    return std::string();
  };
  FleetModel plain(policies(policy::ExceptionMode::Excluded), options({}));
  auto before = plain.rebuild(fleet(), kNow);
  REQUIRE(wants(before, fourLayer, "unit:BS"));  // so that the checks below can fail
  REQUIRE(detailOf(before).find("BS-VP (") != std::string::npos);
  CHECK_FALSE(wants(before, fourLayer, "unit:BS-VP"));  // raised once, not per unit

  // An office's exception: the office leaves the list; the others still miss.
  FleetModel office(policies(policy::ExceptionMode::Excluded),
                    options({exceptionOf(3, exceptions::Scope::Unit, "BS-VP", fourLayer)}));
  auto officeAfter = office.rebuild(fleet(), kNow);
  REQUIRE(wants(officeAfter, fourLayer, "unit:BS"));
  CHECK(detailOf(officeAfter).find("BS-VP (") == std::string::npos);
  CHECK(detailOf(officeAfter).find("BS-BT (") != std::string::npos);

  // The plan unit's exception covers its subtree: no alert at all.
  FleetModel excepted(policies(policy::ExceptionMode::Excluded),
                      options({exceptionOf(3, exceptions::Scope::Unit, "BS", fourLayer)}));
  auto after = excepted.rebuild(fleet(), kNow);
  CHECK_FALSE(wants(after, fourLayer, "unit:BS"));
  // Incremental steps silence it too.
  auto delta = excepted.targetChanges({"BS-VP"}, kNow);
  for (const auto& w : delta.raise) CHECK(w.subject != "unit:BS");
}

TEST_CASE("excluded leaves the denominator, met counts as satisfied: the target's counts exactly") {
  auto x = exceptionOf(1, exceptions::Scope::Endpoint, "b", kCheck);
  FleetModel none(policies(policy::ExceptionMode::Excluded), tree({}));
  FleetModel excluded(policies(policy::ExceptionMode::Excluded), tree({x}));
  FleetModel met(policies(policy::ExceptionMode::Met), tree({x}));
  none.rebuild(fleet(), kNow);
  excluded.rebuild(fleet(), kNow);
  met.rebuild(fleet(), kNow);
  auto t = targetIndex(none, "endpoints-protected-share");
  for (const std::string unit : {"BS-VP", "BS", ""}) {
    INFO("unit " << unit);
    CHECK(none.count(t, unit).satisfied == 2);
    CHECK(none.count(t, unit).total == 4);
    CHECK(excluded.count(t, unit).satisfied == 2);
    CHECK(excluded.count(t, unit).total == 3);
    CHECK(met.count(t, unit).satisfied == 3);
    CHECK(met.count(t, unit).total == 4);
  }
  // An exception naming the target itself counts the same way.
  FleetModel byTarget(policies(policy::ExceptionMode::Met),
                      tree({exceptionOf(1, exceptions::Scope::Endpoint, "b", kTarget)}));
  byTarget.rebuild(fleet(), kNow);
  CHECK(byTarget.count(t, "BS-VP").satisfied == 3);
  CHECK(byTarget.count(t, "BS-VP").total == 4);
}

TEST_CASE("an exception holds through its expiry day in Vietnam and ends at 00:00 UTC+7 after it") {
  auto x = exceptionOf(1, exceptions::Scope::Endpoint, "b", kCheck, "2026-12-07");
  std::int64_t end = exceptions::expiresAt(x.expiresDay);
  CHECK(util::formatRfc3339Vietnam(end) == "2026-12-08T00:00:00+07:00");
  CHECK(exceptions::activeAt(x, end - 1));
  CHECK_FALSE(exceptions::activeAt(x, end));
  CHECK(exceptions::stateName(x, end) == "expired");
  CHECK_FALSE(exceptions::activeAt(x, x.createdAt - 1));  // not recorded yet (as-of exports)
  x.revokedAt = kNow;
  CHECK(exceptions::stateName(x, kNow) == "revoked");
  CHECK(exceptions::activeAt(x, kNow - 1));
}

namespace {
struct Store {
  test::TempDir dir{"posture-exceptions-"};
  std::unique_ptr<db::Connection> db = openDatabase(dir.path());
  std::vector<policy::Policy> policySet{binhSonPolicy()};
  std::int64_t now = kNow;

  Store() {
    org::putUnit(*db, {"BS", "", "Huyện Bình Sơn", "Binh Son district", org::UnitKind::District},
                 "test", now);
    store("b", false);
    store("a", true);
  }
  void store(const std::string& id, bool protectedNow) {
    auto r = reportOf(id, protectedNow, 1, now);
    ReportRecord rec;
    rec.agentId = id;
    rec.unitCode = "BS";
    rec.hostname = id + "-host";
    rec.sequence = 1;
    rec.collectedAt = now;
    rec.body = r.SerializeAsString();
    rec.decoded = std::make_shared<posture::v1::Report>(r);
    db::Transaction tx(*db);
    ReportWriter(*db).insert(rec, now);
    tx.commit();
  }
  NewException request() {
    NewException r;
    r.endpoint = "b-host";
    r.rule = kCheck;
    r.justification = "không cài được phần mềm diệt virus";
    r.approver = "Trưởng phòng Văn hóa";
    r.document = "15/QĐ-UBND";
    r.expires = "2026-12-07";
    return r;
  }
  std::string refusedField(const NewException& r) {
    try {
      exceptions::addException(*db, r, policySet, "admin", now);
    } catch (const ExceptionError& e) {
      return e.field();
    }
    return "(accepted)";
  }
};

bool alertOpen(db::Connection& db, const std::string& subject) {
  for (const auto& a : listAlerts(db, AlertFilter{})) {
    if (a.subject == subject && a.rule == kCheck && a.status != "resolved") return true;
  }
  return false;
}
}  // namespace

TEST_CASE("bad input: each field is refused by name, and nothing is stored") {
  Store s;
  auto r = s.request();
  CHECK(s.refusedField([&] {
    auto x = r;
    x.expires = "";
    return x;
  }()) == "expires");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.expires = "2026-12-06";
    return x;
  }()) == "expires");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.expires = "31/02/2027";
    return x;
  }()) == "expires");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.expires = "tomorrow";
    return x;
  }()) == "expires");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.rule = "binh-son-2022/nope";
    return x;
  }()) == "rule");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.rule = "";
    return x;
  }()) == "rule");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.endpoint = "ghost-host";
    return x;
  }()) == "endpoint");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.endpoint.clear();
    return x;
  }()) == "endpoint");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.unit = "BS";
    return x;
  }()) == "unit");  // both given
  CHECK(s.refusedField([&] {
    auto x = r;
    x.endpoint.clear();
    x.unit = "NOPE";
    return x;
  }()) == "unit");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.justification = "  ";
    return x;
  }()) == "justification");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.approver = "";
    return x;
  }()) == "approver");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.document = "";
    return x;
  }()) == "document");
  CHECK(exceptions::listExceptions(*s.db).empty());
  // The message names the field in both languages.
  try {
    auto x = r;
    x.expires = "2026-01-01";
    exceptions::addException(*s.db, x, s.policySet, "admin", s.now);
    FAIL("accepted a past expiry");
  } catch (const ExceptionError& e) {
    CHECK(std::string(e.what()).find("expires: ") == 0);
    CHECK(std::string(e.what()).find("in the past") != std::string::npos);
  }
  // Today, dd/mm/yyyy, a unit: accepted.
  CHECK(s.refusedField(r) == "(accepted)");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.expires = "31/12/2026";
    return x;
  }()) == "(accepted)");
  CHECK(s.refusedField([&] {
    auto x = r;
    x.endpoint.clear();
    x.unit = "BS";
    return x;
  }()) == "(accepted)");
  auto all = exceptions::listExceptions(*s.db);
  REQUIRE(all.size() == 3);
  CHECK(all[2].subject == "b");  // the hostname resolved to the agent id
  CHECK(all[2].hostname == "b-host");
  CHECK(all[1].expiresDay == *util::parseDate("2026-12-31"));
}

TEST_CASE("add and revoke are in the audit log; a revoked exception cannot be revoked again") {
  Store s;
  auto x = exceptions::addException(*s.db, s.request(), s.policySet, "admin", s.now);
  auto revoked = exceptions::revokeException(*s.db, x.id, "admin2", s.now + 10);
  CHECK(revoked.revokedBy == "admin2");
  auto log = listAudit(*s.db, "exception:");
  REQUIRE(log.size() == 2);
  CHECK(log[0].action == "exception.revoke");
  CHECK(log[1].action == "exception.add");
  CHECK(log[1].after.find("15/QĐ-UBND") != std::string::npos);
  CHECK(log[0].after.find("revoked_by") != std::string::npos);
  CHECK_THROWS_AS(exceptions::revokeException(*s.db, x.id, "admin", s.now + 20), ExceptionError);
  CHECK_THROWS_AS(exceptions::revokeException(*s.db, 999, "admin", s.now + 20), ExceptionError);
  CHECK(ExceptionSet::load(*s.db, s.now + 20).empty());
}

TEST_CASE(
    "live: recording removes the alert at the next tick; expiry brings it back without a restart") {
  Store s;
  LiveOptions o;
  auto set = std::make_shared<const std::vector<policy::Policy>>(s.policySet);
  o.policies = [set] { return set; };
  o.now = [&s] { return s.now; };
  o.rebuildRetry = std::chrono::seconds(0);
  o.rebuildThreads = 1;
  LiveEvaluation live(o);
  live.tick(*s.db);
  REQUIRE(alertOpen(*s.db, "endpoint:b"));
  // Expires at the end of today (2026-12-07, UTC+7).
  exceptions::addException(*s.db, s.request(), s.policySet, "admin", s.now);
  live.tick(*s.db);
  CHECK_FALSE(alertOpen(*s.db, "endpoint:b"));
  CHECK(alertOpen(*s.db, "endpoint:a") == false);  // protected: never had one
  // Later the same day: still excepted.
  s.now = exceptions::expiresAt(*util::parseDate("2026-12-07")) - 1;
  live.tick(*s.db);
  CHECK_FALSE(alertOpen(*s.db, "endpoint:b"));
  // 00:00 UTC+7 the next day: the next tick evaluates again and the alert is back.
  s.now += 1;
  live.tick(*s.db);
  CHECK(alertOpen(*s.db, "endpoint:b"));
}

TEST_CASE("live: revoking brings the alert back at the next tick") {
  Store s;
  LiveOptions o;
  auto set = std::make_shared<const std::vector<policy::Policy>>(s.policySet);
  o.policies = [set] { return set; };
  o.now = [&s] { return s.now; };
  o.rebuildRetry = std::chrono::seconds(0);
  o.rebuildThreads = 1;
  LiveEvaluation live(o);
  auto x = exceptions::addException(*s.db, s.request(), s.policySet, "admin", s.now);
  live.tick(*s.db);
  CHECK_FALSE(alertOpen(*s.db, "endpoint:b"));
  exceptions::revokeException(*s.db, x.id, "admin", s.now + 1);
  s.now += 2;
  live.tick(*s.db);
  CHECK(alertOpen(*s.db, "endpoint:b"));
}

TEST_CASE(
    "exports carry the column \"Ngoại lệ / Exception\" with the reference of excepted endpoints") {
  Store s;
  auto x = exceptions::addException(*s.db, s.request(), s.policySet, "admin", s.now);
  ExportFilters f;
  auto e = buildComplianceExport(
      *s.db, std::make_shared<const std::vector<policy::Policy>>(s.policySet), f, "ab", s.now + 5);
  auto header = endpointHeader(e);
  CHECK(header.back() == "Ngoại lệ / Exception");
  REQUIRE(e.endpoints.size() == 2);
  for (const auto& row : e.endpoints) {
    auto cells = endpointCells(e, row);
    REQUIRE(cells.size() == header.size());
    if (row.agentId == "b") {
      CHECK(cells.back() == exceptions::reference(x, true));
      CHECK(cells.back().find("15/QĐ-UBND") != std::string::npos);
      CHECK(cells.back().find("Trưởng phòng Văn hóa") != std::string::npos);
      CHECK(cells.back().find("2026-12-07") != std::string::npos);
    } else {
      CHECK(cells.back().empty());
    }
  }
  CHECK(renderExport(e, ExportFormat::Json, false).find("\"reference\"") != std::string::npos);
  // After the expiry the export shows none.
  auto later =
      buildComplianceExport(*s.db, std::make_shared<const std::vector<policy::Policy>>(s.policySet),
                            f, "ab", exceptions::expiresAt(x.expiresDay));
  for (const auto& row : later.endpoints) CHECK(row.exceptions.empty());
}

TEST_CASE("policy: `exceptions: met | excluded`, excluded by default, anything else refused") {
  auto head = [](const std::string& extra) {
    return "policy:\n  id: p\n  version: 1\n  title: {vi: a, en: b}\n" + extra +
           "checks:\n  - id: c\n    title: {vi: a, en: b}\n    severity: low\n"
           "    predicate: {fact: ipv6.level, op: ge, value: 2}\n    remediation: {vi: a, en: b}\n";
  };
  CHECK(policy::loadPolicyText(head(""), "p.yaml").exceptions == policy::ExceptionMode::Excluded);
  CHECK(policy::loadPolicyText(head("  exceptions: met\n"), "p.yaml").exceptions ==
        policy::ExceptionMode::Met);
  CHECK(policy::loadPolicyText(head("  exceptions: excluded\n"), "p.yaml").exceptions ==
        policy::ExceptionMode::Excluded);
  CHECK_THROWS_WITH_AS(policy::loadPolicyText(head("  exceptions: maybe\n"), "p.yaml"),
                       doctest::Contains("exceptions"), policy::PolicyError);
}
