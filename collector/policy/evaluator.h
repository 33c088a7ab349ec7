#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collector/policy/facts.h"
#include "collector/policy/policy.h"

namespace posture::policy {

// Unknown is returned as such so exports can say "không rõ / unknown"; callers count it
// as not satisfied.
Tri evaluate(const Predicate& predicate, const Facts& facts);
Tri evaluateCheck(const Check& check, const Facts& facts);
// What a share target's predicate reads: Endpoint for share_of_endpoints, System for
// share_of_systems. std::logic_error for four_layer (it has no predicate).
FactSubject measureSubject(const Target& target);
// Does this endpoint (share_of_endpoints, facts from factsFromReport) or information
// system (share_of_systems, Facts(FactSubject::System)) count toward the target's share?
// std::logic_error for a four_layer target, or for facts of the other subject.
Tri evaluateTargetPredicate(const Target& target, const Facts& facts);
// The same, for share_of_systems targets only (std::logic_error otherwise).
Tri evaluateSystemPredicate(const Target& target, const Facts& systemFacts);
// Is this endpoint / system in the target's denominator (its `among`, true without one)?
// Same preconditions as evaluateTargetPredicate.
bool inTargetScope(const Target& target, const Facts& facts);
// Does a unit count toward a four_layer target? layerPasses[i] is the verdict of layer i+1
// for the unit (collector/org/layers.h); true when every listed layer passes.
// std::logic_error for other measures.
bool fourLayerPasses(const Target& target, const std::array<bool, 4>& layerPasses);

// Fact names a check or target reads (through named predicates too), each once, in order
// of first appearance: the "observed value" columns of exports.
std::vector<std::string> factsUsedBy(const Predicate& predicate);
std::vector<std::string> factsUsedBy(const Check& check);
std::vector<std::string> factsUsedBy(const Target& target);

enum class TargetStatus {
  Met,     // at or above the milestone in force, and at or above the next one
  AtRisk,  // at or above the milestone in force but below the next one
  Missed,  // below the milestone in force
  NoData,  // nothing in scope (no endpoint, system or unit)
};
std::string_view targetStatusName(TargetStatus status, bool vietnamese);

struct TargetEvaluation {
  double percent = 0;  // 0 when total is 0
  std::uint32_t satisfied = 0;
  std::uint32_t total = 0;
  const Milestone* inForce = nullptr;  // points into Target::milestones
  const Milestone* next = nullptr;     // the milestone after inForce, if any
  TargetStatus status = TargetStatus::NoData;
};

// today: days since the epoch in Vietnam time (posture::util::vietnamDay). A milestone is
// in force from its date on, inclusive: "by 2022-12-31" already applies on 31/12/2022.
// Before the first date the first milestone is in force. Thresholds compare exactly
// (satisfied * 100 >= atLeast * total), so 9 of 10 meets 90%.
TargetEvaluation evaluateTarget(const Target& target, std::uint32_t satisfied,
                                std::uint32_t total, std::int64_t today);

}  // namespace posture::policy
