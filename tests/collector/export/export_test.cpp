// The auditor export model and its CSV and JSON forms: metadata, the unit subtree and
// as-of filters, targets as `status` computes them, bilingual headers, tricky text.
#include "collector/export/export.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "collector/export/csv.h"
#include "common/util/json.h"
#include "tests/collector/export/export_fixture.h"

using namespace posture;
using namespace posture::collector;

namespace {
std::shared_ptr<const std::vector<policy::Policy>> binhSon() {
  return std::make_shared<const std::vector<policy::Policy>>(
      std::vector<policy::Policy>{policy::loadPolicyFile(std::filesystem::path(POSTURE_SOURCE_DIR) /
                                                         "policies/binh-son-2022.yaml")});
}

ComplianceExport build(test::ExportFixture& fx, ExportFilters f,
                       std::int64_t now = util::unixNow()) {
  return buildComplianceExport(*fx.db, binhSon(), f, fx.identity.caFingerprint, now);
}

// Four endpoints: two in BS-TC (one of them with the tricky hostname), one in BS, one in
// DC. "a1" was protected until yesterday; its newer report is not.
void fill(test::ExportFixture& fx) {
  fx.report("a1", "BS-TC", "pc-old-name", 1, test::noonDaysAgo(6), true);
  fx.report("a1", "BS-TC", test::kTrickyHostname, 2, test::noonDaysAgo(1), false);
  fx.report("a2", "BS-TC", "pc-02", 1, test::noonDaysAgo(1), true);
  fx.report("a3", "BS", "pc-03", 1, test::noonDaysAgo(1), true);
  fx.report("a4", "DC", "pc-04", 1, test::noonDaysAgo(1), true);
}

const ExportEndpoint* row(const ComplianceExport& e, const std::string& agent) {
  for (const auto& r : e.endpoints) {
    if (r.agentId == agent) return &r;
  }
  return nullptr;
}

std::size_t column(const std::vector<std::string>& header, const std::string& needle) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i].find(needle) != std::string::npos) return i;
  }
  FAIL("no column " << needle);
  return 0;
}

const ExportTarget& target(const ComplianceExport& e, const std::string& id) {
  for (const auto& t : e.targets) {
    if (t.targetId == id) return t;
  }
  FAIL("no target " << id);
  return e.targets.front();
}
}  // namespace

TEST_CASE("the whole fleet now: every endpoint, every unit in tree order, the fleet row") {
  test::ExportFixture fx;
  fill(fx);
  auto e = build(fx, {});
  CHECK(e.endpoints.size() == 4);
  CHECK(e.units == std::vector<std::string>{"DC", "QNG", "BS", "BS-TC"});
  REQUIRE(e.policies.size() == 1);
  CHECK(e.policies[0].id == "binh-son-2022");
  CHECK(e.policies[0].version == 2);
  CHECK(e.caFingerprint == fx.identity.caFingerprint);
  CHECK(e.evaluatedAt == e.generatedAt);

  // The plan binds Bình Sơn (applies_to: [BS]): rows for BS, BS-TC and the whole; none for
  // the province above nor for DC, whose endpoint a4 the plan does not count.
  const auto& share = target(e, "endpoints-protected-share");
  REQUIRE(share.rows.size() == 3);
  CHECK(share.rows[0].unitCode == "BS");
  CHECK(share.rows[1].unitCode == "BS-TC");
  CHECK(share.rows.back().unitCode.empty());
  CHECK(share.rows.back().satisfied == 2);
  CHECK(share.rows.back().total == 3);
  CHECK(share.rows.back().status == policy::TargetStatus::Missed);  // 66.7% < 100% (2023 on)
  // BS counts its subtree: itself and BS-TC, three endpoints, two protected.
  const auto& bs = share.rows[0];
  CHECK(bs.satisfied == 2);
  CHECK(bs.total == 3);
  REQUIRE(bs.inForce);
  CHECK(bs.inForce->atLeastPercent == 100);
  REQUIRE(row(e, "a4"));
  CHECK_FALSE(row(e, "a4")->checks[0].has_value());  // "Không áp dụng / Not applicable"

  const auto* a1 = row(e, "a1");
  REQUIRE(a1);
  CHECK(a1->hostname == test::kTrickyHostname);
  CHECK(a1->unitNameVi == test::kTrickyUnitName);
  REQUIRE(!e.checks.empty());
  CHECK(e.checks[0].checkId == "endpoint-protected");
  CHECK(a1->checks[0] == policy::Tri::False);
  CHECK(row(e, "a2")->checks[0] == policy::Tri::True);
}

TEST_CASE("the unit filter takes the unit and its subtree, and only their figures") {
  test::ExportFixture fx;
  fill(fx);
  ExportFilters f;
  f.unitCode = "BS";
  auto e = build(fx, f);
  CHECK(e.units == std::vector<std::string>{"BS", "BS-TC"});
  CHECK(e.unitNameVi == "Huyện Bình Sơn");
  std::vector<std::string> agents;
  for (const auto& r : e.endpoints) agents.push_back(r.agentId);
  std::sort(agents.begin(), agents.end());
  CHECK(agents == std::vector<std::string>{"a1", "a2", "a3"});
  const auto& share = target(e, "endpoints-protected-share");
  REQUIRE(share.rows.size() == 2);  // BS and BS-TC, no fleet row
  CHECK(share.rows[0].unitCode == "BS");
  CHECK(share.rows[0].total == 3);
  CHECK(share.rows[1].unitCode == "BS-TC");
  CHECK(share.rows[1].total == 2);
  CHECK(share.rows[1].satisfied == 1);

  f.unitCode = "BS-TC";
  CHECK(build(fx, f).endpoints.size() == 2);
  f.unitCode = "DC";
  CHECK(build(fx, f).endpoints.size() == 1);
  f.unitCode = "NOWHERE";
  CHECK_THROWS_WITH_AS(build(fx, f), doctest::Contains("no unit NOWHERE"), ExportError);
}

TEST_CASE("as of a past day: each endpoint's latest report received by the end of that day") {
  test::ExportFixture fx;
  fill(fx);
  // a5's report was collected five days ago but only reached the collector yesterday.
  fx.report("a5", "DC", "pc-05", 1, test::noonDaysAgo(1), true, test::noonDaysAgo(5));
  std::int64_t today = util::vietnamDay(util::unixNow());
  ExportFilters f;
  f.asOfDay = today - 3;
  auto e = build(fx, f);
  CHECK(e.evaluatedAt == endOfVietnamDay(today - 3));
  CHECK(util::formatIsoVietnam(e.evaluatedAt).ends_with(" 23:59:59"));
  // Only a1 had reported by then, with its first report: protected, its old name.
  REQUIRE(e.endpoints.size() == 1);
  CHECK(e.endpoints[0].agentId == "a1");
  CHECK(e.endpoints[0].hostname == "pc-old-name");
  CHECK(e.endpoints[0].checks[0] == policy::Tri::True);
  CHECK(e.endpoints[0].lastSeen == test::noonDaysAgo(6));
  CHECK_FALSE(e.endpoints[0].stale);  // 3.5 days old at the end of that day
  const auto& share = target(e, "endpoints-protected-share");
  CHECK(share.rows.back().satisfied == 1);
  CHECK(share.rows.back().total == 1);

  // By collection time a5 belongs to that day too.
  f.asOfBasis = AsOfBasis::Collected;
  auto c = build(fx, f);
  CHECK(c.endpoints.size() == 2);
  CHECK(row(c, "a5") != nullptr);

  auto meta = metadataJson(e);
  CHECK(meta.at("filters").at("as_of").asString() == util::formatDate(today - 3));
  CHECK(meta.at("filters").at("as_of_basis").asString() == "received");
  auto lines = metadataLines(e);
  auto asOf = std::find_if(lines.begin(), lines.end(), [](const MetadataLine& l) {
    return l.label == "Số liệu tính đến hết ngày / As of the end of";
  });
  REQUIRE(asOf != lines.end());
  CHECK(asOf->value == util::formatDate(today - 3));
  CHECK(asOf->day == today - 3);
  CHECK(meta.at("selection")
            .at("en")
            .asString()
            .find("received by the collector on or before the end of") != std::string::npos);
  CHECK(
      meta.at("selection").at("vi").asString().find("mà máy chủ thu thập nhận được đến hết ngày") !=
      std::string::npos);

  // A stale window shorter than the report's age marks it stale as of that day.
  f.asOfBasis = AsOfBasis::Received;
  f.staleAfterSeconds = 2 * 86400;
  CHECK(build(fx, f).endpoints[0].stale);

  f.asOfDay = today + 1;
  CHECK_THROWS_WITH_AS(build(fx, f), doctest::Contains("is in the future"), ExportError);
}

TEST_CASE("the metadata names policies, times, filters, row count and the CA") {
  test::ExportFixture fx;
  fill(fx);
  ExportFilters f;
  f.unitCode = "BS-TC";
  f.vietnamese = false;
  f.staleAfterSeconds = 3 * 86400;
  std::int64_t now = util::unixNow();
  auto meta = metadataJson(build(fx, f, now));
  CHECK(meta.at("policies").items()[0].at("id").asString() == "binh-son-2022");
  CHECK(meta.at("policies").items()[0].at("version").asInt() == 2);
  CHECK(meta.at("generated_at").asString() == util::formatIso8601(now));
  // Vietnam time in RFC 3339 with its offset, never "dd/mm/yyyy".
  CHECK(meta.at("generated_at_vi").asString() == util::formatRfc3339Vietnam(now));
  CHECK(util::parseRfc3339(meta.at("generated_at_vi").asString()) == now);
  CHECK(meta.at("filters").find("as_of_vi") == nullptr);
  CHECK(meta.at("filters").at("unit").asString() == "BS-TC");
  CHECK(meta.at("filters").at("unit_name").at("vi").asString() == test::kTrickyUnitName);
  CHECK(meta.at("filters").at("subtree").asBool());
  CHECK(meta.at("filters").at("as_of").isNull());
  CHECK(meta.at("filters").at("stale_after_seconds").asInt() == 3 * 86400);
  CHECK(meta.at("filters").at("language").asString() == "en");
  CHECK(meta.at("row_count").asInt() == 2);
  CHECK(meta.at("collector_ca_fingerprint_sha256").asString() == fx.identity.caFingerprint);

  auto lines = metadataLines(build(fx, f, now));
  auto has = [&](const std::string& label, const std::string& value) {
    return std::any_of(lines.begin(), lines.end(), [&](auto& l) {
      return l.label == label && l.value.find(value) != std::string::npos;
    });
  };
  CHECK(has("Chính sách (mã, phiên bản) / Policy (id, version)", "binh-son-2022 v2"));
  CHECK(has("Thời điểm xuất (UTC+7) / Generated at (UTC+7)", util::formatIsoVietnam(now)));
  CHECK(has("Phạm vi đơn vị / Unit filter", "BS-TC"));
  CHECK(has("Quá hạn báo cáo sau / Stale after", "3 days"));
  CHECK(has("Số dòng (thiết bị đầu cuối) / Rows (endpoints)", "2"));
  CHECK(has("Dấu vân tay CA của máy chủ thu thập (SHA-256) / Collector CA fingerprint (SHA-256)",
            fx.identity.caFingerprint));
}

TEST_CASE("CSV: BOM, bilingual headers, one column per fact and check, tricky text round trip") {
  test::ExportFixture fx;
  fill(fx);
  auto e = build(fx, {});
  std::string text = renderCsv(e);
  CHECK(text.starts_with("\xEF\xBB\xBF"));
  auto rows = parseCsv(text);
  REQUIRE(rows.size() == 5);
  const auto& h = rows[0];
  CHECK(h[0] == "Đơn vị / Unit");
  CHECK(h[1] == "Tên máy / Hostname");
  CHECK(h[3] == "Tên đơn vị / Unit name");
  CHECK(column(h, "(antivirus.real_time)") > 7);
  std::size_t check = column(h, "[binh-son-2022/endpoint-protected]");
  CHECK(h[check].starts_with("Máy được bảo vệ"));
  CHECK(h[check].find(" / Endpoint protected by anti-malware") != std::string::npos);
  CHECK(h.size() == 8 + e.facts.size() + e.checks.size() + 1);  // + "Ngoại lệ / Exception" (issue 17)
  CHECK(h.back() == "Ngoại lệ / Exception");
  auto tricky = std::find_if(rows.begin(), rows.end(), [](auto& r) { return r[2] == "a1"; });
  REQUIRE(tricky != rows.end());
  CHECK((*tricky)[1] == test::kTrickyHostname);
  CHECK((*tricky)[3] == test::kTrickyUnitName);
  CHECK((*tricky)[check] == "Chưa đạt");
  // The tricky fields are quoted with their quotes doubled (RFC 4180).
  CHECK(text.find("\"PC-Kế toán, \"\"Số 1\"\"\ntầng 2 — ĐỨC\"") != std::string::npos);

  // With the metadata block: label/value rows, an empty row, then the same table.
  auto withMeta = parseCsv(renderCsv(e, true));
  auto blank = std::find_if(withMeta.begin(), withMeta.end(),
                            [](auto& r) { return r.size() == 1 && r[0].empty(); });
  REQUIRE(blank != withMeta.end());
  CHECK(withMeta[0][0] == "Tài liệu / Document");
  CHECK(std::vector<std::vector<std::string>>(blank + 1, withMeta.end()) == rows);

  // English values, same bilingual headers.
  ExportFilters en;
  en.vietnamese = false;
  auto enRows = parseCsv(renderCsv(build(fx, en)));
  CHECK(enRows[0] == h);
  auto enTricky = std::find_if(enRows.begin(), enRows.end(), [](auto& r) { return r[2] == "a1"; });
  CHECK((*enTricky)[check] == "Not met");
  CHECK((*enTricky)[3] == "Finance, \"planning\" office");
}

TEST_CASE("JSON: meta, columns, targets and endpoints; typed values; parses back") {
  test::ExportFixture fx;
  fill(fx);
  ExportFilters f;
  f.unitCode = "BS";
  auto doc = util::parseJson(renderJson(build(fx, f)));
  CHECK(doc.at("meta").at("filters").at("unit").asString() == "BS");
  CHECK(doc.at("meta").at("row_count").asInt() == 3);
  CHECK(doc.at("columns").at("checks").items()[0].at("id").asString() ==
        "binh-son-2022/endpoint-protected");
  CHECK(doc.at("columns").at("checks").items()[0].at("en").asString().starts_with(
      "Endpoint protected"));
  const util::Json* share = nullptr;
  for (const auto& t : doc.at("targets").items()) {
    if (t.at("target").asString() == "endpoints-protected-share") share = &t;
  }
  REQUIRE(share);
  CHECK(share->at("policy_version").asInt() == 2);
  CHECK(share->at("rows").items()[1].at("unit").asString() == "BS-TC");
  CHECK(share->at("rows").items()[1].at("unit_name").at("vi").asString() == test::kTrickyUnitName);
  CHECK(share->at("rows").items()[1].at("percent").asDouble() == 50);
  CHECK(share->at("rows").items()[1].at("threshold_percent").asDouble() == 100);
  CHECK(share->at("rows").items()[1].at("status").asString() == "missed");
  const util::Json* a1 = nullptr;
  for (const auto& ep : doc.at("endpoints").items()) {
    if (ep.at("agent_id").asString() == "a1") a1 = &ep;
  }
  REQUIRE(a1);
  CHECK(a1->at("hostname").asString() == test::kTrickyHostname);
  CHECK(a1->at("facts").at("antivirus.real_time").asBool() == false);
  CHECK(a1->at("checks").at("binh-son-2022/endpoint-protected").asString() == "not-met");
  CHECK(a1->at("stale").asBool() == false);
}

TEST_CASE("format and basis names") {
  CHECK(parseExportFormat("xlsx") == ExportFormat::Xlsx);
  CHECK_FALSE(parseExportFormat("pdf"));
  CHECK(exportFormatName(ExportFormat::Json) == "json");
  CHECK(parseAsOfBasis("collected") == AsOfBasis::Collected);
  CHECK_FALSE(parseAsOfBasis("sent"));
  // 31/12/2022 23:59:59 in Vietnam is 16:59:59 UTC.
  CHECK(util::formatIso8601(endOfVietnamDay(*util::parseDate("2022-12-31"))) ==
        "2022-12-31T16:59:59Z");
}
