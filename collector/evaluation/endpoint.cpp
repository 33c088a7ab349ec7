#include "collector/evaluation/endpoint.h"

namespace posture::collector {

bool decodeReport(const std::string& body, std::int64_t now, posture::v1::Report& report,
                  policy::Facts& facts) {
  report.Clear();
  facts = policy::Facts{};
  if (!report.ParseFromString(body)) return false;
  facts = policy::factsFromReport(report, now);
  return true;
}

EndpointChecks evaluateReport(const std::string& body, const std::vector<policy::Policy>& policies,
                              std::int64_t now, const std::vector<std::string>* unitAndAncestors) {
  EndpointChecks out;
  out.decoded = decodeReport(body, now, out.report, out.facts);
  out.checks.reserve(policies.size());
  for (const auto& p : policies) {
    std::vector<policy::Tri> results;
    if (unitAndAncestors && !policy::appliesWithin(p, *unitAndAncestors)) {
      out.checks.push_back(std::move(results));  // another unit's plan: no results
      continue;
    }
    results.reserve(p.checks.size());
    for (const auto& c : p.checks) results.push_back(policy::evaluateCheck(c, out.facts));
    out.checks.push_back(std::move(results));
  }
  return out;
}

}  // namespace posture::collector
