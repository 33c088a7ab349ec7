// The risk acceptances in the fleet model (issue 17, collector/exceptions/): how an
// excepted failure counts in the targets (applyExceptions), and the alerts an exception
// silences (silence, applied to what rebuild, update and sweep return).
#include <algorithm>

#include "collector/evaluation/model.h"

namespace posture::collector {

void FleetModel::applyExceptions(Endpoint& e) const {
  const auto* set = options_.exceptions.get();
  if (!set || set->empty()) return;
  auto units = chain(e.unitCode);
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    // An exception accepts a failure: an endpoint that satisfies the target counts as it is
    // (a unit's exception does not take its compliant machines out of the count).
    if (!isEndpointTarget(t) || !e.targetIn[t] || e.targetOk[t]) continue;
    bool excepted = set->forEndpoint(targetRule_[t], e.agentId, units) != nullptr;
    for (std::size_t c : measures_[t]) {
      excepted = excepted || set->forEndpoint(checkRule_[c], e.agentId, units) != nullptr;
    }
    if (!excepted) continue;
    if (targets_[t].policy->exceptions == policy::ExceptionMode::Met) {
      e.targetOk[t] = true;
    } else {
      e.targetIn[t] = false;
    }
  }
}

const exceptions::RiskException* FleetModel::silencedBy(const WantedAlert& w) const {
  const auto* set = options_.exceptions.get();
  if (!set || set->empty()) return nullptr;
  if (w.subject.starts_with("endpoint:")) {
    return set->forEndpoint(w.rule, w.subject.substr(9), chain(w.unitCode));
  }
  if (w.subject.starts_with("unit:")) return set->forUnit(w.rule, chain(w.subject.substr(5)));
  return nullptr;
}

void FleetModel::silence(AlertDelta& delta) const {
  if (!options_.exceptions || options_.exceptions->empty()) return;
  auto keep = std::remove_if(delta.raise.begin(), delta.raise.end(), [&](const WantedAlert& w) {
    if (!silencedBy(w)) return false;
    delta.clear.push_back({w.rule, w.subject});  // resolved if it was open
    return true;
  });
  delta.raise.erase(keep, delta.raise.end());
}

void FleetModel::silence(std::vector<WantedAlert>& wanted) const {
  if (!options_.exceptions || options_.exceptions->empty()) return;
  wanted.erase(std::remove_if(wanted.begin(), wanted.end(),
                              [&](const WantedAlert& w) { return silencedBy(w) != nullptr; }),
               wanted.end());
}

std::vector<const exceptions::RiskException*> FleetModel::exceptionsOf(
    const std::string& agentId, const std::string& unitCode) const {
  if (!options_.exceptions) return {};
  return options_.exceptions->coveringEndpoint(agentId, chain(unitCode));
}

}  // namespace posture::collector
