#include "collector/export/compliance.h"

#include <algorithm>

#include "collector/export/csv.h"
#include "common/util/time.h"

namespace posture::collector {
namespace {
std::string both(const std::string& vi, const std::string& en) { return vi + " / " + en; }

std::string result(policy::Tri t, bool vi) {
  switch (t) {
    case policy::Tri::True: return vi ? "Đạt" : "Met";
    case policy::Tri::False: return vi ? "Chưa đạt" : "Not met";
    case policy::Tri::Unknown: break;
  }
  return vi ? "Không rõ" : "Unknown";
}
}  // namespace

std::string complianceCsv(const FleetEvaluation& fleet, bool vi) {
  const auto& policies = *fleet.policies;
  // Observed facts: every fact any check reads, once, in policy order.
  std::vector<std::string> facts;
  for (const auto& p : policies) {
    for (const auto& c : p.checks) {
      for (auto& f : policy::factsUsedBy(c)) {
        if (std::find(facts.begin(), facts.end(), f) == facts.end()) facts.push_back(f);
      }
    }
  }

  CsvWriter csv;
  std::vector<std::string> header = {
      both("Đơn vị", "Unit"), both("Tên máy", "Hostname"), both("Mã tác tử", "Agent ID"),
      both("Hệ điều hành", "Operating system"), both("Báo cáo lần cuối", "Last report"),
      both("Quá hạn báo cáo (tính là chưa đạt)", "Stale (counted as not compliant)")};
  for (const auto& f : facts) {
    const auto* info = policy::findFact(f);
    header.push_back(info ? both(std::string(info->vi), std::string(info->en)) + " (" + f + ")" : f);
  }
  for (const auto& p : policies) {
    for (const auto& c : p.checks) header.push_back(both(c.title.vi, c.title.en) + " [" + p.id + "/" + c.id + "]");
  }
  csv.row(header);

  for (const auto& e : fleet.endpoints) {
    const auto& id = e.report.identity();
    std::string os = id.os_name();
    if (!id.os_version().empty()) os += " " + id.os_version();
    std::vector<std::string> row = {e.unitCode, e.hostname, e.agentId, os,
                                    vi ? util::formatVietnamese(e.lastSeen)
                                       : util::formatIso8601(e.lastSeen),
                                    e.stale ? (vi ? "có" : "yes") : (vi ? "không" : "no")};
    for (const auto& f : facts) {
      const auto* v = e.facts.get(f);
      row.push_back(v ? policy::formatFact(*v, vi) : policy::formatFact({}, vi));
    }
    for (std::size_t p = 0; p < e.checks.size(); ++p) {
      for (auto t : e.checks[p]) row.push_back(result(t, vi));
    }
    csv.row(row);
  }
  return csv.text();
}

}  // namespace posture::collector
