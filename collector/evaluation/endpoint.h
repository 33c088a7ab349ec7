#pragma once
// One stored report through the evaluation engine's own steps: decoded once, its facts
// extracted once, every check of every policy evaluated. FleetModel runs these steps for
// each endpoint it (re)evaluates; the console's endpoint page and history run them for one
// report, so the two never disagree about an endpoint.
#include <cstdint>
#include <string>
#include <vector>

#include "collector/policy/evaluator.h"
#include "collector/policy/policy.h"
#include "posture/v1/report.pb.h"

namespace posture::collector {

// Decodes a stored report body into `report` (cleared first) and its facts as of `now`
// into `facts`. False when the body does not decode: every fact stays unknown, so the
// endpoint counts as failing, not as missing.
bool decodeReport(const std::string& body, std::int64_t now, posture::v1::Report& report,
                  policy::Facts& facts);

struct EndpointChecks {
  bool decoded = false;
  posture::v1::Report report;
  policy::Facts facts;
  // [policy][check], in the policies' order; empty for a policy that does not apply
  std::vector<std::vector<policy::Tri>> checks;
};

// unitAndAncestors: the endpoint's unit and its ancestors, nearest first; policies bound
// (applies_to) to other units then get no results. Null: every policy is evaluated.
EndpointChecks evaluateReport(const std::string& body, const std::vector<policy::Policy>& policies,
                              std::int64_t now,
                              const std::vector<std::string>* unitAndAncestors = nullptr);

}  // namespace posture::collector
