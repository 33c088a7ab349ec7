// The national tier (issue 16): a province pushes a summary of its whole tree (its own
// machines, its endpoint-mode district's rows, its summary district's counts passed on)
// without endpoint rows; the national collector that applies it reports the same 2290
// figures as the province, unit for unit.
#include "collector/upstream/picture.h"

#include <doctest/doctest.h>

#include <map>

#include "collector/export/report_2290.h"
#include "collector/federation/held.h"
#include "collector/federation/mounts.h"
#include "collector/federation/outbox.h"
#include "tests/collector/export/export_fixture.h"
#include "tests/collector/federation/picture.h"

using namespace posture;
using namespace posture::collector;
namespace fed = posture::collector::federation;
namespace ft = posture::test::federation;
using posture::v1::FederationChange;
using posture::v1::FederationPush;

namespace {
const std::int64_t kNow = test::kPinnedNow;
constexpr std::int64_t kDay = util::kSecondsPerDay;

FederationPush pushOf(std::vector<FederationChange> changes, const std::string& detail) {
  FederationPush p;
  p.set_epoch(1);
  p.set_snapshot(true);
  p.set_detail(detail);
  p.set_interval_seconds(60);
  std::uint64_t sequence = 1;
  for (auto& c : changes) {
    c.set_sequence(sequence++);
    *p.add_changes() = c;
  }
  p.set_snapshot_through(sequence - 1);
  return p;
}

// A district's endpoint row whose facts were collected an hour before kNow.
FederationChange row(const std::string& agent, const std::string& unit, bool realTime,
                     double signatureAgeDays) {
  auto c = ft::endpoint(agent, unit, realTime, signatureAgeDays);
  c.mutable_endpoint()->set_facts_at(kNow - 3600);
  c.mutable_endpoint()->set_last_seen(kNow - 3600);
  return c;
}

// A summary child's value at its mount unit of a target this province's own plans define
// too (the national baseline applies everywhere): the child's value goes up, once.
FederationChange mountTarget() {
  auto c = ft::target("BS-TC", 2, 5);
  c.mutable_target()->set_policy_id("national-baseline");
  c.mutable_target()->set_target_id("four-layer-model");
  return c;
}

// Own figures per unit of the rows of one kind in a picture.
std::map<std::string, Figures2290> countsOf(const upstream::Picture& p) {
  std::map<std::string, Figures2290> out;
  for (const auto& r : p.rows) {
    FederationChange c;
    REQUIRE(c.ParseFromString(r.change));
    if (c.has_report_2290()) out[c.report_2290().unit_code()] = figuresOf(c.report_2290());
  }
  return out;
}

std::size_t countKind(const upstream::Picture& p, FederationChange::ChangeCase kind) {
  std::size_t n = 0;
  for (const auto& r : p.rows) {
    FederationChange c;
    c.ParseFromString(r.change);
    n += c.change_case() == kind;
  }
  return n;
}

std::size_t bytesOf(const upstream::Picture& p) {
  std::size_t n = 0;
  for (const auto& r : p.rows) n += r.change.size();
  return n;
}

const Unit2290* unitIn(const Report2290& r, const std::string& code) {
  for (const auto& u : r.units) {
    if (u.code == code) return &u;
  }
  return nullptr;
}

// The province (the export fixture's tree: QNG > BS > BS-TC, and DC outside its mount):
//   QNG    q1 its own machine, protected
//   BS     b1 its own machine, real-time off; the district "bs" (endpoints) mounted here
//          pushed BS-A with a1 (protected) and a2 (signatures 20 days old)
//   BS-TC  the district "tc" (summary) mounted here pushed BS-TC-X with 4 machines' counts,
//          a target, a layer verdict and an alert count
//   DC     d1 its own machine, outside the mount QNG: never pushed
struct Province {
  test::ExportFixture fx;
  Province() {
    // The fixture's tricky name holds a newline, which a push refuses (unit.name_vi).
    org::putUnit(
        *fx.db,
        {"BS-TC", "BS", "Phòng Tài chính - Kế hoạch", "Finance office", org::UnitKind::Department},
        "test", kNow);
    fx.report("q1", "QNG", "pc-q1", 1, kNow - 3600, true);
    fx.report("b1", "BS", "pc-b1", 1, kNow - 3600, false);
    fx.report("d1", "DC", "pc-d1", 1, kNow - 3600, true);
    fed::registerChild(*fx.db, "bs", "BS", kNow - kDay);
    fed::registerChild(*fx.db, "tc", "BS-TC", kNow - kDay);
    const fed::UnitCodes own{"QNG", "BS", "BS-TC", "DC"};
    auto bs = fed::applyPush(*fx.db, "bs", own,
                             pushOf({ft::unit("BS-A", "BS"), row("a1", "BS-A", true, 1),
                                     row("a2", "BS-A", true, 20), ft::layer("BS-A", 1, true)},
                                    "endpoints"),
                             kNow - 60);
    REQUIRE(bs.error_code().empty());
    auto tc = fed::applyPush(*fx.db, "tc", own,
                             pushOf({ft::unit("BS-TC-X", "BS-TC"), ft::report2290("BS-TC-X", 4),
                                     ft::target("BS-TC-X", 3, 4), ft::layer("BS-TC-X", 4, false),
                                     ft::alerts("BS-TC-X", "av", 2), mountTarget()},
                                    "summary"),
                             kNow - 60);
    REQUIRE(tc.error_code().empty());
  }

  std::shared_ptr<const std::vector<policy::Policy>> policies =
      std::make_shared<const std::vector<policy::Policy>>(
          policy::loadPolicyDirectory(std::string(POSTURE_SOURCE_DIR) + "/policies"));

  upstream::Picture picture(bool summary) {
    upstream::PictureOptions o;
    o.mountUnit = "QNG";
    o.summary = summary;
    return upstream::buildPicture(*fx.db, policies, o, kNow);
  }
};
}  // namespace

TEST_CASE(
    "a province's summary counts its whole tree for 2290, passes its children's on, sends no "
    "rows") {
  Province p;
  auto summary = p.picture(true);
  CHECK(summary.endpoints == 4);  // q1, b1, a1, a2 and none of DC's
  CHECK(countKind(summary, FederationChange::kEndpoint) == 0);

  // Each unit's own counts are the province's own 2290 figures of that unit: one rule.
  auto report = buildReport2290(*p.fx.db, {}, false, "", kNow);
  auto counts = countsOf(summary);
  CHECK(counts.size() == 4);  // QNG, BS, BS-A, BS-TC-X; DC is outside the mount
  for (const auto& entry : counts) {
    // Named copies, not structured bindings: clang 14 cannot capture those (CAPTURE does).
    const auto& code = entry.first;
    const auto& figures = entry.second;
    CAPTURE(code);
    const auto* u = unitIn(report, code);
    REQUIRE(u);
    CHECK(u->own == figures);
  }
  CHECK(counts.at("BS-A").machines == 2);
  CHECK(counts.at("BS-A").notUpdated == 1);  // a2's signatures are 20 days old
  CHECK(counts.at("BS-TC-X") == figuresOf(ft::report2290("BS-TC-X", 4).report_2290()));
  CHECK(report.pushedMachines == 4);
  CHECK(unitIn(report, "QNG")->subtree.machines == 8);  // q1, b1, a1, a2 and BS-TC-X's 4

  // The summary child's target and alert counts go up as they came, the children's layer
  // verdicts as the province's model takes them (theirs, where it keeps no record); the
  // province's plans are not evaluated where it holds no rows.
  ft::Rows keys;
  for (const auto& r : summary.rows) keys[r.key] = r.change;
  CHECK(keys.size() == summary.rows.size());  // each key once, as stage() requires
  auto layerOf = [&](const std::string& unit, int n) {
    FederationChange c;
    REQUIRE(c.ParseFromString(keys.at(fed::changeKey(ft::layer(unit, n, true)))));
    return c.layer();
  };
  CHECK(layerOf("BS-A", 1).pass());  // the district's verdict
  CHECK_FALSE(layerOf("BS-TC-X", 4).pass());
  CHECK(keys.at(fed::changeKey(ft::target("BS-TC-X", 3, 4))) ==
        fed::outboxRow(ft::target("BS-TC-X", 3, 4)).change);
  CHECK(keys.at(fed::changeKey(ft::alerts("BS-TC-X", "av", 2))) ==
        fed::outboxRow(ft::alerts("BS-TC-X", "av", 2)).change);
  CHECK(keys.at(fed::changeKey(mountTarget())) == fed::outboxRow(mountTarget()).change);
  // Where the province holds rows its own plans are evaluated: the baseline at BS.
  auto atBs = mountTarget();
  atBs.mutable_target()->set_unit_code("BS");
  CHECK(keys.count(fed::changeKey(atBs)) == 1);
  CHECK(keys.at(fed::changeKey(atBs)) != fed::outboxRow(atBs).change);

  // The same province pushing endpoints sends rows instead, and counts only for the units
  // that have none (its summary child's).
  auto endpoints = p.picture(false);
  CHECK(countKind(endpoints, FederationChange::kEndpoint) == 4);
  CHECK(countKind(endpoints, FederationChange::kReport2290) == 1);
  CHECK(countsOf(endpoints).count("BS-TC-X") == 1);
  MESSAGE("picture bytes: summary " << bytesOf(summary) << ", endpoints " << bytesOf(endpoints));
}

TEST_CASE(
    "the national collector's 2290 report over a summary child equals the province's, unit for "
    "unit") {
  Province p;
  auto summary = p.picture(true);
  // Through the province's outbox and the bytes of a push, as the link carries them.
  auto staged = fed::stage(*p.fx.db, summary.rows);
  for (const auto& [key, problem] : staged.refused) MESSAGE(key << ": " << problem.en);
  REQUIRE(staged.refused.empty());
  fed::PushOptions po;
  po.detail = "summary";
  po.now = kNow;
  auto push = fed::nextPush(*p.fx.db, po);
  REQUIRE(push);

  test::TempDir dir("posture-national-");
  auto national = openDatabase(dir.path());
  org::putUnit(*national,
               {"QNG", "", "Tỉnh Quảng Ngãi", "Quang Ngai province", org::UnitKind::Province},
               "test", kNow);
  fed::registerChild(*national, "qng", "QNG", kNow);
  auto ack = fed::applyPushBytes(*national, "qng", {"QNG"}, fed::serialize(*push), kNow);
  INFO(ack.message_en());
  REQUIRE(ack.error_code().empty());
  auto none = national->prepare("SELECT count(*) FROM federated_endpoints");
  REQUIRE(none.step());
  CHECK(none.getInt(0) == 0);

  auto province = buildReport2290(*p.fx.db, {}, false, "", kNow);
  auto top = buildReport2290(*national, {}, false, "", kNow);
  CHECK(top.pushedMachines == 8);
  CHECK(top.total == unitIn(province, "QNG")->subtree);
  for (const auto& code : {"QNG", "BS", "BS-A", "BS-TC", "BS-TC-X"}) {
    CAPTURE(code);
    const auto* mine = unitIn(province, code);
    const auto* there = unitIn(top, code);
    REQUIRE(mine);
    REQUIRE(there);
    CHECK(there->own == mine->own);
    CHECK(there->subtree == mine->subtree);
  }
  CHECK(unitIn(top, "DC") == nullptr);
  // An --as-of report holds no child's figures, as it holds no child's rows.
  ExportFilters asOf;
  asOf.asOfDay = util::vietnamDay(kNow);
  CHECK(buildReport2290(*national, asOf, false, "", kNow).total.machines == 0);
}
