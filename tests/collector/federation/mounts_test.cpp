#include "collector/federation/mounts.h"

#include <doctest/doctest.h>

#include <memory>

#include "collector/storage/storage.h"
#include "tests/collector/federation/picture.h"
#include "tests/support/temp_dir.h"

// The province refuses what a child may not push, with a stable code and a message that
// names the cause, and stores nothing of a refused push.

namespace fed = posture::collector::federation;
namespace ft = posture::test::federation;
using posture::v1::FederationAck;
using posture::v1::FederationChange;
using posture::v1::FederationPush;

namespace {

constexpr std::int64_t kNow = 1750000000;
const fed::UnitCodes kOwn{"QNG", "BS", "DC", "BS-VP"};

FederationPush push(std::uint64_t epoch, bool snapshot, std::uint64_t first,
                    std::vector<FederationChange> changes) {
  FederationPush p;
  p.set_epoch(epoch);
  p.set_snapshot(snapshot);
  p.set_detail("endpoints");
  p.set_interval_seconds(60);
  p.set_sent_at(kNow);
  for (auto& c : changes) {
    c.set_sequence(first++);
    *p.add_changes() = c;
  }
  p.set_snapshot_through(first - 1);
  return p;
}

struct Province {
  posture::test::TempDir tmp;
  std::unique_ptr<posture::db::Connection> db = posture::collector::openDatabase(tmp.path());

  Province() {
    fed::registerChild(*db, "bs", "BS", kNow);
    fed::registerChild(*db, "dc", "DC", kNow);
    // Each child holds a small picture already: epoch 1, sequences 1-3.
    REQUIRE(apply("bs", push(1, true, 1,
                             {ft::unit("BS-A", "BS"), ft::endpoint("a1", "BS-A"),
                              ft::target("BS", 1, 1)}))
                .error_code()
                .empty());
    REQUIRE(apply("dc", push(1, true, 1,
                             {ft::unit("DC-X", "DC"), ft::endpoint("x1", "DC-X"),
                              ft::layer("DC", 4, true)}))
                .error_code()
                .empty());
  }

  FederationAck apply(const std::string& child, const FederationPush& p) {
    return fed::applyPush(*db, child, kOwn, p, kNow);
  }

  // Everything stored of both children, and their link state.
  std::string state() {
    std::string out = ft::keys(ft::held(*db, "bs")) + "|" + ft::keys(ft::held(*db, "dc"));
    for (const auto& [k, v] : ft::held(*db, "bs")) out += v;
    for (const auto& c : fed::children(*db)) {
      out += "|" + c.childId + ":" + std::to_string(c.epoch) + ":" +
             std::to_string(c.lastSequence) + ":" + std::to_string(c.lastPushAt.value_or(-1));
    }
    return out;
  }
};

// Applies a push that must be refused: checks the code, that both messages contain
// `mentions`, and that nothing stored moved.
void expectRefused(Province& p, const std::string& child, const FederationPush& push,
                   const std::string& code, const std::vector<std::string>& mentions) {
  std::string before = p.state();
  FederationAck ack = p.apply(child, push);
  INFO(ack.message_en());
  CHECK(ack.error_code() == code);
  CHECK_FALSE(ack.message_vi().empty());
  CHECK_FALSE(ack.snapshot_required());
  for (const auto& m : mentions) {
    CHECK(ack.message_vi().find(m) != std::string::npos);
    CHECK(ack.message_en().find(m) != std::string::npos);
  }
  CHECK(p.state() == before);
}

}  // namespace

TEST_CASE(
    "federation refusal: a unit code owned by the province or another child names both owners") {
  Province p;
  // The last change is the collision; the earlier ones of the push must not stay either.
  expectRefused(p, "bs", push(1, false, 4, {ft::endpoint("a9", "BS"), ft::unit("BS-VP", "BS")}),
                "unit_collision", {"BS-VP", "bs"});
  FederationAck ack = p.apply("bs", push(1, false, 4, {ft::unit("BS-VP", "BS")}));
  CHECK(ack.message_en().find("this collector's own unit tree") != std::string::npos);
  CHECK(ack.committed_sequence() == 3);

  expectRefused(p, "bs", push(1, false, 4, {ft::unit("DC-X", "BS")}), "unit_collision",
                {"DC-X", "dc", "bs"});
  expectRefused(p, "bs", push(1, false, 4, {ft::unit("BS", "")}), "unit_collision", {"BS"});
}

TEST_CASE("federation refusal: rows and units outside the child's mount subtree") {
  Province p;
  // An endpoint of another child's unit, of a province unit, of an undeclared unit.
  expectRefused(p, "bs", push(1, false, 4, {ft::endpoint("z1", "DC-X")}), "outside_mount",
                {"DC-X", "BS", "bs"});
  expectRefused(p, "bs", push(1, false, 4, {ft::endpoint("z1", "QNG")}), "outside_mount", {"QNG"});
  expectRefused(p, "bs", push(1, false, 4, {ft::target("NOWHERE", 1, 1)}), "outside_mount",
                {"NOWHERE"});
  // A unit hung under the province's root instead of under the mount.
  expectRefused(p, "bs", push(1, false, 4, {ft::unit("BS-Z", "QNG")}), "outside_mount",
                {"BS-Z", "QNG"});
  // Removing a unit that still holds a row leaves that row outside.
  expectRefused(p, "bs",
                [] {
                  FederationChange c;
                  c.set_unit_removed("BS-A");
                  return push(1, false, 4, {c});
                }(),
                "outside_mount", {"BS-A"});
  // The same rows inside the subtree are taken, an empty parent hanging at the mount.
  CHECK(p.apply("bs", push(1, false, 4, {ft::unit("BS-R", ""), ft::endpoint("r1", "BS-R")}))
            .error_code()
            .empty());
  auto units = fed::federatedUnits(*p.db);
  REQUIRE(units.size() == 3);
  CHECK(units[1].code == "BS-R");
  CHECK(units[1].parent == "BS");
}

TEST_CASE("federation refusal: a revoked or unknown child") {
  Province p;
  CHECK(fed::revokeChild(*p.db, "bs", kNow));
  expectRefused(p, "bs", push(1, false, 4, {ft::endpoint("a2", "BS-A")}), "child_revoked", {"bs"});
  expectRefused(p, "xx", push(1, true, 1, {ft::endpoint("a2", "BS")}), "unknown_child", {"xx"});
  CHECK_FALSE(fed::revokeChild(*p.db, "xx", kNow));
  CHECK_THROWS_AS(fed::registerChild(*p.db, "dc", "DC", kNow), fed::FederationError);
  // Its rows stay, read-only, and the link shows the revocation.
  CHECK(ft::held(*p.db, "bs").size() == 3);
  CHECK_FALSE(fed::children(*p.db)[0].healthy(kNow));
}

TEST_CASE("federation refusal: oversized pushes and fields name the bound") {
  Province p;
  std::vector<FederationChange> many;
  for (std::size_t i = 0; i <= fed::kMaxPushChanges; ++i) {
    many.push_back(ft::endpoint("n" + std::to_string(i), "BS"));
  }
  expectRefused(p, "bs", push(1, false, 4, many), "too_many_changes",
                {std::to_string(fed::kMaxPushChanges)});

  auto longHost = ft::endpoint("a1", "BS-A");
  longHost.mutable_endpoint()->set_hostname(std::string(fed::kMaxTextBytes + 1, 'h'));
  expectRefused(p, "bs", push(1, false, 4, {longHost}), "field_too_long",
                {"endpoint.hostname", "4"});
  auto badLayer = ft::layer("BS", 5, true);
  expectRefused(p, "bs", push(1, false, 4, {badLayer}), "invalid_field", {"layer.layer"});
  expectRefused(p, "bs", push(1, false, 4, {FederationChange{}}), "empty_change", {"4"});

  std::string huge(fed::kMaxPushBytes + 1, '\0');
  std::string before = p.state();
  FederationAck ack = fed::applyPushBytes(*p.db, "bs", kOwn, huge, kNow);
  CHECK(ack.error_code() == "push_too_large");
  CHECK(ack.committed_sequence() == 3);
  CHECK(p.state() == before);
}

TEST_CASE("federation refusal: malformed bytes, a summary with endpoints, unordered sequences") {
  Province p;
  std::string before = p.state();
  for (std::string body : {std::string("\xff\xff\xff\xff", 4), std::string("\x1a\x05\x08", 3)}) {
    FederationAck ack = fed::applyPushBytes(*p.db, "bs", kOwn, body, kNow);
    CHECK(ack.error_code() == "malformed_push");
    CHECK(ack.message_vi().find("không đọc được") != std::string::npos);
  }
  CHECK(p.state() == before);

  FederationPush summary = push(1, false, 4, {ft::endpoint("a2", "BS")});
  summary.set_detail("summary");
  expectRefused(p, "bs", summary, "endpoint_in_summary", {"4"});
  FederationPush jumbled = push(1, false, 4, {ft::endpoint("a2", "BS"), ft::endpoint("a3", "BS")});
  jumbled.mutable_changes(1)->set_sequence(7);
  expectRefused(p, "bs", jumbled, "invalid_push", {"7"});
}

TEST_CASE(
    "federation refusal: a gap names the expected sequence; an epoch the parent lacks wants a "
    "snapshot") {
  Province p;
  expectRefused(p, "bs", push(1, false, 6, {ft::endpoint("a2", "BS")}), "sequence_gap", {"4", "6"});

  std::string before = p.state();
  for (std::uint64_t epoch : {0u + 2u, 0u + 5u}) {  // a delta of an epoch never started here
    FederationAck ack = p.apply("bs", push(epoch, false, 1, {ft::endpoint("a2", "BS")}));
    CHECK(ack.snapshot_required());
    CHECK(ack.epoch() == 1);
    CHECK(ack.committed_sequence() == 3);
  }
  CHECK(p.state() == before);

  // A snapshot of epoch 2 replaces everything; then an epoch-1 push is too old.
  CHECK(p.apply("bs", push(2, true, 1, {ft::endpoint("m1", "BS")})).error_code().empty());
  CHECK(ft::held(*p.db, "bs") == ft::rowsOf({ft::endpoint("m1", "BS")}));
  FederationAck old = p.apply("bs", push(1, true, 1, {ft::endpoint("a1", "BS")}));
  CHECK(old.snapshot_required());
  CHECK(old.epoch() == 2);
  CHECK(ft::held(*p.db, "bs") == ft::rowsOf({ft::endpoint("m1", "BS")}));
  // The other child never moved.
  CHECK(ft::held(*p.db, "dc").size() == 3);
}
