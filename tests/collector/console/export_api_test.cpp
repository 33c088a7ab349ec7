// The console's export service: parameters checked before any work, and a user with an
// export in progress refused with 429, a bilingual reason and Retry-After.
#include "collector/console/export_api.h"

#include <doctest/doctest.h>

#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;
using namespace posture::collector::console;

namespace {
std::string header(const net::Response& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}
}  // namespace

TEST_CASE("export requests: checked first, then one build per user") {
  test::TempDir dir("posture-export-api-");
  ExportService service(
      dir.path(), [] { return std::make_shared<const std::vector<policy::Policy>>(); }, 7 * 86400,
      ExportLimits{1, 2, 5});
  ExportRequest r;
  auto bad = service.prepare({{"format", "pdf"}}, "lan", false, 1000, r);
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(bad->body.find("'format'") != std::string::npos);
  auto badDate = service.prepare({{"as_of", "hôm qua"}}, "lan", false, 1000, r);
  REQUIRE(badDate);
  CHECK(badDate->status == 400);
  CHECK_FALSE(service.prepare({{"format", "csv"}, {"unit", "BS-VP"}}, "lan", false, 1000, r));
  CHECK(r.user == "lan");
  CHECK(r.format == ExportFormat::Csv);
  CHECK(r.filters.unitCode == "BS-VP");

  auto first = service.admit("lan");
  REQUIRE(std::holds_alternative<ExportGate::Ticket>(first));
  auto second = service.admit("lan");
  REQUIRE(std::holds_alternative<net::Response>(second));
  const auto& refused = std::get<net::Response>(second);
  CHECK(refused.status == 429);
  CHECK(header(refused, "Retry-After") == "5");
  CHECK(refused.body.find("\"code\":\"throttled\"") != std::string::npos);
  CHECK(refused.body.find("mỗi người chỉ tạo một bản xuất một lúc") != std::string::npos);
  CHECK(refused.body.find("one export at a time per user") != std::string::npos);
  // Another user still gets a place; a third finds them all taken.
  auto other = service.admit("hoa");
  CHECK(std::holds_alternative<ExportGate::Ticket>(other));
  auto third = service.admit("minh");
  REQUIRE(std::holds_alternative<net::Response>(third));
  CHECK(std::get<net::Response>(third).body.find("the most at once") != std::string::npos);
}
