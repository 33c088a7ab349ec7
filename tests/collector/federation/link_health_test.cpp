// Link health (issue 16): layer 4 from telemetry, a silent child marked stale with its
// endpoints, a refused push raising an alert at the province, soc.connected, and the
// incremental path of a push agreeing with a full evaluation.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>

#include "collector/evaluation/model.h"
#include "collector/export/export.h"
#include "collector/federation/mounts.h"
#include "collector/org/layers.h"
#include "collector/org/org.h"
#include "collector/policy/policy.h"
#include "collector/storage/storage.h"
#include "collector/upstream/picture.h"
#include "common/util/time.h"
#include "tests/collector/federation/picture.h"
#include "posture/v1/report.pb.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
namespace fed = posture::collector::federation;
namespace ft = posture::test::federation;
using posture::v1::FederationChange;
using posture::v1::FederationPush;

namespace {

// 2026-12-01 00:00:00 in UTC+7 (a day of 12 or less, at midnight Vietnam time).
const std::int64_t kMidnight = *util::parseRfc3339("2026-12-01T00:00:00+07:00");

org::OrgModel districtWithLayer4() {
  org::OrgModel m;
  m.units.push_back({"QNG", "", "Tỉnh Quảng Ngãi", "Quang Ngai", org::UnitKind::Province});
  m.units.push_back({"BS", "QNG", "Huyện Bình Sơn", "Binh Son", org::UnitKind::District});
  org::LayerRecord r;
  r.unitCode = "BS";
  r.layer = 4;
  r.reference = "SOC tỉnh Quảng Ngãi";
  r.date = *util::parseDate("2024-01-01");
  m.layers.push_back(r);
  return m;
}

org::LayerVerdict layer4(const org::OrgModel& m, const std::string& unit, std::int64_t now) {
  return org::evaluateLayers(m, unit, util::vietnamDay(now), {1, 1, 90}, now)[3];
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A child's endpoint row as of a few minutes before kMidnight (not stale by its age).
FederationChange endpoint(const std::string& agent, const std::string& unit, bool realTime = true) {
  auto c = ft::endpoint(agent, unit, realTime);
  c.mutable_endpoint()->set_facts_at(kMidnight - 300);
  c.mutable_endpoint()->set_last_seen(kMidnight - 200);
  return c;
}

FederationPush push(std::uint64_t epoch, bool snapshot, std::uint64_t first,
                    std::vector<FederationChange> changes, std::int64_t sentAt) {
  FederationPush p;
  p.set_epoch(epoch);
  p.set_snapshot(snapshot);
  p.set_detail("endpoints");
  p.set_interval_seconds(60);
  p.set_sent_at(sentAt);
  for (auto& c : changes) {
    c.set_sequence(first++);
    *p.add_changes() = c;
  }
  p.set_snapshot_through(snapshot ? first - 1 : 0);
  return p;
}

// A province plan over the federated rows: real-time protection, and "connected to the
// provincial SOC" (soc.connected), both as shares per unit.
const char* kProvincePlan = R"(policy:
  id: province-plan
  version: 1
  title: {vi: "Kế hoạch tỉnh", en: "Province plan"}
checks:
  - id: connected
    title: {vi: "Kết nối SOC tỉnh", en: "Connected to the provincial SOC"}
    severity: high
    predicate: {fact: soc.connected, op: eq, value: true}
    remediation: {vi: "Kết nối", en: "Connect"}
targets:
  - id: realtime-share
    title: {vi: "Tỷ lệ bảo vệ thời gian thực", en: "Real-time share"}
    measure: {share_of_endpoints: {fact: antivirus.real_time, op: eq, value: true}}
    scope: [unit, overall]
    milestones: [{by: 2020-12-31, at_least: 50}]
    severity: high
    source: {file: 004_df597aa8030964a9.txt, line: 142, quote: "x"}
  - id: connected-share
    title: {vi: "Tỷ lệ kết nối SOC tỉnh", en: "Connected share"}
    measure: {share_of_endpoints: {fact: soc.connected, op: eq, value: true}}
    scope: [unit, overall]
    milestones: [{by: 2020-12-31, at_least: 100}]
    severity: high
    source: {file: 004_df597aa8030964a9.txt, line: 142, quote: "x"}
)";

struct Province {
  test::TempDir tmp;
  std::unique_ptr<db::Connection> db = openDatabase(tmp.path());
  const fed::UnitCodes own{"QNG", "BS"};
  std::shared_ptr<std::vector<policy::Policy>> policies = std::make_shared<std::vector<policy::Policy>>();

  Province() {
    policies->push_back(policy::loadPolicyText(kProvincePlan, "province.yaml"));
    fed::registerChild(*db, "bs-collector", "BS", kMidnight - 600);
    auto ack = apply(push(1, true, 1,
                          {ft::unit("BS-A", ""), endpoint("a1", "BS-A", true),
                           endpoint("a2", "BS-A", false), ft::layer("BS-A", 4, true),
                           ft::layer("BS-A", 1, true)},
                          kMidnight - 120),
                     kMidnight - 120);
    REQUIRE(ack.error_code().empty());
  }
  v1::FederationAck apply(const FederationPush& p, std::int64_t now, fed::ApplyEffects* e = nullptr) {
    return fed::applyPush(*db, "bs-collector", own, p, now, e);
  }
  std::unique_ptr<FleetModel> model() {
    ModelOptions o;
    o.org = std::make_shared<const org::OrgModel>(org::loadOrg(*db));
    return std::make_unique<FleetModel>(policies, o);
  }
  static std::size_t target(const FleetModel& m, const std::string& id) {
    for (std::size_t t = 0; t < m.targets().size(); ++t)
      if (m.targets()[t].target->id == id) return t;
    FAIL("no target " << id);
    return 0;
  }
};

std::size_t countRule(const std::vector<WantedAlert>& v, const std::string& rule) {
  return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [&](const WantedAlert& w) { return w.rule == rule; }));
}
}  // namespace

TEST_CASE("layer 4 passes on its record and a healthy upstream link, and says when it last pushed") {
  auto m = districtWithLayer4();
  // No upstream: the top of its hierarchy, judged by its record.
  auto v = layer4(m, "BS", kMidnight);
  CHECK(v.pass);
  CHECK(has(v.evidenceVi, "không đẩy số liệu lên cấp trên"));

  org::Uplink up;
  up.upstream = "127.0.0.1:8445";
  up.identity = "0f3c-child";
  up.mountUnit = "BS";
  up.intervalSeconds = 60;
  m.links.uplink = up;
  // Never acknowledged: fails.
  v = layer4(m, "BS", kMidnight);
  CHECK_FALSE(v.pass);
  CHECK(has(v.evidenceEn, "no push acknowledged yet"));

  // Acknowledged two minutes before midnight (the previous day in Vietnam): healthy.
  m.links.uplink->lastAckAt = kMidnight - 120;
  v = layer4(m, "BS", kMidnight);
  CHECK(v.pass);
  CHECK(has(v.evidenceVi, "127.0.0.1:8445"));
  CHECK(has(v.evidenceVi, "0f3c-child"));
  CHECK(has(v.evidenceVi, "2026-11-30 23:58:00 (UTC+7)"));
  CHECK(has(v.evidenceEn, "last push acknowledged at 2026-11-30 23:58:00 (UTC+7), every 60 s"));

  // Exactly 3 intervals is still healthy; one second more is not.
  CHECK(layer4(m, "BS", kMidnight - 120 + 180).pass);
  v = layer4(m, "BS", kMidnight - 120 + 181);
  CHECK_FALSE(v.pass);
  CHECK(has(v.evidenceVi, "đã quá 3 chu kỳ"));

  // A healthy link does not stand in for a missing record.
  CHECK_FALSE(layer4(m, "QNG", kMidnight).pass);
  // Nor for an expired one.
  m.layers[0].validUntil = *util::parseDate("2026-11-30");
  CHECK_FALSE(layer4(m, "BS", kMidnight).pass);
}

TEST_CASE("the province judges a child's layer 4 by its own view of the link") {
  Province p;
  auto m = org::loadOrg(*p.db);
  REQUIRE(m.links.childOfUnit("BS-A"));
  auto v = org::evaluateLayers(m, "BS-A", util::vietnamDay(kMidnight), {}, kMidnight);
  CHECK(v[0].pass);  // the child's verdict, named as its
  CHECK(has(v[0].evidenceVi, "theo máy chủ thu thập cấp dưới bs-collector"));
  CHECK(v[3].pass);
  CHECK(has(v[3].evidenceEn, "last push acknowledged at 2026-11-30 23:58:00 (UTC+7)"));
  CHECK_FALSE(v[1].pass);  // nothing pushed for layer 2: no record
  // The child silent past 3 intervals: its own verdict stands, the link does not.
  v = org::evaluateLayers(m, "BS-A", util::vietnamDay(kMidnight), {}, kMidnight - 120 + 181);
  CHECK_FALSE(v[3].pass);
  CHECK(v[0].pass);
  fed::revokeChild(*p.db, "bs-collector", kMidnight);
  v = org::evaluateLayers(org::loadOrg(*p.db), "BS-A", util::vietnamDay(kMidnight), {}, kMidnight);
  CHECK_FALSE(v[3].pass);
  CHECK(has(v[3].evidenceEn, "revoked"));
}

TEST_CASE("a silent child: its endpoints count stale and not connected, and one alert says so") {
  Province p;
  auto m = p.model();
  auto alerts = m->rebuild(loadEndpoints(*p.db), kMidnight);
  std::size_t realtime = Province::target(*m, "realtime-share");
  std::size_t connected = Province::target(*m, "connected-share");
  CHECK(m->tally("BS").endpoints == 2);
  CHECK(m->tally("BS").stale == 0);
  CHECK(m->count(realtime, "BS").satisfied == 1);
  CHECK(m->count(connected, "BS").satisfied == 2);
  CHECK(countRule(alerts, kChildStaleRule) == 0);
  CHECK(countRule(alerts, "province-plan/connected") == 0);  // triaged at the district

  // 3 intervals and a second after the last push.
  m = p.model();
  alerts = m->rebuild(loadEndpoints(*p.db), kMidnight - 120 + 181);
  CHECK(m->tally("BS").stale == 2);
  CHECK(m->count(realtime, "BS").satisfied == 0);
  CHECK(m->count(connected, "BS").satisfied == 0);
  REQUIRE(countRule(alerts, kChildStaleRule) == 1);
  auto stale = *std::find_if(alerts.begin(), alerts.end(), [](const WantedAlert& w) { return w.rule == kChildStaleRule; });
  CHECK(stale.subject == "child:bs-collector");
  CHECK(stale.unitCode == "BS");
  CHECK(has(stale.detail, "last push 2026-11-30T16:58:00Z"));
  CHECK(countRule(alerts, kStaleRule) == 0);  // the endpoints' own stale alerts are the child's

  // A push (a heartbeat) brings it back.
  REQUIRE(p.apply(push(1, false, 6, {}, kMidnight + 200), kMidnight + 200).error_code().empty());
  m = p.model();
  alerts = m->rebuild(loadEndpoints(*p.db), kMidnight + 201);
  CHECK(countRule(alerts, kChildStaleRule) == 0);
  CHECK(m->tally("BS").stale == 0);
}

TEST_CASE("a refused push raises an alert at the province until a push is accepted") {
  Province p;
  // A row outside the mount: refused, nothing stored, the refusal kept on the child.
  auto ack = p.apply(push(1, false, 6, {endpoint("x1", "DC-X")}, kMidnight), kMidnight);
  REQUIRE(ack.error_code() == "outside_mount");
  auto links = org::loadLinks(*p.db);
  REQUIRE(links.children.size() == 1);
  CHECK(links.children[0].refusedCode == "outside_mount");
  auto m = p.model();
  auto alerts = m->rebuild(loadEndpoints(*p.db), kMidnight);
  REQUIRE(countRule(alerts, kChildRefusedRule) == 1);
  auto refused = *std::find_if(alerts.begin(), alerts.end(), [](const WantedAlert& w) { return w.rule == kChildRefusedRule; });
  CHECK(has(refused.detail, "outside_mount"));
  CHECK(has(refused.detail, "DC-X"));
  CHECK(m->tally("").endpoints == 2);  // nothing of the refused push

  // A sequence gap is the link recovering by itself: no alert.
  CHECK(p.apply(push(1, false, 9, {endpoint("a3", "BS-A")}, kMidnight), kMidnight).error_code() == "sequence_gap");
  CHECK(org::loadLinks(*p.db).children[0].refusedCode == "outside_mount");

  auto signature = org::loadLinks(*p.db, false).signature(kMidnight + 5);
  REQUIRE(p.apply(push(1, false, 6, {endpoint("a3", "BS-A")}, kMidnight + 5), kMidnight + 5)
              .error_code()
              .empty());
  CHECK(org::loadLinks(*p.db).children[0].refusedCode.empty());
  // The live evaluation sees the links change and evaluates everything: the alert goes.
  CHECK(org::loadLinks(*p.db, false).signature(kMidnight + 5) != signature);
  m = p.model();
  CHECK(countRule(m->rebuild(loadEndpoints(*p.db), kMidnight + 6), kChildRefusedRule) == 0);
}

TEST_CASE("a push of endpoint rows moves the model one row at a time, to what a full evaluation gives") {
  Province p;
  auto live = p.model();
  live->rebuild(loadEndpoints(*p.db), kMidnight);

  // a1 turns off real-time protection, a2 is removed, a3 arrives.
  fed::ApplyEffects effects;
  REQUIRE(p.apply(push(1, false, 6,
                       [] {
                         FederationChange gone;
                         gone.set_endpoint_removed("a2");
                         return std::vector<FederationChange>{endpoint("a1", "BS-A", false), gone,
                                                              endpoint("a3", "BS-A", true)};
                       }(),
                       kMidnight + 30),
                  kMidnight + 30, &effects)
              .error_code()
              .empty());
  CHECK_FALSE(effects.tree);
  CHECK_FALSE(effects.organization);
  CHECK(effects.endpoints == std::vector<std::string>{"a1", "a2", "a3"});

  std::vector<std::string> touched;
  for (const auto& s : loadEndpoints(*p.db)) {
    if (s.agentId == "a1" || s.agentId == "a3") live->update(s, kMidnight + 30, nullptr, &touched);
  }
  live->remove("a2", touched);
  live->remove("nobody", touched);  // unknown: nothing moves
  live->targetChanges(touched, kMidnight + 30);

  auto full = p.model();
  full->rebuild(loadEndpoints(*p.db), kMidnight + 30);
  CHECK(live->endpointCount() == 2);
  for (const std::string unit : {"", "BS", "BS-A"}) {
    CAPTURE(unit);
    CHECK(live->tally(unit).endpoints == full->tally(unit).endpoints);
    CHECK(live->tally(unit).stale == full->tally(unit).stale);
    for (std::size_t t = 0; t < full->targets().size(); ++t) {
      CHECK(live->count(t, unit).satisfied == full->count(t, unit).satisfied);
      CHECK(live->count(t, unit).total == full->count(t, unit).total);
    }
  }
  CHECK(live->count(Province::target(*live, "realtime-share"), "BS").satisfied == 1);

  // A new unit is a change of the tree: a full evaluation, not row by row.
  REQUIRE(p.apply(push(1, false, 9, {ft::unit("BS-B", "")}, kMidnight + 40), kMidnight + 40, &effects)
              .error_code()
              .empty());
  CHECK(effects.tree);
}

TEST_CASE("a district's own endpoints are connected while its upstream link is healthy") {
  test::TempDir tmp;
  auto db = openDatabase(tmp.path());
  auto policies = std::make_shared<std::vector<policy::Policy>>();
  policies->push_back(policy::loadPolicyText(kProvincePlan, "province.yaml"));
  // One local endpoint with a report.
  posture::v1::Report r;
  r.set_sequence(1);
  r.mutable_collected_at()->set_seconds(kMidnight - 60);
  r.mutable_identity()->set_hostname("pc-1");
  std::vector<StoredEndpoint> endpoints{{"e1", "BS", "pc-1", 1, kMidnight - 60, kMidnight - 60, r.SerializeAsString()}};
  auto connectedAt = [&](std::optional<std::int64_t> ackAt, bool configured) {
    ModelOptions o;
    auto org = std::make_shared<org::OrgModel>(districtWithLayer4());
    if (configured) {
      org::Uplink up;
      up.upstream = "127.0.0.1:8445";
      up.identity = "child";
      up.intervalSeconds = 60;
      up.lastAckAt = ackAt;
      org->links.uplink = up;
    }
    o.org = org;
    FleetModel m(policies, o);
    m.rebuild(endpoints, kMidnight);
    return m.count(Province::target(m, "connected-share"), "BS").satisfied;
  };
  CHECK(connectedAt(std::nullopt, false) == 1);  // the top of its hierarchy
  CHECK(connectedAt(kMidnight - 100, true) == 1);
  CHECK(connectedAt(kMidnight - 181, true) == 0);
  CHECK(connectedAt(std::nullopt, true) == 0);
}

TEST_CASE("exports as of a date read the children's rows as they stood that day") {
  Province p;  // day 1 (2026-11-30 in Vietnam): a1 protected, a2 not
  const std::int64_t day2 = kMidnight + 10 * util::kSecondsPerHour, day3 = day2 + util::kSecondsPerDay;
  FederationChange gone;
  gone.set_endpoint_removed("a2");
  REQUIRE(p.apply(push(1, false, 6, {endpoint("a1", "BS-A", false), gone}, day2), day2).error_code().empty());
  // Day 3: a new epoch's snapshot holds a3 only.
  REQUIRE(p.apply(push(2, true, 1, {ft::unit("BS-A", ""), endpoint("a3", "BS-A")}, day3), day3)
              .error_code()
              .empty());

  auto asOf = [&](std::int64_t cutoff) {
    std::string out;
    for (const auto& s : loadEndpointsAsOf(*p.db, cutoff, AsOfBasis::Received)) {
      auto facts = policy::factsFromFederated(s.federated, s.collectedAt, cutoff);
      const auto* rt = facts.get("antivirus.real_time");
      out += s.agentId + "@" + s.childId + (rt && std::get<bool>(*rt) ? "+" : "-") + " ";
    }
    return out;
  };
  CHECK(asOf(kMidnight - 1) == "a1@bs-collector+ a2@bs-collector- ");
  CHECK(asOf(day2 + 60) == "a1@bs-collector- ");
  CHECK(asOf(day3 + 60) == "a3@bs-collector+ ");
  CHECK(asOf(kMidnight - 2 * util::kSecondsPerDay).empty());  // before anything was pushed
}

TEST_CASE("a district's picture carries layer 4 from its record: rounds that change no state stage nothing") {
  test::TempDir tmp;
  auto db = openDatabase(tmp.path());
  org::putUnit(*db, {"QNG", "", "Tỉnh Quảng Ngãi", "", org::UnitKind::Province}, "test", kMidnight);
  org::putUnit(*db, {"BS", "QNG", "Huyện Bình Sơn", "", org::UnitKind::District}, "test", kMidnight);
  org::LayerRecord r;
  r.unitCode = "BS";
  r.layer = 4;
  r.reference = "SOC tỉnh Quảng Ngãi";
  r.date = *util::parseDate("2024-01-01");
  org::putLayer(*db, r, "test", kMidnight);
  auto ackAt = [&](std::int64_t t) {
    db->prepare("INSERT OR REPLACE INTO upstream_link(id, upstream, identity, mount_unit, interval_seconds, "
                "last_ack_at, last_attempt_at) VALUES (1, '127.0.0.1:8445', 'child-1', 'BS', 60, ?, ?)")
        .bind(1, t)
        .bind(2, t)
        .run();
  };
  auto policies = std::make_shared<const std::vector<policy::Policy>>();
  upstream::PictureOptions po;
  po.mountUnit = "BS";
  auto layerRows = [&](std::int64_t now) {
    std::map<std::string, std::string> out;
    for (const auto& row : upstream::buildPicture(*db, policies, po, now).rows) {
      if (row.key.rfind("layer", 0) == 0) out[row.key] = row.change;
    }
    return out;
  };
  ackAt(kMidnight);
  auto first = layerRows(kMidnight + 10);
  REQUIRE(first.size() == 4);
  ackAt(kMidnight + 60);
  CHECK(layerRows(kMidnight + 70) == first);
  // Even a stale link: the province judges the link to itself.
  CHECK(layerRows(kMidnight + 3600) == first);

  // The district itself, meanwhile, fails its layer 4 while nothing is acknowledged.
  auto m = org::loadOrg(*db);
  CHECK_FALSE(org::evaluateLayers(m, "BS", util::vietnamDay(kMidnight + 3600), {}, kMidnight + 3600)[3].pass);
  CHECK(org::evaluateLayers(m, "BS", util::vietnamDay(kMidnight + 90), {}, kMidnight + 90)[3].pass);
}
