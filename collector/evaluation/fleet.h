#pragma once
// Evaluates every endpoint's latest report against the policies and computes each
// target per unit and for the whole fleet. Shared by `status`, `export` and alerts, so
// the three never disagree.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collector/policy/evaluator.h"
#include "collector/policy/policy.h"
#include "collector/storage/storage.h"
#include "posture/v1/report.pb.h"

namespace posture::collector {

struct EndpointEvaluation {
  std::string agentId, unitCode, hostname;
  std::int64_t lastSeen = 0;
  posture::v1::Report report;
  policy::Facts facts;
  bool decoded = true;                         // false: the stored report is unreadable
  bool stale = false;                          // no report within the stale window
  std::vector<std::vector<policy::Tri>> checks;  // [policy][check]
};

struct TargetResult {
  const policy::Policy* policy = nullptr;
  const policy::Target* target = nullptr;
  std::string unitCode;  // empty: the whole fleet
  policy::TargetEvaluation evaluation;
};

struct FleetEvaluation {
  std::int64_t now = 0;
  const std::vector<policy::Policy>* policies = nullptr;  // EndpointEvaluation::checks order
  std::vector<std::string> units;  // every unit with at least one endpoint, sorted
  std::vector<EndpointEvaluation> endpoints;
  std::vector<TargetResult> targets;
};

// staleAfterSeconds: an endpoint whose last report is older is marked stale (listed, and
// counted as not compliant in every share).
FleetEvaluation evaluateFleet(const std::vector<StoredEndpoint>& endpoints,
                              const std::vector<policy::Policy>& policies, std::int64_t now,
                              std::int64_t staleAfterSeconds = 7 * 86400);

}  // namespace posture::collector
