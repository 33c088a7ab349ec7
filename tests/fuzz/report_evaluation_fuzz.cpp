// A report body as an agent sends it → posture.v1.Report → the endpoint's facts → every
// shipped policy evaluated by the collector's live model (FleetModel: update, a second
// report, the stale sweep), the same engine's evaluation of one report (the console's
// endpoint page), the compliance export in CSV and JSON, and the status text. Whatever
// the bytes, nothing may crash, and the counts must stay consistent.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "collector/evaluation/endpoint.h"
#include "collector/evaluation/model.h"
#include "collector/export/export.h"
#include "collector/policy/evaluator.h"
#include "collector/policy/facts.h"
#include "collector/policy/policy.h"
#include "collector/status/status.h"
#include "common/util/time.h"
#include "common/util/utf8.h"
#include "posture/v1/report.pb.h"
#include "tests/fuzz/invariant.h"

using namespace posture;
using namespace posture::collector;

namespace {
// A fixed clock (2025-06-01 00:00 UTC), so a crash reproduces from its input alone.
constexpr std::int64_t kNow = 1748736000;

std::shared_ptr<const std::vector<policy::Policy>> shippedPolicies() {
  static auto policies = std::make_shared<const std::vector<policy::Policy>>(
      policy::loadPolicyDirectory(std::string(POSTURE_SOURCE_DIR) + "/policies"));
  return policies;
}

ModelOptions options() {
  ModelOptions o;
  o.parents = {{"QNG", ""}, {"BS", "QNG"}, {"BS-VP", "BS"}};
  return o;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in a string field is a refused report, not news worth a log line each.
  google::protobuf::SetLogHandler(nullptr);
  // Loaded once: a broken shipped policy is a build problem, not a finding.
  FUZZ_CHECK(!shippedPolicies()->empty());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  posture::v1::Report report;
  // The collector answers 400 malformed_report and stores nothing.
  if (!report.ParseFromString(body)) return 0;

  auto facts = policy::factsFromReport(report, kNow);
  for (const auto& [name, value] : facts.values()) {
    policy::formatFact(value, true);
    policy::formatFact(value, false);
  }

  // The live model, as ingest drives it: the certificate's unit, the report's host name.
  auto policies = shippedPolicies();
  FleetModel model(policies, options());
  StoredEndpoint stored;
  stored.agentId = "fuzz-agent";
  stored.unitCode = "BS-VP";
  stored.hostname = util::cutUtf8(report.identity().hostname(), 255);
  stored.lastSequence = 1;
  stored.lastSeen = kNow;
  stored.collectedAt = report.collected_at().seconds();
  stored.report = body;
  model.update(stored, kNow);
  stored.lastSequence = 2;
  stored.lastSeen = kNow + 3600;
  model.update(stored, kNow + 3600);
  model.sweep(kNow + 30 * 86400);  // stale by now
  std::int64_t today = util::vietnamDay(kNow + 30 * 86400);
  for (std::size_t t = 0; t < model.targets().size(); ++t) {
    for (const char* unit : {"", "QNG", "BS", "BS-VP"}) {
      auto count = model.count(t, unit);
      FUZZ_CHECK(count.satisfied <= count.total && count.total <= 1);
      model.evaluate(t, unit, today);
    }
  }
  FUZZ_CHECK(model.staleCount() == 1);  // 30 days without a report

  // The same endpoint's page in the console (one report through the same steps), and
  // the auditors' export in every format built from it.
  auto one = evaluateReport(body, *policies, kNow + 3600);
  FUZZ_CHECK(one.decoded && one.checks.size() == policies->size());
  ExportSource source{{stored}, policies, nullptr, "fuzz"};
  for (bool vi : {true, false}) {
    ExportFilters filters;
    filters.vietnamese = vi;
    auto e = buildComplianceExport(source, filters, kNow + 3600);
    FUZZ_CHECK(e.endpoints.size() == 1);
    for (auto format : {ExportFormat::Csv, ExportFormat::Json}) renderExport(e, format, true);
  }
  renderModelStatus(model, kNow + 30 * 86400, {}, true);
  return 0;
}
