// GET /api/v1/remediation: parameters, JSON for the page, CSV and XLSX downloads, and the
// unknown unit refused naming `unit`.
#include "collector/console/remediation_api.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "common/util/json.h"
#include "tests/collector/export/export_fixture.h"

using namespace posture;
using namespace posture::collector;
using namespace posture::collector::console;

namespace {
std::shared_ptr<const std::vector<policy::Policy>> policies() {
  return std::make_shared<const std::vector<policy::Policy>>(
      policy::loadPolicyDirectory(std::filesystem::path(POSTURE_SOURCE_DIR) / "policies"));
}

std::string header(const net::Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}
}  // namespace

TEST_CASE("remediation API: parameters are checked and named") {
  RemediationRequest r;
  auto bad = parseRemediationRequest({{"format", "pdf"}}, r);
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(bad->body.find("format") != std::string::npos);
  bad = parseRemediationRequest({{"limit", "0"}}, r);
  REQUIRE(bad);
  CHECK(bad->body.find("limit") != std::string::npos);
  bad = parseRemediationRequest({{"unit", "a b"}}, r);
  REQUIRE(bad);
  CHECK(bad->body.find("unit") != std::string::npos);
  CHECK_FALSE(parseRemediationRequest({{"unit", "BS"}, {"format", "csv"}, {"lang", "en"}}, r));
  CHECK(r.unit == "BS");
  CHECK(r.format == "csv");
  CHECK(r.lang == "en");
  CHECK_FALSE(parseRemediationRequest({}, r));
  CHECK(r.format == "json");
  CHECK(r.lang == "vi");
}

TEST_CASE("remediation API: JSON, CSV, XLSX, and 404 naming unit") {
  test::ExportFixture fx;
  fx.report("a1", "BS-TC", "pc-01", 1, test::noonDaysAgo(1), false);
  fx.report("a2", "BS", "pc-02", 1, test::noonDaysAgo(1), true);
  std::int64_t now = util::unixNow();
  RemediationRequest r;
  r.unit = "BS";
  auto json = remediationResponse(*fx.db, r, policies(), 7 * 86400, fx.identity.caFingerprint, now);
  REQUIRE(json.status == 200);
  auto body = util::parseJson(json.body);
  CHECK(body.at("unit").asString() == "BS");
  CHECK(body.at("endpoints").asInt() == 2);
  CHECK(body.at("ca_fingerprint").asString() == fx.identity.caFingerprint);
  const auto& groups = body.at("groups");
  REQUIRE(groups.size() == 6);
  CHECK(groups.items()[0].at("action").asString() == "antivirus");
  CHECK(groups.items()[0].at("title").at("en").asString() == "Install or enable anti-malware");
  REQUIRE(groups.items()[0].at("items").size() == 1);
  CHECK(groups.items()[0].at("items").items()[0].at("hostname").asString() == "pc-01");
  // `limit` cuts each group's list, not its count.
  r.limit = 1;
  auto cut = util::parseJson(remediationResponse(*fx.db, r, policies(), 7 * 86400, "", now).body);
  const auto& reporting = cut.at("groups").items()[5];  // both machines: IPv6 level unknown
  CHECK(reporting.at("count").asInt() == 2);
  CHECK(reporting.at("shown").asInt() == 1);
  CHECK(reporting.at("items").size() == 1);
  r.limit = kRemediationPageLimit;

  r.format = "csv";
  auto csv = remediationResponse(*fx.db, r, policies(), 7 * 86400, "", now);
  REQUIRE(csv.status == 200);
  CHECK(csv.contentType == "text/csv; charset=utf-8");
  CHECK(csv.body.starts_with("\xEF\xBB\xBF"));
  CHECK(header(csv, "Content-Disposition").find("khac-phuc-BS-") != std::string::npos);

  r.format = "xlsx";
  auto xlsx = remediationResponse(*fx.db, r, policies(), 7 * 86400, "", now);
  REQUIRE(xlsx.status == 200);
  CHECK(xlsx.body.starts_with("PK"));
  CHECK(header(xlsx, "Content-Disposition").ends_with(".xlsx\""));

  r.unit = "NOPE";
  auto missing = remediationResponse(*fx.db, r, policies(), 7 * 86400, "", now);
  CHECK(missing.status == 404);
  CHECK(missing.body.find("'unit'") != std::string::npos);
  CHECK(missing.body.find("NOPE") != std::string::npos);
}
