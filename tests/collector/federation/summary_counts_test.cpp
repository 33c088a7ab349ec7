// A summary push (the national tier, issue 16) carries each unit's own 2290 counts: the
// parent holds them row for row, a delta moves or removes them, a new epoch's snapshot
// replaces them with everything else of the child, and counts that do not add up are
// refused with the field named and nothing stored.
#include "collector/federation/changes.h"

#include <doctest/doctest.h>

#include <memory>

#include "collector/federation/held.h"
#include "collector/federation/mounts.h"
#include "collector/storage/storage.h"
#include "tests/collector/federation/picture.h"
#include "tests/support/temp_dir.h"

namespace fed = posture::collector::federation;
namespace ft = posture::test::federation;
using posture::v1::FederationAck;
using posture::v1::FederationChange;
using posture::v1::FederationPush;

namespace {

constexpr std::int64_t kNow = 1750000000;
const fed::UnitCodes kOwn{"QNG", "BS", "DC"};

FederationPush summary(std::uint64_t epoch, bool snapshot, std::uint64_t first,
                       std::vector<FederationChange> changes) {
  FederationPush p;
  p.set_epoch(epoch);
  p.set_snapshot(snapshot);
  p.set_detail("summary");
  p.set_interval_seconds(60);
  for (auto& c : changes) {
    c.set_sequence(first++);
    *p.add_changes() = c;
  }
  p.set_snapshot_through(snapshot ? first - 1 : 0);
  return p;
}

struct Parent {
  posture::test::TempDir tmp;
  std::unique_ptr<posture::db::Connection> db = posture::collector::openDatabase(tmp.path());
  Parent() {
    fed::registerChild(*db, "bs", "BS", kNow);
    fed::registerChild(*db, "dc", "DC", kNow);
  }
  FederationAck apply(const std::string& child, const FederationPush& p) {
    return fed::applyPush(*db, child, kOwn, p, kNow);
  }
};

std::vector<FederationChange> pictureV1() {
  return {ft::unit("BS-A", "BS"), ft::report2290("BS", 3), ft::report2290("BS-A", 5),
          ft::target("BS-A", 4, 5)};
}

// A refused change: its code, its field named in both languages, nothing stored.
void expectRefused(Parent& p, const FederationChange& change, const std::string& code,
                   const std::string& field) {
  std::string before = ft::keys(ft::held(*p.db, "bs"));
  for (const auto& [k, v] : ft::held(*p.db, "bs")) before += v;
  FederationAck ack = p.apply("bs", summary(1, false, 5, {ft::unit("BS-B", "BS"), change}));
  INFO(ack.message_en());
  CHECK(ack.error_code() == code);
  CHECK(ack.message_vi().find(field) != std::string::npos);
  CHECK(ack.message_en().find(field) != std::string::npos);
  CHECK(ack.committed_sequence() == 4);
  std::string after = ft::keys(ft::held(*p.db, "bs"));
  for (const auto& [k, v] : ft::held(*p.db, "bs")) after += v;
  CHECK(after == before);
}

}  // namespace

TEST_CASE("federation: a summary's 2290 counts are held row for row, moved, removed, replaced") {
  Parent p;
  REQUIRE(p.apply("bs", summary(1, true, 1, pictureV1())).error_code().empty());
  CHECK(ft::held(*p.db, "bs") == ft::rowsOf(pictureV1()));
  auto held = fed::heldRows(*p.db, fed::RowKind::Report2290);
  REQUIRE(held.size() == 2);
  CHECK(held[0].childId == "bs");
  CHECK(fed::outboxRow(held[1].change).change == fed::outboxRow(ft::report2290("BS-A", 5)).change);

  // A delta: BS-A's counts move, BS's go (its machines left).
  auto removed = fed::removalOf(ft::report2290("BS", 3));
  CHECK(removed.report_2290_removed() == "BS");
  CHECK(fed::changeKey(removed) == fed::changeKey(ft::report2290("BS", 3)));
  REQUIRE(p.apply("bs", summary(1, false, 5, {ft::report2290("BS-A", 7), removed}))
              .error_code()
              .empty());
  CHECK(ft::held(*p.db, "bs") ==
        ft::rowsOf({ft::unit("BS-A", "BS"), ft::report2290("BS-A", 7), ft::target("BS-A", 4, 5)}));

  // A new epoch's snapshot replaces everything of the child, the counts too.
  REQUIRE(p.apply("bs", summary(2, true, 1, {ft::unit("BS-B", "BS")})).error_code().empty());
  CHECK(ft::held(*p.db, "bs") == ft::rowsOf({ft::unit("BS-B", "BS")}));
  CHECK(fed::heldRows(*p.db, fed::RowKind::Report2290).empty());
}

TEST_CASE("federation: a summary may remove the endpoint rows an earlier endpoints push left") {
  Parent p;
  FederationPush endpoints =
      summary(1, true, 1, {ft::unit("BS-A", "BS"), ft::endpoint("a1", "BS-A")});
  endpoints.set_detail("endpoints");
  REQUIRE(p.apply("bs", endpoints).error_code().empty());
  // The child now pushes summaries: its first one removes the row and brings the counts.
  FederationChange gone;
  gone.set_endpoint_removed("a1");
  auto ack = p.apply("bs", summary(1, false, 3, {gone, ft::report2290("BS-A", 1)}));
  INFO(ack.message_en());
  REQUIRE(ack.error_code().empty());
  CHECK(ft::held(*p.db, "bs") == ft::rowsOf({ft::unit("BS-A", "BS"), ft::report2290("BS-A", 1)}));
  // A row itself is still refused.
  ack = p.apply("bs", summary(1, false, 5, {ft::endpoint("a2", "BS-A")}));
  CHECK(ack.error_code() == "endpoint_in_summary");
}

TEST_CASE("federation refusal: 2290 counts that do not add up, name the field") {
  Parent p;
  REQUIRE(p.apply("bs", summary(1, true, 1, pictureV1())).error_code().empty());

  auto over = ft::report2290("BS-A", 5);
  over.mutable_report_2290()->set_auto_protect(6);
  expectRefused(p, over, "invalid_field", "report_2290.auto_protect");
  auto stale = ft::report2290("BS-A", 5);
  stale.mutable_report_2290()->set_stale(9);
  expectRefused(p, stale, "invalid_field", "report_2290.stale");
  auto reasons = ft::report2290("BS-A", 5);
  reasons.mutable_report_2290()->set_not_updated_signatures_too_old(1);  // 2 reasons, 1 counted
  expectRefused(p, reasons, "invalid_field", "report_2290.not_updated");
  auto systems = ft::report2290("BS-A", 5);
  systems.mutable_report_2290()->mutable_operating_systems(1)->set_machines(1);
  expectRefused(p, systems, "invalid_field", "report_2290.operating_systems");
  auto twice = ft::report2290("BS-A", 5);
  twice.mutable_report_2290()->mutable_operating_systems(0)->set_os_name("Windows 10 Pro");
  expectRefused(p, twice, "invalid_field", "report_2290.operating_systems.os_name");
  auto many = ft::report2290("BS-A", 5);
  many.mutable_report_2290()->set_machines(fed::kMaxOsNames + 1);
  many.mutable_report_2290()->clear_operating_systems();
  for (std::size_t i = 0; i <= fed::kMaxOsNames; ++i) {
    auto* os = many.mutable_report_2290()->add_operating_systems();
    os->set_os_name("OS " + std::to_string(i));
    os->set_machines(1);
  }
  expectRefused(p, many, "too_many_os_names", "operating_systems");
  auto badUnit = ft::report2290("bs a", 5);
  expectRefused(p, badUnit, "invalid_field", "report_2290.unit_code");
  // Counts of a unit outside the child's mount subtree (the other child's mount).
  expectRefused(p, ft::report2290("DC", 5), "outside_mount", "DC");
}
