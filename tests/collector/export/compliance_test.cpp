// The compliance list names stale endpoints instead of dropping them, and counts them as
// not compliant.
#include "collector/export/compliance.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "collector/export/csv.h"
#include "common/util/time.h"

using namespace posture;
using namespace posture::collector;

namespace {
StoredEndpoint endpoint(const std::string& id, std::int64_t seen) {
  posture::v1::Report r;
  r.mutable_collected_at()->set_seconds(seen);
  auto* av = r.mutable_antivirus();
  av->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  auto* p = av->add_products();
  p->set_real_time_protection(posture::v1::TRISTATE_ON);
  p->mutable_signature_time()->set_seconds(seen);
  return StoredEndpoint{id, "BS-VP", id, 1, seen, seen, r.SerializeAsString()};
}
}  // namespace

TEST_CASE("a stale endpoint is listed as stale and not counted as protected") {
  std::vector<policy::Policy> policies = {policy::loadPolicyFile(
      std::filesystem::path(POSTURE_SOURCE_DIR) / "policies/binh-son-2022.yaml")};
  std::int64_t now = util::unixNow();
  // Both were protected when they last reported; "quiet" last reported 10 days ago.
  auto fleet = evaluateFleet({endpoint("fresh", now - 60), endpoint("quiet", now - 10 * 86400)},
                             policies, now - 60, 7 * 86400);
  for (const auto& t : fleet.targets) {
    if (t.target->id != "endpoints-protected-share" || !t.unitCode.empty()) continue;
    CHECK(t.evaluation.total == 2);
    CHECK(t.evaluation.satisfied == 1);
  }
  auto rows = parseCsv(complianceCsv(fleet, false));
  REQUIRE(rows.size() == 3);
  std::size_t col = 0;
  while (col < rows[0].size() && rows[0][col].find("Stale") == std::string::npos) ++col;
  REQUIRE(col < rows[0].size());
  CHECK(rows[0][col] == "Quá hạn báo cáo (tính là chưa đạt) / Stale (counted as not compliant)");
  CHECK(rows[1][col] == "no");
  CHECK(rows[2][col] == "yes");
}
