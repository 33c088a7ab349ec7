#include "collector/evaluation/model.h"

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>

#include "collector/evaluation/endpoint.h"
#include "collector/org/layers.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"

namespace posture::collector {
namespace {

bool countsTowardShare(policy::Tri t) { return t == policy::Tri::True; }

bool isTrue(const policy::Facts& f, std::string_view name) {
  const auto* v = f.get(name);
  return v && std::holds_alternative<bool>(*v) && std::get<bool>(*v);
}
}  // namespace

bool FleetModel::isEndpointTarget(std::size_t t) const {
  return targets_[t].target->measure.kind == policy::Measure::Kind::ShareOfEndpoints;
}

FleetModel::FleetModel(std::shared_ptr<const std::vector<policy::Policy>> policies,
                       ModelOptions options)
    : policies_(std::move(policies)), options_(std::move(options)) {
  for (std::size_t p = 0; p < policies_->size(); ++p) {
    const auto& pol = (*policies_)[p];
    std::size_t firstCheck = checks_.size();
    for (std::size_t c = 0; c < pol.checks.size(); ++c) {
      checks_.push_back({p, c});
      checkRule_.push_back(pol.id + "/" + pol.checks[c].id);
    }
    for (const auto& t : pol.targets) {
      targets_.push_back({&pol, &t});
      targetPolicy_.push_back(p);
      targetRule_.push_back(pol.id + "/" + t.id);
      std::vector<std::size_t> measured;
      for (std::size_t c = 0; c < pol.checks.size(); ++c) {
        if (t.measure.kind == policy::Measure::Kind::ShareOfEndpoints &&
            policy::samePredicate(t.measure.predicate, pol.checks[c].predicate))
          measured.push_back(firstCheck + c);
      }
      measures_.push_back(std::move(measured));
    }
  }
  fleet_.assign(targets_.size(), {});
  fleetStatus_.assign(targets_.size(), policy::TargetStatus::NoData);
  fleetDetail_.assign(targets_.size(), {});
  if (options_.parents.empty() && options_.org) options_.parents = options_.org->parents();
  for (const auto& [code, parent] : options_.parents) {
    unit(code);
    if (!parent.empty()) unit(parent);
  }
}

FleetModel::Unit& FleetModel::unit(const std::string& code) {
  auto it = units_.find(code);
  if (it != units_.end()) return it->second;
  Unit u;
  auto p = options_.parents.find(code);
  if (p != options_.parents.end()) u.parent = p->second;
  u.rolled.assign(targets_.size(), {});
  u.status.assign(targets_.size(), policy::TargetStatus::NoData);
  u.detail.assign(targets_.size(), {});
  return units_.emplace(code, std::move(u)).first->second;
}

std::vector<std::string> FleetModel::chain(const std::string& unitCode) const {
  std::vector<std::string> out;
  std::string at = unitCode;
  // Bounded by the number of units, so a cycle in a hand-made tree cannot hang the writer.
  for (std::size_t guard = 0; !at.empty() && guard <= units_.size(); ++guard) {
    if (std::find(out.begin(), out.end(), at) != out.end()) break;
    out.push_back(at);
    auto it = units_.find(at);
    at = it == units_.end() ? std::string() : it->second.parent;
  }
  return out;
}

bool FleetModel::applies(std::size_t p, const std::string& code) const {
  const auto& scope = policies_->at(p).appliesTo;
  if (scope.empty()) return true;
  if (code.empty()) {
    return std::any_of(scope.begin(), scope.end(), [&](const std::string& c) { return units_.count(c) > 0; });
  }
  return policy::appliesWithin(policies_->at(p), chain(code));
}

std::vector<char> FleetModel::appliesAt(const std::string& code) const {
  std::vector<char> out(policies_->size());
  for (std::size_t p = 0; p < out.size(); ++p) out[p] = applies(p, code);
  return out;
}

void FleetModel::evaluateEndpoint(Endpoint& e, const std::string& body, std::int64_t now,
                                  std::vector<WantedAlert>* failing) {
  posture::v1::Report report;
  policy::Facts facts;
  bool decoded = decodeReport(body, now, report, facts);
  addLinkFacts(e, facts);
  evaluateEndpoint(e, decoded ? &report : nullptr, facts, now, failing);
}

void FleetModel::evaluateEndpoint(Endpoint& e, const posture::v1::Report*, const policy::Facts& facts,
                                  std::int64_t now, std::vector<WantedAlert>* failing) {
  // A plan bound to other units takes no part: its checks stay unknown (and raise
  // nothing), its targets do not count the endpoint.
  auto inScope = appliesAt(e.unitCode);
  e.checks.resize(checks_.size());
  for (std::size_t i = 0; i < checks_.size(); ++i) {
    const auto& pol = (*policies_)[checks_[i].first];
    const auto& check = pol.checks[checks_[i].second];
    if (!inScope[checks_[i].first]) {
      e.checks[i] = policy::Tri::Unknown;
      continue;
    }
    e.checks[i] = policy::evaluateCheck(check, facts);
    // A child collector's endpoint is triaged there: its failures count here, unalerted.
    if (failing && !e.federated && e.checks[i] != policy::Tri::True) {
      failing->push_back({pol.id + "/" + check.id, "endpoint:" + e.agentId, e.unitCode,
                          std::string(policy::severityName(check.severity)), check.title.vi,
                          check.title.en, describeCheck(e.hostname, check, facts, e.checks[i])});
    }
  }
  e.targetOk.resize(targets_.size());
  e.targetIn.resize(targets_.size());
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    if (!isEndpointTarget(t)) continue;
    e.targetIn[t] = inScope[targetPolicy_[t]] && policy::inTargetScope(*targets_[t].target, facts);
    e.targetOk[t] = countsTowardShare(policy::evaluateTargetPredicate(*targets_[t].target, facts));
  }
  applyExceptions(e);
  e.protectedManaged = isTrue(facts, "antivirus.real_time") && isTrue(facts, "antivirus.managed");
  e.stale = staleNow(e, now);
}

void FleetModel::addCounts(const Endpoint& e, int sign) {
  ++generation_;
  auto apply = [&](std::vector<TargetCount>& counts, TargetCount& layer2, Tally& tally) {
    tally.endpoints += static_cast<std::uint32_t>(sign);
    if (e.stale) tally.stale += static_cast<std::uint32_t>(sign);
    layer2.total += static_cast<std::uint32_t>(sign);
    if (e.protectedManaged && !e.stale) layer2.satisfied += static_cast<std::uint32_t>(sign);
    for (std::size_t t = 0; t < targets_.size(); ++t) {
      if (!isEndpointTarget(t) || !e.targetIn[t]) continue;
      counts[t].total += static_cast<std::uint32_t>(sign);
      if (e.targetOk[t] && !e.stale) counts[t].satisfied += static_cast<std::uint32_t>(sign);
    }
  };
  for (const auto& code : chain(e.unitCode)) {
    auto& u = unit(code);
    apply(u.rolled, u.layer2, u.tally);
  }
  apply(fleet_, fleetLayer2_, fleetTally_);
}

WantedAlert FleetModel::staleAlert(const Endpoint& e) const {
  // "7 ngày" / "7 days"; a window shorter than a day in hours or minutes, never "0 days".
  std::int64_t s = options_.staleAfterSeconds;
  auto span = [s](const char* day, const char* hour, const char* minute) {
    if (s >= util::kSecondsPerDay) return std::to_string(s / util::kSecondsPerDay) + day;
    if (s >= util::kSecondsPerHour) return std::to_string(s / util::kSecondsPerHour) + hour;
    return std::to_string(std::max<std::int64_t>(1, s / util::kSecondsPerMinute)) + minute;
  };
  return {kStaleRule, "endpoint:" + e.agentId, e.unitCode, "medium",
          "Thiết bị đầu cuối không gửi báo cáo quá " + span(" ngày", " giờ", " phút"),
          "Endpoint has not reported for more than " + span(" days", " hours", " minutes"),
          e.hostname + ": last report " + util::formatIso8601(e.lastSeen)};
}

// A target's alert is raised once per plan unit: at each unit the plan's applies_to names
// (present in the tree), or at the fleet (subject "fleet", unit "") when the plan names
// none. Ancestors raise nothing. Called with a unit code, this only notes that unit's own
// status (missed or not); called with "" (after the touched units, as every caller does)
// it looks at every plan unit's alert and raises or clears what changed.
void FleetModel::targetAlerts(const std::string& code, std::int64_t today, AlertDelta& delta) {
  if (!code.empty()) {
    auto& u = unit(code);
    for (std::size_t t = 0; t < targets_.size(); ++t) {
      u.status[t] = targetApplies(t, code) ? evaluate(t, code, today).status
                                           : policy::TargetStatus::NoData;
    }
    return;
  }
  for (std::size_t t = 0; t < targets_.size(); ++t) {
    const auto& target = *targets_[t].target;
    const auto& pol = *targets_[t].policy;
    bool overall = false, perUnit = false;
    for (const auto& s : target.scopes) {
      overall |= s == "overall";
      perUnit |= s == "unit";
    }
    std::vector<std::string> planUnits;
    if (pol.appliesTo.empty()) {
      planUnits.push_back("");
    } else {
      for (const auto& c : pol.appliesTo) {
        if (units_.count(c)) planUnits.push_back(c);
      }
    }
    std::string rule = pol.id + "/" + target.id;
    for (const auto& plan : planUnits) {
      bool fleet = plan.empty();
      std::string subject = fleet ? "fleet" : "unit:" + plan;
      auto ev = evaluate(t, plan, today);
      // The units of the plan unit's subtree (itself included) that miss, in code order.
      std::vector<std::string> missing;
      const auto* excepted = options_.exceptions.get();
      for (const auto& [c, u] : units_) {
        if (u.status[t] != policy::TargetStatus::Missed) continue;
        // A unit whose miss is an accepted risk (a unit exception against this target, at
        // it or above) is not listed and keeps the plan's alert from opening on its own.
        if (excepted && !excepted->empty() && excepted->forUnit(rule, chain(c))) continue;
        if (fleet || c == plan) {
          missing.push_back(c);
          continue;
        }
        auto up = chain(c);
        if (std::find(up.begin(), up.end(), plan) != up.end()) missing.push_back(c);
      }
      bool open = (overall && ev.status == policy::TargetStatus::Missed) ||
                  (perUnit && !missing.empty());
      auto key = std::make_pair(t, plan);
      auto last = planDetail_.find(key);
      if (!open) {
        if (last != planDetail_.end()) {
          delta.clear.push_back({rule, subject});
          planDetail_.erase(last);
        }
        continue;
      }
      std::string detail = (fleet ? std::string("fleet") : plan) + ": " + describeTarget(ev);
      if (target.measure.kind == policy::Measure::Kind::FourLayer && !fleet && options_.org) {
        for (const auto& v : layers(plan)) {
          if (!v.pass) detail += "; " + v.evidenceEn;
        }
      }
      if (!missing.empty()) {
        detail += "; units missing: ";
        for (std::size_t i = 0; i < missing.size() && i < 10; ++i) {
          auto c = count(t, missing[i]);
          detail += (i ? ", " : "") + missing[i] + " (" + std::to_string(c.satisfied) + "/" +
                    std::to_string(c.total) + ")";
        }
        if (missing.size() > 10) detail += " and " + std::to_string(missing.size() - 10) + " more";
      }
      // Raised again only when something about it changed: a sweep every few seconds
      // must not rewrite every open target alert.
      if (last == planDetail_.end() || last->second != detail) {
        delta.raise.push_back({rule, subject, plan, std::string(policy::severityName(target.severity)),
                               target.title.vi, target.title.en, detail});
        planDetail_[key] = detail;
      }
    }
  }
}

std::vector<WantedAlert> FleetModel::rebuild(const std::vector<StoredEndpoint>& stored,
                                             std::int64_t now, const RebuildOptions& how) {
  endpoints_.clear();
  index_.clear();
  for (auto& [code, u] : units_) {
    u.rolled.assign(targets_.size(), {});
    u.status.assign(targets_.size(), policy::TargetStatus::NoData);
    u.detail.assign(targets_.size(), {});
    u.layer2 = {};
    u.tally = {};
  }
  fleet_.assign(targets_.size(), {});
  fleetStatus_.assign(targets_.size(), policy::TargetStatus::NoData);
  fleetDetail_.assign(targets_.size(), {});
  planDetail_.clear();
  fleetLayer2_ = {};
  fleetTally_ = {};
  ++generation_;

  // 0. The links, judged once for the whole evaluation (and their alerts).
  std::vector<WantedAlert> linkAlerts;
  judgeLinks(now, how.wantAlerts ? &linkAlerts : nullptr);

  // 1. Every report evaluated on its own, in contiguous slices (one per thread), so the
  // failures come out in `stored` order whatever the thread count.
  endpoints_.resize(stored.size());
  unsigned threads = how.threads ? how.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(
      std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(1, stored.size() / 1000)));
  std::vector<std::vector<WantedAlert>> failing(threads);
  auto slice = [&](unsigned k) {
    std::size_t begin = stored.size() * k / threads, end = stored.size() * (k + 1) / threads;
    posture::v1::Report report;
    for (std::size_t i = begin; i < end; ++i) {
      const auto& s = stored[i];
      Endpoint& e = endpoints_[i];
      e.agentId = s.agentId;
      e.unitCode = s.unitCode;
      e.hostname = s.hostname;
      e.sequence = s.lastSequence;
      e.lastSeen = s.lastSeen;
      policy::Facts facts;
      bool decoded = false;
      if (!s.federated.empty()) {
        // A child collector's row: its facts as of collection, aged to now.
        facts = policy::factsFromFederated(s.federated, s.collectedAt, now);
        e.federated = true;
        e.child = s.childId;
      } else {
        decoded = decodeReport(s.report, now, report, facts);
      }
      addLinkFacts(e, facts);
      evaluateEndpoint(e, decoded ? &report : nullptr, facts, now,
                       how.wantAlerts ? &failing[k] : nullptr);
      if (how.onEndpoint) how.onEndpoint(i, decoded ? &report : nullptr, facts, e.checks);
    }
  };
  if (threads == 1) {
    slice(0);
  } else {
    std::vector<std::thread> pool;
    std::exception_ptr error;
    std::mutex errorMutex;
    for (unsigned k = 1; k < threads; ++k) {
      pool.emplace_back([&, k] {
        try {
          slice(k);
        } catch (...) {
          std::lock_guard lock(errorMutex);
          error = std::current_exception();
        }
      });
    }
    try {
      slice(0);
    } catch (...) {
      std::lock_guard lock(errorMutex);
      error = std::current_exception();
    }
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
  }

  // 2. Counting, in order.
  std::vector<WantedAlert> wanted = std::move(linkAlerts);
  for (auto& f : failing) {
    for (auto& w : f) wanted.push_back(std::move(w));
    f.clear();
  }
  index_.reserve(endpoints_.size());
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    const Endpoint& e = endpoints_[i];
    unit(e.unitCode);
    if (e.stale && !e.federated && how.wantAlerts) wanted.push_back(staleAlert(e));
    addCounts(e, +1);
    index_[e.agentId] = i;
  }
  lastDay_ = util::vietnamDay(now);
  evaluateOrg(lastDay_);
  AlertDelta delta;
  for (const auto& [code, u] : units_) targetAlerts(code, lastDay_, delta);
  targetAlerts("", lastDay_, delta);
  if (!how.wantAlerts) return {};
  for (auto& w : delta.raise) wanted.push_back(std::move(w));
  silence(wanted);
  return wanted;
}

AlertDelta FleetModel::update(const StoredEndpoint& s, std::int64_t now,
                              const posture::v1::Report* decoded,
                              std::vector<std::string>* touchedOut) {
  AlertDelta delta;
  auto it = index_.find(s.agentId);
  const bool isNew = it == index_.end();
  Endpoint* e = nullptr;
  std::vector<std::string> touched;
  if (isNew) {
    index_[s.agentId] = endpoints_.size();
    endpoints_.push_back({});
    e = &endpoints_.back();
    e->agentId = s.agentId;
  } else {
    e = &endpoints_[it->second];
    // An older report arriving late; a child's row carries no sequence and always replaces.
    if (s.federated.empty() && s.lastSequence <= e->sequence) return delta;
    addCounts(*e, -1);
    touched = chain(e->unitCode);
  }
  std::vector<policy::Tri> before = e->checks;
  std::vector<char> scopeBefore = isNew ? std::vector<char>(policies_->size()) : appliesAt(e->unitCode);
  bool wasStale = e->stale;
  bool layer2Before = e->protectedManaged && !e->stale;
  std::string unitBefore = e->unitCode;
  e->unitCode = s.unitCode;
  e->hostname = s.hostname;
  e->sequence = s.lastSequence;
  e->lastSeen = s.lastSeen;
  unit(e->unitCode);
  std::vector<WantedAlert> failing;
  if (!s.federated.empty()) {
    e->federated = true;
    e->child = s.childId;
    auto facts = policy::factsFromFederated(s.federated, s.collectedAt, now);
    addLinkFacts(*e, facts);
    evaluateEndpoint(*e, nullptr, facts, now, &failing);
  } else if (decoded) {
    auto facts = policy::factsFromReport(*decoded, now);
    addLinkFacts(*e, facts);
    evaluateEndpoint(*e, decoded, facts, now, &failing);
  } else {
    evaluateEndpoint(*e, s.report, now, &failing);
  }
  addCounts(*e, +1);
  if (isNew || layer2Before != (e->protectedManaged && !e->stale) ||
      unitBefore != e->unitCode) {
    orgDirty_ = true;  // layer 2's telemetry moved: four-layer targets at the next sweep
  }

  // Endpoint alerts: raise every failing check (refreshing its observed values), clear
  // the ones that failed before this report and pass now, or no longer apply (the
  // endpoint moved to a unit its plan does not cover).
  auto scopeNow = appliesAt(e->unitCode);
  for (std::size_t i = 0; i < checks_.size() && !e->federated; ++i) {
    std::size_t p = checks_[i].first;
    bool failedBefore = i < before.size() && scopeBefore[p] && before[i] != policy::Tri::True;
    bool failingNow = scopeNow[p] && e->checks[i] != policy::Tri::True;
    if (failedBefore && !failingNow) {
      const auto& pol = (*policies_)[checks_[i].first];
      delta.clear.push_back({pol.id + "/" + pol.checks[checks_[i].second].id, "endpoint:" + e->agentId});
    }
  }
  delta.raise = std::move(failing);
  if (wasStale && !e->stale && !e->federated) delta.clear.push_back({kStaleRule, "endpoint:" + e->agentId});

  for (const auto& code : chain(e->unitCode)) {
    if (std::find(touched.begin(), touched.end(), code) == touched.end()) touched.push_back(code);
  }
  silence(delta);
  if (touchedOut) {
    for (auto& code : touched) {
      if (std::find(touchedOut->begin(), touchedOut->end(), code) == touchedOut->end())
        touchedOut->push_back(std::move(code));
    }
    return delta;
  }
  auto targets = targetChanges(touched, now);  // silenced there
  for (auto& w : targets.raise) delta.raise.push_back(std::move(w));
  for (auto& c : targets.clear) delta.clear.push_back(std::move(c));
  return delta;
}

void FleetModel::remove(const std::string& agentId, std::vector<std::string>& touched) {
  auto it = index_.find(agentId);
  if (it == index_.end()) return;
  std::size_t i = it->second;
  addCounts(endpoints_[i], -1);
  for (auto& code : chain(endpoints_[i].unitCode)) {
    if (std::find(touched.begin(), touched.end(), code) == touched.end()) touched.push_back(std::move(code));
  }
  index_.erase(it);
  if (i + 1 != endpoints_.size()) {
    endpoints_[i] = std::move(endpoints_.back());
    index_[endpoints_[i].agentId] = i;
  }
  endpoints_.pop_back();
  orgDirty_ = true;  // layer 2's telemetry moved
}

AlertDelta FleetModel::targetChanges(const std::vector<std::string>& units, std::int64_t now) {
  AlertDelta delta;
  std::int64_t today = util::vietnamDay(now);
  for (const auto& code : units) targetAlerts(code, today, delta);
  targetAlerts("", today, delta);
  silence(delta);
  return delta;
}

AlertDelta FleetModel::sweep(std::int64_t now) {
  AlertDelta delta;
  std::vector<std::string> touched;
  for (auto& e : endpoints_) {
    bool stale = staleNow(e, now);
    if (stale == e.stale) continue;
    addCounts(e, -1);
    e.stale = stale;
    addCounts(e, +1);
    orgDirty_ = true;
    if (e.federated) {
      // Counted stale here; its stale alert is the child's.
    } else if (stale) {
      delta.raise.push_back(staleAlert(e));
    } else {
      delta.clear.push_back({kStaleRule, "endpoint:" + e.agentId});
    }
    for (const auto& code : chain(e.unitCode)) touched.push_back(code);
  }
  std::int64_t today = util::vietnamDay(now);
  if (today != lastDay_ || orgDirty_) {
    // A new milestone may be in force, records may have expired, or layer 2's telemetry
    // moved: the organization targets are recomputed and every unit looked at again.
    lastDay_ = today;
    evaluateOrg(today);
    touched.clear();
    for (const auto& [code, u] : units_) touched.push_back(code);
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (const auto& code : touched) targetAlerts(code, today, delta);
  if (!touched.empty()) targetAlerts("", today, delta);
  silence(delta);
  return delta;
}

std::vector<std::string> FleetModel::units() const {
  std::vector<std::string> out;
  for (const auto& [code, u] : units_) out.push_back(code);
  return out;
}

TargetCount FleetModel::count(std::size_t target, const std::string& code) const {
  if (code.empty()) return fleet_.at(target);
  auto it = units_.find(code);
  return it == units_.end() ? TargetCount{} : it->second.rolled.at(target);
}

policy::TargetEvaluation FleetModel::evaluate(std::size_t target, const std::string& code,
                                              std::int64_t today) const {
  auto c = count(target, code);
  return policy::evaluateTarget(*targets_.at(target).target, c.satisfied, c.total, today);
}

FleetModel::Tally FleetModel::tally(const std::string& code) const {
  if (code.empty()) return fleetTally_;
  auto it = units_.find(code);
  return it == units_.end() ? Tally{} : it->second.tally;
}

TargetCount FleetModel::layer2(const std::string& code) const {
  if (code.empty()) return fleetLayer2_;
  auto it = units_.find(code);
  return it == units_.end() ? TargetCount{} : it->second.layer2;
}

std::size_t FleetModel::staleCount() const {
  return static_cast<std::size_t>(
      std::count_if(endpoints_.begin(), endpoints_.end(), [](const Endpoint& e) { return e.stale; }));
}

std::vector<std::string> FleetModel::staleEndpoints() const {
  std::vector<std::string> out;
  for (const auto& e : endpoints_) {
    if (e.stale) out.push_back(e.agentId);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace posture::collector
