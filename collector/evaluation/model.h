#pragma once
// The collector's live evaluation: every endpoint's check results and every target's
// counts per unit, rolled up the unit tree, kept in memory and moved forward one report
// at a time. A report changes only its endpoint, its unit and that unit's ancestors, so
// re-evaluation after a report costs microseconds, not a pass over the fleet; a full
// rebuild runs at start, on a policy reload and periodically (ages such as "signatures
// 7 days old" grow with time, not only with reports).
//
// Stale endpoints (no report within `staleAfterSeconds`) stay in every count as NOT
// compliant and raise their own alert: an office whose machines stopped reporting must
// not look better than one whose machines report failures.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/evaluation/stale.h"
#include "collector/alerts/alerts.h"
#include "collector/exceptions/exceptions.h"
#include "collector/org/layers.h"
#include "collector/org/org.h"
#include "collector/policy/evaluator.h"
#include "collector/policy/policy.h"
#include "collector/storage/storage.h"

namespace posture::v1 {
class Report;
}

namespace posture::collector {

struct ModelOptions {
  std::int64_t staleAfterSeconds = kDefaultStaleAfterSeconds;
  // unit code → parent code ("" or absent: a root). Units seen only in reports are roots.
  // Taken from `org` when empty.
  std::map<std::string, std::string> parents;
  // Units, four-layer records and systems: share_of_systems and four_layer targets. Null:
  // those targets count nothing (no data).
  std::shared_ptr<const org::OrgModel> org;
  double layer2RequiredPercent = 90;
  // The exceptions in force (collector/exceptions/exceptions.h): excepted checks and unit
  // targets raise no alert, and count in targets as their policy's `exceptions:` says.
  // Null: none.
  std::shared_ptr<const exceptions::ExceptionSet> exceptions;
};

// Facts of one information system on a day (policy::systemFactCatalogue()).
policy::Facts systemFacts(const org::InfoSystem& system, std::int64_t today);

// Counts of one target over a unit's subtree (or the fleet).
struct TargetCount {
  std::uint32_t satisfied = 0;
  std::uint32_t total = 0;
};

// How a rebuild runs. The evaluation of each stored report (decode, facts, checks) is
// independent of the others, so it can be spread over threads; counting and alerts stay
// sequential.
struct RebuildOptions {
  bool wantAlerts = true;  // false: rebuild() returns nothing and describes no failure
  unsigned threads = 1;    // 0: one per core
  // Called once per stored endpoint with its decoded report (null when unreadable), its
  // facts and its check results (flattened over the policies, in policy order), from the
  // evaluating threads: concurrently for different indexes when threads > 1.
  std::function<void(std::size_t index, const posture::v1::Report* report,
                     const policy::Facts& facts, const std::vector<policy::Tri>& checks)>
      onEndpoint;
};

// Alert changes implied by an update: raise (or refresh) these, clear those.
struct AlertDelta {
  std::vector<WantedAlert> raise;
  std::vector<std::pair<std::string, std::string>> clear;  // (rule, subject)
  bool empty() const { return raise.empty() && clear.empty(); }
};

class FleetModel {
 public:
  FleetModel(std::shared_ptr<const std::vector<policy::Policy>> policies, ModelOptions options);

  // Replaces everything from the stored latest reports; returns every alert that should
  // be open now (for syncAlertSet).
  std::vector<WantedAlert> rebuild(const std::vector<StoredEndpoint>& endpoints, std::int64_t now,
                                   const RebuildOptions& how = {});
  // One newly stored report (ignored when its sequence is not newer than the model's).
  // `decoded`: endpoint.report as ingest already decoded it, which is then not decoded
  // again (endpoint.report may be left empty); null: decoded from endpoint.report.
  // `touched` null: the delta includes the unit and fleet target alerts. Otherwise they are
  // left out and the units whose counts moved are added to *touched (once each), for one
  // targetChanges() call after a batch of reports: one target evaluation per unit and batch
  // instead of one per report.
  AlertDelta update(const StoredEndpoint& endpoint, std::int64_t now,
                    const posture::v1::Report* decoded = nullptr,
                    std::vector<std::string>* touched = nullptr);
  // Layer verdicts or systems changed, the tree did not (a child collector's push): the
  // organization targets are evaluated again at the next sweep.
  void refreshOrg(std::shared_ptr<const org::OrgModel> org) {
    options_.org = std::move(org);
    orgDirty_ = true;
  }
  // An endpoint gone (a child collector removed its row): out of every count; its units
  // are added to *touched as update() does.
  void remove(const std::string& agentId, std::vector<std::string>& touched);
  // The target alerts of these units and of the fleet (what update() left out).
  AlertDelta targetChanges(const std::vector<std::string>& units, std::int64_t now);
  // Endpoints crossing the stale window since the last call, and milestone changes of
  // the day; cheap enough to call every few seconds.
  AlertDelta sweep(std::int64_t now);

  struct TargetRef {
    const policy::Policy* policy;
    const policy::Target* target;
  };
  // Every target of every policy: share_of_endpoints ones move with reports; the others
  // (systems, four layers) are recomputed from the organization model.
  const std::vector<TargetRef>& targets() const { return targets_; }
  // Units with endpoints or in the tree, sorted.
  std::vector<std::string> units() const;
  // Whether policy `policy` (an index into the policies) applies at a unit: it has no
  // applies_to, or the unit is in the subtree of one it names. Unit "" is the fleet: there
  // it applies when one of its units is in the tree or in reports; otherwise it is "not
  // applicable here" (status says so once) and counts nothing. Safe from any thread while
  // the model is not being changed.
  bool applies(std::size_t policy, const std::string& unit) const;
  bool targetApplies(std::size_t target, const std::string& unit) const {
    return applies(targetPolicy_.at(target), unit);
  }
  std::size_t targetPolicy(std::size_t target) const { return targetPolicy_.at(target); }
  // The (policy, check) indexes of each flattened check (the order of the `checks` vectors).
  std::pair<std::size_t, std::size_t> checkRef(std::size_t check) const { return checks_.at(check); }
  std::size_t checkPolicy(std::size_t check) const { return checks_.at(check).first; }
  // unit "" is the whole fleet.
  TargetCount count(std::size_t target, const std::string& unit) const;
  policy::TargetEvaluation evaluate(std::size_t target, const std::string& unit,
                                    std::int64_t today) const;
  std::size_t endpointCount() const { return endpoints_.size(); }
  // Endpoints of a unit's subtree ("" = fleet), and how many of them are stale.
  struct Tally {
    std::uint32_t endpoints = 0, stale = 0;
  };
  Tally tally(const std::string& unit) const;
  // Incremented by every rebuild, update and sweep that changed a count or an alert: a
  // cache of figures derived from the model is current while this has not moved.
  std::uint64_t generation() const { return generation_; }
  std::size_t staleCount() const;
  // Endpoints of a unit's subtree (""= fleet) with real-time, centrally managed
  // anti-malware, over all non-stale ones counted: layer 2's telemetry.
  TargetCount layer2(const std::string& unit) const;
  std::vector<std::string> staleEndpoints() const;  // agent ids, sorted
  // The four layers of a unit as this model counts them: its layer-2 telemetry, and the
  // links (layer 4) as they were at the last full evaluation (a link's health changing
  // makes the live evaluation run a full one).
  // forUpstream: as a picture going up carries them (org::Layer2Telemetry::forUpstream).
  std::array<org::LayerVerdict, 4> layers(const std::string& unit, bool forUpstream = false) const;
  // When the links were judged: the time of the last rebuild.
  std::int64_t linksJudgedAt() const { return linksAt_; }
  // The exceptions in force that cover an endpoint of this unit (any rule), oldest first.
  std::vector<const exceptions::RiskException*> exceptionsOf(const std::string& agentId,
                                                            const std::string& unitCode) const;

 private:
  struct Endpoint {
    std::string agentId, unitCode, hostname;
    std::uint64_t sequence = 0;
    std::int64_t lastSeen = 0;
    bool stale = false;
    std::vector<policy::Tri> checks;  // flattened over policies
    std::vector<bool> targetOk;       // per entry of targets_
    std::vector<bool> targetIn;       // in the target's denominator (its `among`)
    bool protectedManaged = false;    // real-time on and centrally managed
    bool federated = false;           // a child collector's row: no endpoint alerts here
    std::string child;                // and the child it came from
  };
  struct Unit {
    std::string parent;
    std::vector<TargetCount> rolled;  // own endpoints plus every descendant's
    std::vector<policy::TargetStatus> status;
    std::vector<std::string> detail;  // of the last raised alert, to raise only on change
    TargetCount layer2;               // protected-and-managed / counted endpoints
    Tally tally;                      // endpoints of the subtree, stale ones
  };

  Unit& unit(const std::string& code);
  std::vector<std::string> chain(const std::string& unitCode) const;  // unit, ancestors
  void evaluateEndpoint(Endpoint& e, const std::string& body, std::int64_t now,
                        std::vector<WantedAlert>* failing);
  void evaluateEndpoint(Endpoint& e, const posture::v1::Report* report, const policy::Facts& facts,
                        std::int64_t now, std::vector<WantedAlert>* failing);
  void addCounts(const Endpoint& e, int sign);
  void targetAlerts(const std::string& unit, std::int64_t today, AlertDelta& delta);
  WantedAlert staleAlert(const Endpoint& e) const;
  std::vector<char> appliesAt(const std::string& unitCode) const;  // per policy
  bool isEndpointTarget(std::size_t t) const;
  // Recomputes the systems and four-layer targets' counts of every unit.
  void evaluateOrg(std::int64_t today);
  // The links judged at `now` (rebuild): which children are healthy, whether this
  // collector's own upstream is; and the alerts of silent or refused children.
  void judgeLinks(std::int64_t now, std::vector<WantedAlert>* alerts);
  // soc.connected: the endpoint's data reaches the top tier through healthy links.
  void addLinkFacts(const Endpoint& e, policy::Facts& facts) const;
  bool staleNow(const Endpoint& e, std::int64_t now) const;
  // Exceptions: an endpoint's targets counted as its policy says (evaluateEndpoint), and the
  // hook that keeps excepted alerts from being raised, applied to what every public
  // function returns (raised → cleared), so that the target alerts need no change.
  void applyExceptions(Endpoint& e) const;
  const exceptions::RiskException* silencedBy(const WantedAlert& w) const;
  void silence(AlertDelta& delta) const;
  void silence(std::vector<WantedAlert>& wanted) const;

  std::shared_ptr<const std::vector<policy::Policy>> policies_;
  ModelOptions options_;
  std::vector<TargetRef> targets_;
  std::vector<std::size_t> targetPolicy_;  // per entry of targets_: its policy's index
  std::vector<std::pair<std::size_t, std::size_t>> checks_;  // (policy, check)
  std::vector<std::string> checkRule_, targetRule_;           // "POLICY/ID" of each
  std::vector<std::vector<std::size_t>> measures_;  // per target: the checks it measures
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<Endpoint> endpoints_;
  std::map<std::string, Unit> units_;
  std::vector<TargetCount> fleet_;
  std::vector<policy::TargetStatus> fleetStatus_;
  std::vector<std::string> fleetDetail_;
  // (target, plan unit; "" the fleet) → detail of the open target alert raised there.
  std::map<std::pair<std::size_t, std::string>, std::string> planDetail_;
  TargetCount fleetLayer2_;
  Tally fleetTally_;
  std::uint64_t generation_ = 0;
  bool orgDirty_ = true;  // layer-2 telemetry moved since the last evaluateOrg
  std::int64_t linksAt_ = 0;
  bool uplinkConnected_ = true;  // no upstream, or a healthy one
  std::unordered_map<std::string, bool> childHealthy_;
  std::int64_t lastDay_ = 0;
};

}  // namespace posture::collector
