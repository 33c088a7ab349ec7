#include "collector/upstream/picture.h"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "collector/evaluation/history.h"
#include "collector/evaluation/model.h"
#include "collector/export/report_2290.h"
#include "collector/federation/held.h"
#include "collector/federation/mounts.h"
#include "collector/federation/readers.h"
#include "collector/org/layers.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"

namespace posture::collector::upstream {
namespace {
using v1::FederationChange;

void addFact(v1::FederatedEndpoint& e, const std::string& name, const policy::FactValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return;  // unknown: not sent
  auto* f = e.add_facts();
  f->set_name(name);
  if (const auto* b = std::get_if<bool>(&v)) f->set_flag(*b);
  else if (const auto* d = std::get_if<double>(&v)) f->set_number(*d);
  else f->set_text(std::get<std::string>(v));
}

v1::CheckResult resultOf(policy::Tri t) {
  return t == policy::Tri::True    ? v1::CHECK_RESULT_MET
         : t == policy::Tri::False ? v1::CHECK_RESULT_NOT_MET
                                   : v1::CHECK_RESULT_UNKNOWN;
}

// The units where a summary child's targets stand for this collector's own: its units and
// the unit it is mounted at. No row of theirs is here to evaluate this collector's plans
// over, so the child's values go up as it pushed them.
std::set<std::string> summaryChildUnits(db::Connection& db) {
  std::set<std::string> out, summaryChildren;
  for (const auto& c : federation::children(db)) {
    if (c.detail != "summary") continue;
    summaryChildren.insert(c.childId);
    out.insert(c.mountUnit);
  }
  for (const auto& u : federation::federatedUnits(db)) {
    if (summaryChildren.count(u.childId)) out.insert(u.code);
  }
  return out;
}
}  // namespace

Picture buildPicture(db::Connection& db, std::shared_ptr<const std::vector<policy::Policy>> policies,
                     const PictureOptions& o, std::int64_t now) {
  Picture out;
  auto org = std::make_shared<const org::OrgModel>(org::loadOrg(db));
  // The mount's subtree: what this collector may describe to its province.
  auto subtree = org->subtree(o.mountUnit);
  std::set<std::string> inMount(subtree.begin(), subtree.end());
  auto add = [&](const FederationChange& c) { out.rows.push_back(federation::outboxRow(c)); };

  for (const auto& u : org->units) {
    // The mount unit itself is the province's: only the units below it go up.
    if (u.code == o.mountUnit || !inMount.count(u.code)) continue;
    FederationChange c;
    auto* fu = c.mutable_unit();
    fu->set_code(u.code);
    fu->set_parent(u.parent == o.mountUnit ? std::string() : u.parent);
    fu->set_name_vi(u.nameVi);
    fu->set_name_en(u.nameEn);
    fu->set_kind(std::string(org::unitKindName(u.kind)));
    add(c);
  }

  // One evaluation of every stored report gives the endpoint rows and the targets.
  ModelOptions mo;
  mo.org = org;
  mo.staleAfterSeconds = o.staleAfterSeconds;
  FleetModel model(policies, mo);
  auto stored = loadEndpoints(db);
  std::vector<std::optional<FederationChange>> endpoints(stored.size());
  // A summary carries the 2290 counts in place of the rows: each machine counted here by
  // the report's own rule, the rows of endpoint-mode children included.
  std::vector<std::optional<Machine2290>> machines(o.summary ? stored.size() : 0);
  RebuildOptions how;
  how.wantAlerts = false;
  how.threads = 0;
  how.onEndpoint = [&](std::size_t i, const v1::Report* report, const policy::Facts& facts,
                       const std::vector<policy::Tri>& checks) {
    const auto& s = stored[i];
    if (!inMount.count(s.unitCode)) return;
    if (o.summary) {
      machines[i] = machine2290(s, report, facts, now, o.staleAfterSeconds);
      return;
    }
    FederationChange c;
    auto* e = c.mutable_endpoint();
    e->set_agent_id(s.agentId);
    e->set_hostname(s.hostname);
    e->set_unit_code(s.unitCode);
    const auto* os = facts.get("endpoint.os_name");
    e->set_os(os && std::holds_alternative<std::string>(*os) ? std::get<std::string>(*os) : "");
    // Facts as of the report's collection, so that a row changes only with a new report
    // (ages would otherwise move it every round); the province ages them to its now.
    std::int64_t at = report ? report->collected_at().seconds() : s.collectedAt;
    const auto asCollected = report ? policy::factsFromReport(*report, at) : facts;
    for (const auto& [name, value] : asCollected.values()) addFact(*e, name, value);
    e->set_facts_at(at);
    for (std::size_t k = 0; k < checks.size(); ++k) {
      auto [p, c] = model.checkRef(k);
      if (!model.applies(p, s.unitCode)) continue;
      const auto& check = (*policies)[p].checks[c];
      auto* fc = e->add_checks();
      fc->set_policy_id((*policies)[p].id);
      fc->set_check_id(check.id);
      fc->set_result(resultOf(checks[k]));
    }
    e->set_last_seen(s.lastSeen);
    e->set_stale(now - s.lastSeen > o.staleAfterSeconds);
    endpoints[i] = std::move(c);
  };
  model.rebuild(stored, now, how);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (!inMount.count(stored[i].unitCode)) {
      ++out.outsideMount;
      continue;
    }
    ++out.endpoints;
    if (endpoints[i]) add(*endpoints[i]);
  }

  // Each unit's own 2290 counts: its machines counted here, and what summary children
  // pushed for it, passed on. An endpoints picture sends only the latter: the parent counts
  // the rows it receives itself.
  Figures2290ByUnit own2290;
  for (const auto& m : machines) {
    if (m) own2290[m->unitCode].add(*m);
  }
  for (const auto& [code, figures] : pushedFigures2290(db)) {
    if (inMount.count(code)) own2290[code].add(figures);
  }
  for (const auto& [code, figures] : own2290) {
    if (figures.machines == 0) continue;
    FederationChange c;
    *c.mutable_report_2290() = federatedReport2290(code, figures);
    add(c);
  }

  // A summary child's targets, passed on once per key (two children mounted at one unit may
  // both describe it). Its four-layer verdicts go up through model.layers() below, which
  // takes a child's verdicts where this collector keeps no record.
  const auto summaryUnits = summaryChildUnits(db);
  std::set<std::string> passed;
  for (const auto& held : federation::heldRows(db, federation::RowKind::Target)) {
    const std::string& unit = held.change.target().unit_code();
    if (summaryUnits.count(unit) && inMount.count(unit) &&
        passed.insert(federation::changeKey(held.change)).second) {
      add(held.change);
    }
  }

  std::int64_t today = util::vietnamDay(now);
  for (std::size_t t = 0; t < model.targets().size(); ++t) {
    const auto& ref = model.targets()[t];
    for (const auto& code : subtree) {
      if (summaryUnits.count(code) || !model.targetApplies(t, code)) continue;
      auto ev = model.evaluate(t, code, today);
      FederationChange c;
      auto* ft = c.mutable_target();
      ft->set_unit_code(code);
      ft->set_policy_id(ref.policy->id);
      ft->set_target_id(ref.target->id);
      ft->set_satisfied(ev.satisfied);
      ft->set_total(ev.total);
      std::string status = statusKey(ev.status);
      for (auto& ch : status)
        if (ch == '-') ch = '_';
      ft->set_status(status);
      if (ev.inForce) ft->set_threshold(ev.inForce->atLeastPercent);
      add(c);
    }
  }

  for (const auto& code : subtree) {
    // Stable evidence: a round whose states did not move stages no layer change.
    for (const auto& v : model.layers(code, true)) {
      FederationChange c;
      auto* fl = c.mutable_layer();
      fl->set_unit_code(code);
      fl->set_layer(static_cast<std::uint32_t>(v.layer));
      fl->set_pass(v.pass);
      fl->set_evidence_vi(v.evidenceVi);
      fl->set_evidence_en(v.evidenceEn);
      if (const auto* r = org->findLayer(code, v.layer)) {
        fl->set_reference(r->reference);
        fl->set_document(r->document);
      }
      add(c);
    }
  }

  for (const auto& s : org->systems) {
    if (!inMount.count(s.unitCode)) {
      ++out.outsideMount;
      continue;
    }
    FederationChange c;
    auto* fs = c.mutable_system();
    fs->set_code(s.code);
    fs->set_unit_code(s.unitCode);
    fs->set_name_vi(s.nameVi);
    fs->set_name_en(s.nameEn);
    fs->set_level(static_cast<std::uint32_t>(s.level));
    fs->set_shared(s.shared);
    if (s.dossierApprovedDay) fs->set_dossier_day(*s.dossierApprovedDay);
    if (s.planImplementedDay) fs->set_plan_day(*s.planImplementedDay);
    if (s.lastAssessmentDay) fs->set_assessment_day(*s.lastAssessmentDay);
    add(c);
  }

  // Triage stays where the alerts are: the parent sees how many are open and acknowledged,
  // here and (passed on) in this collector's children, one row per (unit, rule, severity).
  std::map<std::string, FederationChange> alerts;
  auto count = [&](const std::string& unit, const std::string& rule, const std::string& severity,
                   std::uint32_t open, std::uint32_t acknowledged) {
    if (!inMount.count(unit)) return;  // "fleet" and units outside the mount
    FederationChange c;
    auto* fa = c.mutable_alert_count();
    fa->set_unit_code(unit);
    fa->set_rule(rule);
    fa->set_severity(severity);
    auto* sum = alerts.emplace(federation::changeKey(c), c).first->second.mutable_alert_count();
    sum->set_open(sum->open() + open);
    sum->set_acknowledged(sum->acknowledged() + acknowledged);
  };
  auto st = db.prepare(
      "SELECT unit_code, rule, severity, sum(status = 'open'), sum(status = 'acknowledged') "
      "FROM alerts WHERE status != 'resolved' GROUP BY unit_code, rule, severity");
  while (st.step()) {
    count(st.getText(0), st.getText(1), st.getText(2), static_cast<std::uint32_t>(st.getInt(3)),
          static_cast<std::uint32_t>(st.getInt(4)));
  }
  for (const auto& a : federation::federatedAlertCounts(db, {}, std::numeric_limits<std::int64_t>::max(), 0)) {
    count(a.unitCode, a.rule, a.severity, static_cast<std::uint32_t>(a.open),
          static_cast<std::uint32_t>(a.acknowledged));
  }
  for (const auto& [key, c] : alerts) add(c);
  return out;
}

}  // namespace posture::collector::upstream
