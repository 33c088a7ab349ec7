#include "collector/federation/outbox.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <memory>

#include "collector/federation/mounts.h"
#include "collector/storage/storage.h"
#include "tests/collector/federation/picture.h"
#include "tests/support/temp_dir.h"

// A district's outbox and a province's mounts joined through serialized bytes, as the link
// will carry them: the province's rows equal the district's picture after every step, and
// every change arrives once across lost acks, crashes and restored databases.

namespace fed = posture::collector::federation;
namespace ft = posture::test::federation;
using posture::v1::FederationAck;
using posture::v1::FederationPush;

namespace {

constexpr std::int64_t kNow = 1750000000;
const fed::UnitCodes kOwn{"QNG", "BS", "DC"};

std::vector<posture::v1::FederationChange> pictureV1() {
  return {
      ft::unit("BS-A", "BS"),     ft::unit("BS-B", "BS"),      ft::unit("BS-A1", "BS-A"),
      ft::endpoint("a1", "BS-A"), ft::endpoint("a2", "BS-A1"), ft::endpoint("b1", "BS-B", false),
      ft::endpoint("m1", "BS"),   ft::target("BS", 3, 4),      ft::target("BS-A", 2, 2),
      ft::layer("BS", 4, true),   ft::layer("BS-A", 1, false), ft::system("BS-QLVB", "BS"),
      ft::alerts("BS-B", "av", 1)};
}

// a1 fails now, b1 is gone, BS-C is new with c1, the system is gone, targets moved.
std::vector<posture::v1::FederationChange> pictureV2() {
  return {ft::unit("BS-A", "BS"),
          ft::unit("BS-B", "BS"),
          ft::unit("BS-A1", "BS-A"),
          ft::unit("BS-C", "BS-B"),
          ft::endpoint("a1", "BS-A", false),
          ft::endpoint("a2", "BS-A1"),
          ft::endpoint("c1", "BS-C"),
          ft::endpoint("m1", "BS"),
          ft::target("BS", 2, 4),
          ft::target("BS-A", 1, 2),
          ft::layer("BS", 4, true),
          ft::layer("BS-A", 1, true),
          ft::alerts("BS-B", "av", 0)};
}

// The tree shrinks: BS-A (with BS-A1 under it) and BS-B go; BS-C moves up under BS and
// takes a2; a1 is gone with its unit.
std::vector<posture::v1::FederationChange> pictureV3() {
  return {ft::unit("BS-C", "BS"),   ft::endpoint("a2", "BS-C"), ft::endpoint("c1", "BS-C"),
          ft::endpoint("m1", "BS"), ft::target("BS", 3, 3),     ft::layer("BS", 4, true)};
}

struct Tier {
  std::filesystem::path dir;
  std::unique_ptr<posture::db::Connection> db;
  void open() { db = posture::collector::openDatabase(dir); }
  void close() { db.reset(); }
};

struct Link {
  posture::test::TempDir tmp;
  Tier district{tmp.path() / "district", nullptr};
  Tier province{tmp.path() / "province", nullptr};
  std::size_t maxChanges = fed::kMaxPushChanges;

  Link() {
    district.open();
    province.open();
    fed::registerChild(*province.db, "bs", "BS", kNow);
  }

  FederationAck send(const FederationPush& push) {
    std::string bytes = fed::serialize(push);
    FederationAck ack = fed::applyPushBytes(*province.db, "bs", kOwn, bytes, kNow);
    FederationAck received;
    REQUIRE(received.ParseFromString(fed::serialize(ack)));
    return received;
  }

  FederationPush next() {
    fed::PushOptions o;
    o.maxChanges = maxChanges;
    o.now = kNow;
    auto push = fed::nextPush(*district.db, o);
    REQUIRE(push.has_value());
    return *push;
  }

  // Pushes until the outbox is empty and the snapshot acknowledged; returns the pushes.
  int sync() {
    for (int pushes = 1; pushes <= 1000; ++pushes) {
      FederationAck ack = send(next());
      INFO(ack.error_code() << ": " << ack.message_en());
      REQUIRE((ack.error_code().empty() || ack.snapshot_required()));
      fed::acknowledge(*district.db, ack);
      auto s = fed::upstreamState(*district.db);
      if (s.snapshotThrough && s.snapshotAcked && s.queued == 0) return pushes;
      REQUIRE(s.snapshotThrough.has_value());  // no new epoch inside sync()
    }
    FAIL("the link did not converge");
    return 0;
  }

  void stage(const std::vector<posture::v1::FederationChange>& picture) {
    auto r = fed::stage(*district.db, ft::outboxRows(picture));
    REQUIRE(r.refused.empty());
  }

  fed::ChildLink child() {
    auto all = fed::children(*province.db);
    REQUIRE(all.size() == 1);
    return all[0];
  }
};

void copyTier(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

}  // namespace

TEST_CASE("federation: a snapshot then deltas reach the province through bytes, row for row") {
  Link link;
  link.stage(pictureV1());
  FederationPush first = link.next();
  CHECK(first.snapshot());
  CHECK(first.epoch() == 1);
  CHECK(first.changes_size() == static_cast<int>(pictureV1().size()));
  CHECK(first.changes(0).sequence() == 1);
  CHECK(link.sync() == 1);
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(pictureV1()));

  // Only what changed travels: a1, b1 (removed), BS-C, c1, the system (removed), two
  // targets, one layer and one alert count.
  auto staged = fed::stage(*link.district.db, ft::outboxRows(pictureV2()));
  CHECK(staged.staged == 9);
  FederationPush delta = link.next();
  CHECK_FALSE(delta.snapshot());
  CHECK(delta.changes(0).sequence() == first.changes_size() + 1);
  link.sync();
  INFO("held: " << ft::keys(ft::held(*link.province.db, "bs")));
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(pictureV2()));

  // One change per push: every prefix of the batch must keep the tree consistent (units
  // before their rows, removed units after them and deepest first), or a push is refused.
  link.maxChanges = 1;
  link.stage(pictureV3());
  CHECK(link.sync() > 5);
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(pictureV3()));
  auto child = link.child();
  CHECK(child.complete());
  CHECK(child.lastSequence == fed::upstreamState(*link.district.db).nextSequence - 1);
  CHECK(fed::stage(*link.district.db, ft::outboxRows(pictureV3())).staged == 0);
}

TEST_CASE("federation: a snapshot larger than one push arrives over several, complete at the end") {
  Link link;
  link.maxChanges = 4;
  link.stage(pictureV1());
  FederationPush part = link.next();
  CHECK(part.snapshot());
  CHECK(part.snapshot_through() == pictureV1().size());
  link.send(part);  // acknowledged below by sync()
  CHECK_FALSE(link.child().complete());
  CHECK(link.sync() == 4);
  CHECK(link.child().complete());
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(pictureV1()));
}

TEST_CASE(
    "federation: a push applied again (lost ack) changes nothing and acks the same sequence") {
  Link link;
  link.stage(pictureV1());
  FederationPush snapshot = link.next();
  FederationAck first = link.send(snapshot);
  REQUIRE(first.error_code().empty());
  FederationAck again = link.send(snapshot);  // the ack was lost; the district sends it again
  CHECK(again.error_code().empty());
  CHECK(again.committed_sequence() == first.committed_sequence());
  CHECK(again.epoch() == first.epoch());
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(pictureV1()));
  fed::acknowledge(*link.district.db, again);

  link.stage(pictureV2());
  FederationPush delta = link.next();
  FederationAck d = link.send(delta);
  REQUIRE(d.error_code().empty());
  // A late copy of the snapshot (same epoch) is skipped: applying it again would bring b1
  // and the system back and turn a1 compliant again.
  FederationAck late = link.send(snapshot);
  CHECK(late.error_code().empty());
  CHECK(late.committed_sequence() == d.committed_sequence());
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(pictureV2()));
}

TEST_CASE("federation: crash after the province committed, before the district kept the ack") {
  Link link;
  link.stage(pictureV1());
  FederationPush sent = link.next();
  REQUIRE(link.send(sent).error_code().empty());  // committed; the ack never arrives
  link.district.close();
  link.province.close();
  link.district.open();
  link.province.open();

  FederationPush resent = link.next();
  CHECK(fed::serialize(resent) == fed::serialize(sent));  // the same bytes, sequence for sequence
  CHECK(link.sync() == 1);
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(pictureV1()));
  CHECK(fed::upstreamState(*link.district.db).queued == 0);
  CHECK(link.child().lastSequence == pictureV1().size());
}

TEST_CASE("federation: a district crash between stage and push loses and duplicates nothing") {
  Link link;
  link.stage(pictureV1());
  link.sync();
  link.stage(pictureV2());
  auto before = fed::upstreamState(*link.district.db);
  link.district.close();  // killed before its push
  link.district.open();
  auto after = fed::upstreamState(*link.district.db);
  CHECK(after.queued == before.queued);
  CHECK(after.nextSequence == before.nextSequence);
  CHECK(fed::stage(*link.district.db, ft::outboxRows(pictureV2())).staged == 0);

  // A stage that fails half-way (a key twice) rolls back whole.
  auto rows = ft::outboxRows(pictureV3());
  rows.push_back(rows.front());
  CHECK_THROWS_AS(fed::stage(*link.district.db, rows), std::invalid_argument);
  CHECK(fed::upstreamState(*link.district.db).nextSequence == before.nextSequence);

  link.sync();
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(pictureV2()));
  CHECK(link.child().lastSequence == before.nextSequence - 1);
}

TEST_CASE("federation: a province restored before the child's first push asks for a snapshot") {
  Link link;
  link.province.close();
  auto backup = link.tmp.path() / "province-backup";
  copyTier(link.province.dir, backup);
  link.province.open();
  link.stage(pictureV1());
  link.sync();

  link.province.close();
  copyTier(backup, link.province.dir);  // epoch 0: nothing of the child
  link.province.open();
  link.stage(pictureV2());
  FederationAck ack = link.send(link.next());
  CHECK(ack.snapshot_required());
  CHECK(ack.epoch() == 0);
  CHECK(ft::held(*link.province.db, "bs").empty());  // the delta was not applied
  CHECK(fed::acknowledge(*link.district.db, ack) == fed::AckOutcome::NewEpoch);
  CHECK_FALSE(fed::nextPush(*link.district.db).has_value());  // until the next stage()
  link.stage(pictureV2());
  FederationPush snapshot = link.next();
  CHECK(snapshot.snapshot());
  CHECK(snapshot.epoch() == 2);
  link.sync();
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(pictureV2()));
  CHECK(link.child().epoch == 2);
}

TEST_CASE(
    "federation: a province that lost acknowledged changes gets a snapshot, not a gap forever") {
  Link link;
  link.stage(pictureV1());
  link.sync();
  link.province.close();
  auto backup = link.tmp.path() / "province-backup";
  copyTier(link.province.dir, backup);
  link.province.open();
  link.stage(pictureV2());
  link.sync();

  link.province.close();
  copyTier(backup, link.province.dir);  // holds v1 only; the district deleted v2's changes
  link.province.open();
  link.stage(pictureV3());
  FederationAck ack = link.send(link.next());
  CHECK(ack.error_code() == "sequence_gap");
  CHECK(ack.message_en().find("expected sequence " + std::to_string(pictureV1().size() + 1)) !=
        std::string::npos);
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(pictureV1()));
  CHECK(fed::acknowledge(*link.district.db, ack) == fed::AckOutcome::NewEpoch);
  link.stage(pictureV3());
  link.sync();
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(pictureV3()));
}

TEST_CASE(
    "federation: an outbox past its bound starts a new epoch whose snapshot replaces the queue") {
  Link link;
  fed::StageOptions bound;
  bound.maxQueued = 5;
  std::vector<posture::v1::FederationChange> day1 = {
      ft::endpoint("a", "BS"), ft::endpoint("b", "BS"), ft::endpoint("c", "BS")};
  REQUIRE(fed::stage(*link.district.db, ft::outboxRows(day1), bound).refused.empty());
  link.sync();

  // The province is unreachable; the district keeps staging.
  std::vector<posture::v1::FederationChange> day2 = {ft::endpoint("a", "BS", false),
                                                     ft::endpoint("b", "BS", false),
                                                     ft::endpoint("c", "BS", false)};
  auto r2 = fed::stage(*link.district.db, ft::outboxRows(day2), bound);
  CHECK_FALSE(r2.newEpoch);
  CHECK(fed::upstreamState(*link.district.db).queued == 3);
  std::vector<posture::v1::FederationChange> day3 = {ft::endpoint("a", "BS", true, 9),
                                                     ft::endpoint("b", "BS", true, 9)};  // c gone
  auto r3 = fed::stage(*link.district.db, ft::outboxRows(day3), bound);
  CHECK(r3.newEpoch);
  auto s = fed::upstreamState(*link.district.db);
  CHECK(s.epoch == 2);
  CHECK(s.queued == day3.size());  // the snapshot alone, no removal of c queued
  FederationPush push = link.next();
  CHECK(push.snapshot());
  CHECK(push.changes(0).sequence() == 1);

  link.sync();
  CHECK(ft::held(*link.province.db, "bs") == ft::rowsOf(day3));  // c removed by the snapshot
  CHECK(link.child().epoch == 2);
}

TEST_CASE("federation: the province's readers give facts, checks and link state") {
  Link link;
  link.stage(pictureV1());
  link.sync();
  auto rows = fed::loadFederatedEndpoints(*link.province.db);
  REQUIRE(rows.size() == 4);
  const auto& b1 = rows[3];  // by (child, unit, hostname): m1 (BS), a1, a2, b1 (BS-B)
  CHECK(b1.agentId == "b1");
  CHECK(b1.mountUnit == "BS");
  CHECK(b1.hostname == "pc-b1");
  CHECK(b1.os == "Windows 10 Pro");
  CHECK(*b1.facts.get("antivirus.real_time") == posture::policy::FactValue(false));
  CHECK(*b1.facts.get("antivirus.signature_age_days") == posture::policy::FactValue(1.0));
  CHECK(std::holds_alternative<std::monostate>(*b1.facts.get("patches.pending_security")));
  REQUIRE(b1.checks.size() == 1);
  CHECK(b1.checks[0].result == posture::policy::Tri::False);
  CHECK(b1.lastSeen == 1700000100);

  auto child = link.child();
  CHECK(child.intervalSeconds == 60);
  CHECK(child.healthy(kNow + 180));
  CHECK_FALSE(child.healthy(kNow + 181));
  auto units = fed::federatedUnits(*link.province.db);
  REQUIRE(units.size() == 3);
  CHECK(units[0].code == "BS-A");
  CHECK(units[0].childId == "bs");
}
