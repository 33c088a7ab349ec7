// The organization side of the fleet model: information systems and the four layers
// (evaluateOrg), and the links of this collector (issue 16) that decide layer 4, a child's
// rows going stale and the soc.connected fact.
#include <algorithm>

#include "collector/evaluation/model.h"
#include "collector/org/layers.h"
#include "common/util/time.h"

namespace posture::collector {

policy::Facts systemFacts(const org::InfoSystem& s, std::int64_t today) {
  policy::Facts f(policy::FactSubject::System);
  f.set("system.level", static_cast<double>(s.level));
  f.set("system.shared", s.shared);
  f.set("system.dossier_approved", s.dossierApprovedDay && *s.dossierApprovedDay <= today);
  f.set("system.plan_implemented", s.planImplementedDay && *s.planImplementedDay <= today);
  f.set("system.assessment_required", s.level >= 3);
  f.set("system.assessment_current",
        s.lastAssessmentDay && *s.lastAssessmentDay <= today &&
            today <= org::addMonths(*s.lastAssessmentDay, s.assessmentPeriodMonths));
  return f;
}

bool FleetModel::staleNow(const Endpoint& e, std::int64_t now) const {
  if (now - e.lastSeen > options_.staleAfterSeconds) return true;
  // A child that stopped pushing: its rows are as old as its last push, whatever they say.
  if (!e.federated) return false;
  auto it = childHealthy_.find(e.child);
  return it == childHealthy_.end() || !it->second;
}

void FleetModel::addLinkFacts(const Endpoint& e, policy::Facts& facts) const {
  bool connected = uplinkConnected_;
  if (e.federated) {
    auto it = childHealthy_.find(e.child);
    connected = connected && it != childHealthy_.end() && it->second;
  }
  facts.set("soc.connected", connected);
}

void FleetModel::judgeLinks(std::int64_t now, std::vector<WantedAlert>* alerts) {
  linksAt_ = now;
  childHealthy_.clear();
  uplinkConnected_ = true;
  if (!options_.org) return;
  const auto& links = options_.org->links;
  if (links.uplink) uplinkConnected_ = links.uplink->healthy(now);
  for (const auto& c : links.children) {
    childHealthy_[c.childId] = c.healthy(now);
    if (!alerts) continue;
    std::string subject = "child:" + c.childId;
    if (c.stale(now)) {
      std::string last = c.lastPushAt ? "last push " + util::formatIso8601(*c.lastPushAt)
                                      : "no push since enrolment " + util::formatIso8601(c.registeredAt);
      alerts->push_back({kChildStaleRule, subject, c.mountUnit, "high",
                         "Máy chủ thu thập cấp dưới không đẩy số liệu quá " +
                             std::to_string(org::kLinkHealthyIntervals) + " chu kỳ",
                         "Child collector silent for more than " +
                             std::to_string(org::kLinkHealthyIntervals) + " push intervals",
                         c.childId + " (mounted at " + c.mountUnit + "): " + last +
                             (c.intervalSeconds ? ", every " + std::to_string(c.intervalSeconds) + " s" : "")});
    }
    if (!c.refusedCode.empty() && !c.revokedAt) {
      alerts->push_back({kChildRefusedRule, subject, c.mountUnit, "high",
                         "Lần đẩy số liệu của máy chủ thu thập cấp dưới bị từ chối",
                         "A child collector's push was refused",
                         c.childId + " (mounted at " + c.mountUnit + "): " + c.refusedCode + ": " +
                             c.refusedEn + (c.refusedAt ? " (" + util::formatIso8601(*c.refusedAt) + ")" : "")});
    }
  }
}

std::array<org::LayerVerdict, 4> FleetModel::layers(const std::string& code, bool forUpstream) const {
  static const org::OrgModel kNone;
  auto it = units_.find(code);
  TargetCount l2 = it == units_.end() ? TargetCount{} : it->second.layer2;
  return org::evaluateLayers(options_.org ? *options_.org : kNone, code, lastDay_,
                             {l2.satisfied, l2.total, options_.layer2RequiredPercent, forUpstream},
                             linksAt_);
}

void FleetModel::evaluateOrg(std::int64_t today) {
  ++generation_;
  orgDirty_ = false;
  std::vector<std::size_t> orgTargets;
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    if (!isEndpointTarget(t)) orgTargets.push_back(t);
  }
  if (orgTargets.empty()) return;
  for (auto& [code, u] : units_) {
    for (auto t : orgTargets) u.rolled[t] = {};
  }
  for (auto t : orgTargets) fleet_[t] = {};
  if (!options_.org) return;
  auto add = [&](const std::string& unitCode, std::size_t t, bool ok) {
    for (const auto& code : chain(unitCode)) {
      auto& c = unit(code).rolled[t];
      ++c.total;
      c.satisfied += ok;
    }
    ++fleet_[t].total;
    fleet_[t].satisfied += ok;
  };
  for (const auto& sys : options_.org->systems) {
    auto facts = systemFacts(sys, today);
    for (auto t : orgTargets) {
      const auto& target = *targets_[t].target;
      if (target.measure.kind != policy::Measure::Kind::ShareOfSystems) continue;
      if (!targetApplies(t, sys.unitCode) || !policy::inTargetScope(target, facts)) continue;
      add(sys.unitCode, t, policy::evaluateTargetPredicate(target, facts) == policy::Tri::True);
    }
  }
  // Every unit counts once for four-layer targets: those of the tree and those only seen
  // in reports (which have no records, so they fail).
  std::vector<std::string> codes;
  for (const auto& [code, u] : units_) codes.push_back(code);
  for (const auto& code : codes) {
    auto verdicts = layers(code);
    for (auto t : orgTargets) {
      const auto& target = *targets_[t].target;
      if (target.measure.kind != policy::Measure::Kind::FourLayer || !targetApplies(t, code)) continue;
      bool pass = true;
      for (int layer : target.measure.layers) pass &= verdicts[static_cast<std::size_t>(layer - 1)].pass;
      add(code, t, pass);
    }
  }
}

}  // namespace posture::collector
