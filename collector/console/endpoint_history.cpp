#include "collector/console/endpoint_history.h"

#include <optional>

#include "collector/evaluation/endpoint.h"
#include "collector/org/org.h"
#include "collector/policy/facts.h"
#include "collector/storage/console_queries.h"
#include "common/util/time.h"
#include "posture/v1/report.pb.h"

namespace posture::collector::console {
namespace {

// Facts not compared: every report is newer (report.age_hours); the host name and unit
// are compared as their own members.
bool comparedFact(const std::string& name) {
  return name != "report.age_hours" && name != "endpoint.hostname" && name != "endpoint.unit_code";
}

struct Evaluated {
  std::uint64_t sequence = 0;
  std::int64_t receivedAt = 0, collectedAt = 0;
  std::string hostname, unit;
  bool decoded = false;
  policy::Facts facts;      // as of receivedAt (what is shown)
  policy::Facts reference;  // as of one common instant (what is compared)
  std::vector<std::vector<policy::Tri>> checks;
};

util::Json fromTo(const std::string& from, const std::string& to) {
  util::Json j = util::Json::object();
  j.set("from", from);
  j.set("to", to);
  return j;
}

}  // namespace

net::Response endpointHistory(db::Connection& db, const std::string& agentId, const Query& query,
                              const std::vector<policy::Policy>& policies) {
  if (!isAgentId(agentId)) return notFound("thiết bị / endpoint");
  std::int64_t limit = 20;
  if (auto r = numberParam(query, "limit", 20, 1, 100, limit)) return *r;

  std::string source;
  if (auto r = sourceParam(query, "source", source)) return *r;
  auto place = source.empty() ? findEndpointPlace(db, agentId) : std::nullopt;
  if (!place) {
    // A row a child collector pushed: its reports stay in the district.
    place = findListPlace(db, agentId, source);
    if (!place) return notFound("thiết bị " + agentId + " / endpoint " + agentId);
    util::Json out = util::Json::object();
    out.set("agent_id", agentId);
    out.set("hostname", place->hostname);
    out.set("unit", place->unitCode);
    out.set("source", place->source);
    out.set("total", std::int64_t{0});
    out.set("reports", util::Json::array());
    return jsonResponse(200, out);
  }
  const std::string& unit = place->unitCode;
  const std::string& hostname = place->hostname;
  std::int64_t total = countReports(db, agentId);

  // One more than shown: the report before the oldest shown one, to compare it with.
  std::int64_t now = util::unixNow();
  std::vector<Evaluated> list;
  auto org = org::loadOrg(db);
  {
    auto st = db.prepare(
        "SELECT sequence, received_at, collected_at, body FROM reports WHERE agent_id = ? "
        "ORDER BY sequence DESC LIMIT ?");
    st.bind(1, agentId).bind(2, limit + 1);
    while (st.step()) {
      Evaluated e;
      e.sequence = static_cast<std::uint64_t>(st.getInt(0));
      e.receivedAt = st.getInt(1);
      e.collectedAt = st.getInt(2);
      // Each report as of when it was received: its ages then, not now.
      auto ev = evaluateReport(st.getBlob(3), policies, e.receivedAt);
      e.decoded = ev.decoded;
      e.hostname = ev.decoded ? ev.report.identity().hostname() : std::string();
      e.unit = ev.decoded && !ev.report.identity().unit_code().empty() ? ev.report.identity().unit_code()
                                                                       : unit;
      // Only the plans of the unit it reported from.
      std::vector<std::string> chain = {e.unit};
      for (auto& a : org.ancestors(e.unit)) chain.push_back(std::move(a));
      for (std::size_t p = 0; p < policies.size() && p < ev.checks.size(); ++p) {
        if (!policy::appliesWithin(policies[p], chain)) ev.checks[p].clear();
      }
      if (ev.decoded) e.reference = policy::factsFromReport(ev.report, now);
      e.facts = std::move(ev.facts);
      e.checks = std::move(ev.checks);
      list.push_back(std::move(e));
    }
  }

  util::Json rows = util::Json::array();
  std::size_t shown = std::min(list.size(), static_cast<std::size_t>(limit));
  for (std::size_t i = 0; i < shown; ++i) {
    const Evaluated& cur = list[i];
    const Evaluated* prev = i + 1 < list.size() ? &list[i + 1] : nullptr;
    util::Json row = util::Json::object();
    row.set("sequence", static_cast<std::int64_t>(cur.sequence));
    row.set("received_at", cur.receivedAt);
    row.set("collected_at", cur.collectedAt);
    row.set("hostname", cur.hostname);
    row.set("unit", cur.unit);
    row.set("decoded", cur.decoded);
    std::int64_t failing = 0;
    for (const auto& p : cur.checks)
      for (auto t : p) failing += t == policy::Tri::False;
    row.set("failing", failing);
    row.set("first", prev == nullptr);
    util::Json changes = util::Json::object();
    bool changed = false;
    if (prev) {
      if (prev->hostname != cur.hostname) {
        changes.set("hostname", fromTo(prev->hostname, cur.hostname));
        changed = true;
      }
      if (prev->unit != cur.unit) {
        changes.set("unit", fromTo(prev->unit, cur.unit));
        changed = true;
      }
      util::Json facts = util::Json::array();
      auto before = prev->reference.values();
      auto beforeShown = prev->facts.values();
      auto nowShown = cur.facts.values();
      for (const auto& [name, value] : cur.reference.values()) {
        if (!comparedFact(name)) continue;
        auto b = before.find(name);
        policy::FactValue old = b == before.end() ? policy::FactValue{} : b->second;
        if (old == value) continue;
        // Shown as of each report's arrival (a fact missing there is unknown).
        auto oldShown = beforeShown.count(name) ? beforeShown.at(name) : policy::FactValue{};
        auto newShown = nowShown.count(name) ? nowShown.at(name) : policy::FactValue{};
        util::Json f = util::Json::object();
        f.set("name", name);
        const auto* info = policy::findFact(name);
        f.set("title_vi", info ? std::string(info->vi) : name);
        f.set("title_en", info ? std::string(info->en) : name);
        f.set("from_vi", policy::formatFact(oldShown, true));
        f.set("from_en", policy::formatFact(oldShown, false));
        f.set("to_vi", policy::formatFact(newShown, true));
        f.set("to_en", policy::formatFact(newShown, false));
        facts.push(std::move(f));
      }
      util::Json checks = util::Json::array();
      for (std::size_t p = 0; p < policies.size() && p < cur.checks.size() && p < prev->checks.size(); ++p) {
        const auto& pol = policies[p];
        for (std::size_t c = 0; c < pol.checks.size() && c < cur.checks[p].size() && c < prev->checks[p].size();
             ++c) {
          if (cur.checks[p][c] == prev->checks[p][c]) continue;
          util::Json j = checkJson(pol, pol.checks[c]);
          j.set("from", std::string(resultKey(prev->checks[p][c])));
          j.set("to", std::string(resultKey(cur.checks[p][c])));
          checks.push(std::move(j));
        }
      }
      changed = changed || facts.size() > 0 || checks.size() > 0;
      if (facts.size() > 0) changes.set("facts", std::move(facts));
      if (checks.size() > 0) changes.set("checks", std::move(checks));
    }
    row.set("changed", changed);
    if (changed) row.set("changes", std::move(changes));
    rows.push(std::move(row));
  }
  util::Json out = util::Json::object();
  out.set("agent_id", agentId);
  out.set("hostname", hostname);
  out.set("unit", unit);
  out.set("source", util::Json());
  out.set("total", total);
  out.set("reports", std::move(rows));
  return jsonResponse(200, out);
}

}  // namespace posture::collector::console
