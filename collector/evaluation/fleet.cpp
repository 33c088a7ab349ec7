#include "collector/evaluation/fleet.h"

#include <set>

#include "common/util/time.h"

namespace posture::collector {

FleetEvaluation evaluateFleet(const std::vector<StoredEndpoint>& stored,
                              const std::vector<policy::Policy>& policies, std::int64_t now,
                              std::int64_t staleAfterSeconds) {
  FleetEvaluation fleet;
  fleet.now = now;
  fleet.policies = &policies;
  std::set<std::string> units;
  fleet.endpoints.reserve(stored.size());
  for (const auto& s : stored) {
    EndpointEvaluation e;
    e.agentId = s.agentId;
    e.unitCode = s.unitCode;
    e.hostname = s.hostname;
    e.lastSeen = s.lastSeen;
    e.stale = now - s.lastSeen > staleAfterSeconds;
    // An unreadable stored report leaves every fact unknown: counted as failing, not skipped.
    e.decoded = e.report.ParseFromString(s.report);
    if (e.decoded) e.facts = policy::factsFromReport(e.report, now);
    for (const auto& p : policies) {
      std::vector<policy::Tri> results;
      results.reserve(p.checks.size());
      for (const auto& c : p.checks) results.push_back(policy::evaluateCheck(c, e.facts));
      e.checks.push_back(std::move(results));
    }
    units.insert(s.unitCode);
    fleet.endpoints.push_back(std::move(e));
  }
  fleet.units.assign(units.begin(), units.end());

  std::int64_t today = util::vietnamDay(now);
  for (const auto& p : policies) {
    for (const auto& t : p.targets) {
      // Registry and four-layer targets are evaluated from the organization model.
      if (t.measure.kind != policy::Measure::Kind::ShareOfEndpoints) continue;
      // One pass over the endpoints gives every unit's counts and the overall count.
      std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> perUnit;
      std::uint32_t satisfied = 0, total = 0;
      for (const auto& e : fleet.endpoints) {
        if (!policy::inTargetScope(t, e.facts)) continue;
        bool ok = !e.stale && policy::evaluateTargetPredicate(t, e.facts) == policy::Tri::True;
        auto& [s, n] = perUnit[e.unitCode];
        s += ok;
        ++n;
        satisfied += ok;
        ++total;
      }
      bool unitScope = false, overallScope = false;
      for (const auto& sc : t.scopes) {
        unitScope |= sc == "unit";
        overallScope |= sc == "overall";
      }
      if (unitScope) {
        for (const auto& u : fleet.units) {
          auto [s, n] = perUnit[u];
          fleet.targets.push_back({&p, &t, u, policy::evaluateTarget(t, s, n, today)});
        }
      }
      if (overallScope) {
        fleet.targets.push_back({&p, &t, "", policy::evaluateTarget(t, satisfied, total, today)});
      }
    }
  }
  return fleet;
}

}  // namespace posture::collector
