#include "collector/console/overview_api.h"

#include <map>
#include <set>

#include "collector/evaluation/history.h"
#include "collector/evaluation/model.h"
#include "collector/org/layers.h"
#include "collector/org/org.h"
#include "collector/storage/console_queries.h"
#include "collector/storage/storage.h"
#include "common/util/time.h"

namespace posture::collector::console {

std::shared_ptr<const OverviewSnapshot> buildOverview(db::Connection& db, const OverviewSources& sources,
                                                      OverviewGeneration generation) {
  auto snap = std::make_shared<OverviewSnapshot>();
  snap->generation = generation;
  snap->builtAt = std::chrono::steady_clock::now();
  std::int64_t now = util::unixNow();
  std::int64_t today = util::vietnamDay(now);
  snap->generatedAt = now;
  auto org = std::make_shared<const org::OrgModel>(org::loadOrg(db));
  const FleetModel* model = sources.model;
  std::unique_ptr<FleetModel> own;
  if (!model) {
    ModelOptions options;
    options.staleAfterSeconds = sources.staleAfterSeconds;
    options.org = org;
    own = std::make_unique<FleetModel>(sources.policies(), options);
    own->rebuild(loadEndpoints(db), now);
    model = own.get();
  }

  // Every unit: the organization's tree and the units seen only in reports (roots).
  std::map<std::string, std::string> parents = org->parents();
  for (const auto& c : model->units()) parents.emplace(c, "");
  for (auto& [code, parent] : parents) {
    if (!parent.empty() && !parents.count(parent)) parent.clear();
  }
  for (const auto& [code, parent] : parents) {
    if (parent.empty()) snap->roots.push_back(code);
    else snap->children[parent].push_back(code);
  }

  // Open alerts: each unit's own, added to every ancestor (bounded: a cycle in a
  // hand-made tree cannot loop).
  std::map<std::string, std::int64_t> open;
  for (const auto& [unit, n] : openAlertCountsByUnit(db)) {
    std::string at = unit;
    for (std::size_t guard = 0; !at.empty() && guard <= parents.size(); ++guard) {
      open[at] += n;
      auto p = parents.find(at);
      at = p == parents.end() ? std::string() : p->second;
    }
  }

  const auto& targets = model->targets();
  for (const auto& [code, parent] : parents) {
    const auto* u = org->findUnit(code);
    auto tally = model->tally(code);
    OverviewUnit ou;
    ou.parent = parent;
    ou.brief = util::Json::object();
    ou.brief.set("code", code);
    ou.brief.set("name", u ? u->nameVi : code);
    ou.brief.set("name_en", u ? u->nameEn : code);
    ou.brief.set("kind", u ? util::Json(std::string(org::unitKindName(u->kind))) : util::Json());
    ou.brief.set("parent", nullable(parent));
    ou.brief.set("endpoints", tally.endpoints);
    ou.brief.set("stale", tally.stale);
    auto o = open.find(code);
    ou.brief.set("open_alerts", o == open.end() ? 0 : o->second);
    ou.targets = util::Json::array();
    for (std::size_t t = 0; t < targets.size(); ++t) {
      if (!model->targetApplies(t, code)) continue;  // another unit's plan
      auto ev = model->evaluate(t, code, today);
      util::Json tj = util::Json::object();
      tj.set("policy", targets[t].policy->id);
      tj.set("id", targets[t].target->id);
      tj.set("title_vi", targets[t].target->title.vi);
      tj.set("title_en", targets[t].target->title.en);
      tj.set("value", fraction(ev.satisfied, ev.total));
      tj.set("passing", ev.satisfied);
      tj.set("total", ev.total);
      tj.set("threshold", ev.inForce ? util::Json(ev.inForce->atLeastPercent / 100.0) : util::Json());
      tj.set("by", ev.inForce ? util::Json(util::formatDate(ev.inForce->byDay)) : util::Json());
      tj.set("status", statusKey(ev.status));
      ou.targets.push(std::move(tj));
    }
    ou.layers = util::Json::array();
    for (const auto& v : model->layers(code)) {
      util::Json lj = util::Json::object();
      lj.set("layer", v.layer);
      lj.set("pass", v.pass);
      lj.set("evidence_vi", v.evidenceVi);
      lj.set("evidence_en", v.evidenceEn);
      ou.layers.push(std::move(lj));
    }
    snap->units.emplace(code, std::move(ou));
  }

  // The navigation tree, depth-first from each root.
  util::Json tree = util::Json::array();
  std::set<std::string> seen;
  std::vector<std::string> stack(snap->roots.rbegin(), snap->roots.rend());
  while (!stack.empty()) {
    std::string code = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(code).second) continue;
    tree.push(snap->units.at(code).brief);
    auto c = snap->children.find(code);
    if (c != snap->children.end()) stack.insert(stack.end(), c->second.rbegin(), c->second.rend());
  }
  snap->treeJson = util::writeJson(tree, false);
  return snap;
}

net::Response renderOverview(const OverviewSnapshot& snap, const std::string& unit) {
  std::vector<std::string> show;
  auto withChildren = [&](const std::string& code) {
    show.push_back(code);
    auto c = snap.children.find(code);
    if (c != snap.children.end()) show.insert(show.end(), c->second.begin(), c->second.end());
  };
  if (unit.empty()) {
    for (const auto& r : snap.roots) withChildren(r);
  } else {
    if (!snap.units.count(unit)) return notFound("đơn vị " + unit + " / unit " + unit);
    withChildren(unit);
  }
  util::Json units = util::Json::array();
  for (const auto& code : show) {
    const auto& u = snap.units.at(code);
    util::Json j = u.brief;
    j.set("targets", u.targets);
    j.set("layers", u.layers);
    units.push(std::move(j));
  }
  std::string body = "{\"generated_at\":" + std::to_string(snap.generatedAt) +
                     ",\"unit\":" + util::writeJson(nullable(unit), false) +
                     ",\"units\":" + util::writeJson(units, false) + ",\"tree\":" + snap.treeJson + "}";
  return net::Response{200, kJson, std::move(body), {}};
}

}  // namespace posture::collector::console
