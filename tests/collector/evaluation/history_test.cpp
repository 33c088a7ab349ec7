// Compliance history: what the fleet looked like on a past day stays answerable.
#include "collector/evaluation/history.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;

namespace {
StoredEndpoint endpoint(const std::string& id, const std::string& unit, bool protectedNow,
                        std::uint64_t seq, std::int64_t seen) {
  posture::v1::Report r;
  r.set_sequence(seq);
  r.mutable_collected_at()->set_seconds(seen);
  auto* av = r.mutable_antivirus();
  av->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  auto* p = av->add_products();
  p->set_name("Kaspersky Endpoint Security");
  p->set_real_time_protection(protectedNow ? posture::v1::TRISTATE_ON : posture::v1::TRISTATE_OFF);
  p->mutable_signature_time()->set_seconds(seen - 3600);
  return StoredEndpoint{id, unit, id, seq, seen, seen, r.SerializeAsString()};
}
}  // namespace

TEST_CASE("history keeps each day's value per unit, and answers as of a past date") {
  test::TempDir dir("posture-history-");
  auto db = openDatabase(dir.path());
  auto policies = std::make_shared<std::vector<policy::Policy>>();
  policies->push_back(policy::loadPolicyFile(std::filesystem::path(POSTURE_SOURCE_DIR) /
                                             "policies/binh-son-2022.yaml"));
  ModelOptions o;
  o.parents = {{"BS", ""}, {"BS-VP", "BS"}};
  FleetModel m(policies, o);
  // Day 1: 1 of 2 protected in BS-VP. Evaluated twice that day: the later one stands.
  std::int64_t day1 = util::unixNow() - 3 * 86400;
  m.rebuild({endpoint("a", "BS-VP", false, 1, day1), endpoint("b", "BS-VP", false, 1, day1)}, day1);
  recordHistory(*db, m, day1);
  m.update(endpoint("a", "BS-VP", true, 2, day1 + 60), day1 + 60);
  std::size_t rows = recordHistory(*db, m, day1 + 60);
  CHECK(rows == 12);  // BS-VP, BS and the fleet for each of the policy's 4 targets
  // Day 2 (a day later): both protected.
  std::int64_t day2 = day1 + 86400;
  m.update(endpoint("b", "BS-VP", true, 2, day2), day2);
  recordHistory(*db, m, day2);

  auto find = [](const std::vector<HistoryRow>& rows, const std::string& unit) {
    for (const auto& r : rows) {
      if (r.unitCode == unit && r.targetId == "endpoints-protected-share") return r;
    }
    FAIL("no row for " << unit);
    return HistoryRow{};
  };
  auto first = historyAsOf(*db, util::vietnamDay(day1));
  CHECK(find(first, "BS-VP").satisfied == 1);
  CHECK(find(first, "BS-VP").total == 2);
  CHECK(find(first, "BS").satisfied == 1);
  CHECK(find(first, "").status == "missed");   // 50% < 100% in force since 2023-12-31
  CHECK(find(first, "").threshold == doctest::Approx(100));
  auto second = historyAsOf(*db, util::vietnamDay(day2) + 5);  // a later day: the newest row
  CHECK(find(second, "BS-VP").satisfied == 2);
  CHECK(find(second, "").status == "met");
  CHECK(historyAsOf(*db, util::vietnamDay(day1) - 1).empty());

  auto trend = historyTrend(*db, "BS", "binh-son-2022", "endpoints-protected-share",
                            util::vietnamDay(day1) - 10, util::vietnamDay(day2));
  REQUIRE(trend.size() == 2);
  CHECK(trend[0].satisfied == 1);
  CHECK(trend[1].satisfied == 2);
}
