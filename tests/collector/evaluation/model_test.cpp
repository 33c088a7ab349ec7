// The live evaluation: incremental updates agree with a full rebuild, units roll up the
// tree, stale endpoints count as not compliant and raise their own alert.
#include "collector/evaluation/model.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <filesystem>
#include <random>

#include "collector/policy/policy.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"

using namespace posture;
using namespace posture::collector;

namespace {
std::shared_ptr<const std::vector<policy::Policy>> binhSon() {
  auto v = std::make_shared<std::vector<policy::Policy>>();
  v->push_back(policy::loadPolicyFile(std::filesystem::path(POSTURE_SOURCE_DIR) /
                                      "policies/binh-son-2022.yaml"));
  return v;
}

StoredEndpoint endpoint(const std::string& id, const std::string& unit, bool protectedNow,
                        std::uint64_t seq, std::int64_t seen) {
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
  p->mutable_signature_time()->set_seconds(seen - 86400);
  return StoredEndpoint{id, unit, id + "-host", seq, seen, seen, r.SerializeAsString()};
}

std::size_t targetIndex(const FleetModel& m, const std::string& id) {
  for (std::size_t i = 0; i < m.targets().size(); ++i) {
    if (m.targets()[i].target->id == id) return i;
  }
  FAIL("no target " << id);
  return 0;
}

ModelOptions tree() {
  ModelOptions o;
  o.parents = {{"QNG", ""}, {"BS", "QNG"}, {"BS-VP", "BS"}, {"BS-BT", "BS"}};
  return o;
}
}  // namespace

TEST_CASE("units roll up the tree: a district counts its communes' endpoints") {
  FleetModel m(binhSon(), tree());
  std::int64_t now = util::unixNow();
  m.rebuild({endpoint("a", "BS-VP", true, 1, now), endpoint("b", "BS-VP", false, 1, now),
             endpoint("c", "BS-BT", true, 1, now), endpoint("d", "OTHER", true, 1, now)},
            now);
  auto t = targetIndex(m, "endpoints-protected-share");
  CHECK(m.count(t, "BS-VP").satisfied == 1);
  CHECK(m.count(t, "BS-VP").total == 2);
  CHECK(m.count(t, "BS-BT").total == 1);
  CHECK(m.count(t, "BS").satisfied == 2);   // 1 + 1 by hand
  CHECK(m.count(t, "BS").total == 3);
  CHECK(m.count(t, "QNG").total == 3);
  // A unit outside the tree is its own root, so outside the plan's binding (applies_to:
  // [BS]): not counted there nor in the whole.
  CHECK(m.count(t, "OTHER").total == 0);
  CHECK(m.tally("OTHER").endpoints == 1);
  CHECK(m.count(t, "").satisfied == 2);
  CHECK(m.count(t, "").total == 3);
  CHECK(m.count(t, "NOPE").total == 0);
  auto ev = m.evaluate(t, "BS", util::vietnamDay(now));
  CHECK(ev.status == policy::TargetStatus::Missed);  // 66.7% < 100% in force since 2023
}

TEST_CASE("incremental updates (from bodies or decoded reports) give exactly what a full rebuild gives") {
  std::int64_t now = util::unixNow();
  std::mt19937 rng(42);
  const std::vector<std::string> units = {"BS-VP", "BS-BT", "BS", "OTHER"};
  std::vector<StoredEndpoint> fleet;
  for (int i = 0; i < 60; ++i) {
    fleet.push_back(endpoint("e" + std::to_string(i), units[rng() % units.size()], rng() % 2, 1,
                             now - static_cast<std::int64_t>(rng() % (10 * 86400))));
  }
  FleetModel live(binhSon(), tree());
  live.rebuild(fleet, now);
  for (int step = 0; step < 300; ++step) {
    auto& e = fleet[rng() % fleet.size()];
    // Reports move units, change state, sometimes arrive late (an older sequence).
    bool late = rng() % 10 == 0;
    auto next = endpoint(e.agentId, units[rng() % units.size()], rng() % 2,
                         late ? e.lastSequence : e.lastSequence + 1, now);
    if (step % 2) {
      // As ingest hands a report on: decoded once, without its body.
      posture::v1::Report decoded;
      REQUIRE(decoded.ParseFromString(next.report));
      StoredEndpoint bare = next;
      bare.report.clear();
      live.update(bare, now, &decoded);
    } else {
      live.update(next, now);
    }
    if (!late) e = next;
  }
  FleetModel fresh(binhSon(), tree());
  fresh.rebuild(fleet, now);
  for (std::size_t t = 0; t < live.targets().size(); ++t) {
    for (const auto& u : fresh.units()) {
      INFO("target " << t << " unit " << u);
      CHECK(live.count(t, u).satisfied == fresh.count(t, u).satisfied);
      CHECK(live.count(t, u).total == fresh.count(t, u).total);
    }
    CHECK(live.count(t, "").satisfied == fresh.count(t, "").satisfied);
  }
  CHECK(live.staleEndpoints() == fresh.staleEndpoints());
  for (const auto& u : fresh.units()) {
    INFO("unit " << u);
    CHECK(live.tally(u).endpoints == fresh.tally(u).endpoints);
    CHECK(live.tally(u).stale == fresh.tally(u).stale);
  }
  CHECK(live.tally("").endpoints == 60);
  CHECK(live.tally("").stale == fresh.staleEndpoints().size());
}

TEST_CASE("a rebuild on several threads gives what one thread gives, alerts in the same order") {
  std::int64_t now = util::unixNow();
  std::mt19937 rng(7);
  const std::vector<std::string> units = {"BS-VP", "BS-BT", "BS", "OTHER"};
  std::vector<StoredEndpoint> fleet;
  for (int i = 0; i < 5000; ++i) {
    fleet.push_back(endpoint("e" + std::to_string(i), units[rng() % units.size()], rng() % 3 != 0, 1,
                             now - static_cast<std::int64_t>(rng() % (10 * 86400))));
  }
  fleet[17].report = "not a protobuf";  // unreadable: every fact unknown
  FleetModel one(binhSon(), tree());
  auto wantedOne = one.rebuild(fleet, now);
  FleetModel four(binhSon(), tree());
  RebuildOptions how;
  how.threads = 4;
  std::vector<int> seen(fleet.size(), 0);
  std::vector<std::size_t> checkCount(fleet.size(), 0);
  std::vector<bool> decoded(fleet.size(), true);
  how.onEndpoint = [&](std::size_t i, const posture::v1::Report* report, const policy::Facts&,
                       const std::vector<policy::Tri>& checks) {
    ++seen[i];  // each index from one thread only
    checkCount[i] = checks.size();
    decoded[i] = report != nullptr;
  };
  auto wantedFour = four.rebuild(fleet, now, how);
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
  CHECK(checkCount[0] == binhSon()->front().checks.size());
  CHECK_FALSE(decoded[17]);
  CHECK(decoded[18]);
  REQUIRE(wantedOne.size() == wantedFour.size());
  for (std::size_t i = 0; i < wantedOne.size(); ++i) {
    CHECK(wantedOne[i].rule == wantedFour[i].rule);
    CHECK(wantedOne[i].subject == wantedFour[i].subject);
    CHECK(wantedOne[i].detail == wantedFour[i].detail);
  }
  for (std::size_t t = 0; t < one.targets().size(); ++t) {
    for (const auto& u : one.units()) {
      CHECK(one.count(t, u).satisfied == four.count(t, u).satisfied);
      CHECK(one.count(t, u).total == four.count(t, u).total);
    }
  }
  CHECK(one.tally("BS").endpoints == four.tally("BS").endpoints);
  CHECK(one.tally("").stale == four.tally("").stale);

  // Without alerts: the same counts, nothing returned.
  FleetModel quiet(binhSon(), tree());
  RebuildOptions none;
  none.wantAlerts = false;
  none.threads = 2;
  CHECK(quiet.rebuild(fleet, now, none).empty());
  auto t = targetIndex(quiet, "endpoints-protected-share");
  CHECK(quiet.count(t, "").satisfied == one.count(t, "").satisfied);
  CHECK(quiet.count(t, "").total == one.count(t, "").total);
  CHECK(quiet.count(t, "").total + one.tally("OTHER").endpoints == 5000);  // OTHER: outside BS
}

TEST_CASE("the generation moves with every change of the figures, not without one") {
  std::int64_t now = util::unixNow();
  FleetModel m(binhSon(), tree());
  m.rebuild({endpoint("a", "BS-VP", true, 1, now)}, now);
  auto g = m.generation();
  m.sweep(now);  // nothing crossed the stale window, same day
  CHECK(m.generation() == g);
  m.update(endpoint("a", "BS-VP", false, 2, now), now);
  CHECK(m.generation() > g);
  g = m.generation();
  m.update(endpoint("a", "BS-VP", false, 1, now), now);  // older sequence: ignored
  CHECK(m.generation() == g);
  m.sweep(now + 30 * 86400);  // stale now
  CHECK(m.generation() > g);
  CHECK(m.tally("BS").stale == 1);
  CHECK(m.tally("BS-VP").endpoints == 1);
}

TEST_CASE("a stale endpoint counts as not compliant, is listed, alerts, and recovers") {
  ModelOptions o = tree();
  o.staleAfterSeconds = 3 * 86400;
  FleetModel m(binhSon(), o);
  std::int64_t now = util::unixNow();
  m.rebuild({endpoint("fresh", "BS-VP", true, 1, now),
             endpoint("quiet", "BS-VP", true, 1, now - 2 * 86400)},
            now);
  auto t = targetIndex(m, "endpoints-protected-share");
  CHECK(m.count(t, "BS-VP").satisfied == 2);
  CHECK(m.staleCount() == 0);

  // Two more days without a report: "quiet" is stale; protected in its last report, but
  // no longer counted as such.
  auto delta = m.sweep(now + 2 * 86400);
  // ("fresh" is 2 days old then: inside the window.)
  CHECK(m.staleEndpoints() == std::vector<std::string>{"quiet"});
  CHECK(m.count(t, "BS-VP").satisfied == 1);
  CHECK(m.count(t, "BS-VP").total == 2);
  bool staleAlert = false;
  for (const auto& w : delta.raise) {
    staleAlert |= w.rule == "posture/endpoint-stale" && w.subject == "endpoint:quiet";
  }
  CHECK(staleAlert);

  // It reports again: counted, and its stale alert clears.
  auto back = m.update(endpoint("quiet", "BS-VP", true, 2, now + 2 * 86400), now + 2 * 86400);
  CHECK(m.count(t, "BS-VP").satisfied == 2);
  CHECK(m.staleCount() == 0);
  bool cleared = false;
  for (const auto& [rule, subject] : back.clear) {
    cleared |= rule == "posture/endpoint-stale" && subject == "endpoint:quiet";
  }
  CHECK(cleared);
}

TEST_CASE("a batch of updates with its targets evaluated once ends where report-by-report updates end") {
  // The live evaluation updates a committed batch with `touched` and evaluates the unit and
  // fleet targets once (targetChanges); the alerts it ends up wanting are those of updating
  // report by report, the latest per (rule, subject).
  std::int64_t now = util::unixNow();
  std::vector<StoredEndpoint> first, second;
  for (int i = 0; i < 6; ++i) {
    std::string id = "e" + std::to_string(i);
    std::string unit = i % 2 ? "BS-VP" : "BS-BT";
    first.push_back(endpoint(id, unit, true, 1, now));
    second.push_back(endpoint(id, unit, i >= 3, 2, now + 60));  // three turn unprotected
  }
  FleetModel single(binhSon(), tree()), batch(binhSon(), tree());
  single.rebuild(first, now);
  batch.rebuild(first, now);
  using Wanted = std::map<std::pair<std::string, std::string>, std::optional<std::string>>;
  auto apply = [](Wanted& w, const AlertDelta& d) {
    for (const auto& r : d.raise) w[{r.rule, r.subject}] = r.detail;
    for (const auto& c : d.clear) w[c] = std::nullopt;
  };
  Wanted bySingle, byBatch;
  for (const auto& s : second) apply(bySingle, single.update(s, now + 60));
  std::vector<std::string> touched;
  for (const auto& s : second) apply(byBatch, batch.update(s, now + 60, nullptr, &touched));
  CHECK(touched.size() == 4);  // BS-VP, BS-BT, BS, QNG: each once
  apply(byBatch, batch.targetChanges(touched, now + 60));
  // Report by report, the district's target alert was raised and refreshed; the batch raises
  // it once with the final figures.
  CHECK(byBatch == bySingle);
  bool unitTargetRaised = false;
  for (const auto& [key, detail] : byBatch) unitTargetRaised |= key.second == "unit:BS" && detail;
  CHECK(unitTargetRaised);
  auto i = targetIndex(batch, "endpoints-protected-share");
  CHECK(batch.count(i, "BS").satisfied == single.count(i, "BS").satisfied);
}
