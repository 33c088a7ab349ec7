#include "collector/alerts/alerts.h"

#include <cstdio>
#include <map>

#include "common/util/time.h"

namespace posture::collector {
namespace {
struct Wanted {
  std::string unitCode, severity, titleVi, titleEn, detail;
};
using Key = std::pair<std::string, std::string>;  // (rule, subject)

std::string percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

void record(db::Connection& db, std::int64_t id, std::int64_t at, const char* event,
            const std::string& detail) {
  db.prepare("INSERT INTO alert_events(alert_id, at, event, detail) VALUES (?, ?, ?, ?)")
      .bind(1, id)
      .bind(2, at)
      .bind(3, event)
      .bind(4, detail)
      .run();
}

std::map<Key, Wanted> wantedAlerts(const FleetEvaluation& fleet) {
  std::map<Key, Wanted> wanted;
  const auto& policies = *fleet.policies;
  for (const auto& e : fleet.endpoints) {
    for (std::size_t p = 0; p < e.checks.size(); ++p) {
      for (std::size_t c = 0; c < e.checks[p].size(); ++c) {
        policy::Tri result = e.checks[p][c];
        if (result == policy::Tri::True) continue;
        const policy::Check& check = policies[p].checks[c];
        std::string detail = e.hostname + ": ";
        bool first = true;
        for (const auto& fact : policy::factsUsedBy(check)) {
          const auto* v = e.facts.get(fact);
          detail += (first ? "" : ", ") + fact + "=" +
                    (v ? policy::formatFact(*v, false) : std::string("unknown"));
          first = false;
        }
        if (result == policy::Tri::Unknown) detail += " (cannot be established)";
        wanted[{policies[p].id + "/" + check.id, "endpoint:" + e.agentId}] =
            Wanted{e.unitCode, std::string(policy::severityName(check.severity)), check.title.vi,
                   check.title.en, detail};
      }
    }
  }
  for (const auto& t : fleet.targets) {
    if (t.evaluation.status != policy::TargetStatus::Missed) continue;
    std::string subject = t.unitCode.empty() ? "fleet" : "unit:" + t.unitCode;
    std::string detail = std::to_string(t.evaluation.satisfied) + "/" +
                         std::to_string(t.evaluation.total) + " = " +
                         percent(t.evaluation.percent);
    if (t.evaluation.inForce) {
      detail += " < " + percent(t.evaluation.inForce->atLeastPercent) + " required since " +
                util::formatDate(t.evaluation.inForce->byDay);
    }
    wanted[{t.policy->id + "/" + t.target->id, subject}] =
        Wanted{t.unitCode, std::string(policy::severityName(t.target->severity)),
               t.target->title.vi, t.target->title.en, detail};
  }
  return wanted;
}
}  // namespace

AlertChange syncAlerts(db::Connection& db, const FleetEvaluation& fleet) {
  auto wanted = wantedAlerts(fleet);
  AlertChange change;
  std::int64_t now = fleet.now;
  db::Transaction tx(db);

  struct Existing {
    std::int64_t id;
    bool open;
    std::string detail;
  };
  std::map<Key, Existing> existing;
  {
    auto st = db.prepare("SELECT id, rule, subject, status = 'open', detail FROM alerts");
    while (st.step()) {
      existing[{st.getText(1), st.getText(2)}] = {st.getInt(0), st.getInt(3) != 0, st.getText(4)};
    }
  }
  auto insert = db.prepare(
      "INSERT INTO alerts(rule, subject, unit_code, severity, status, title_vi, title_en, detail, "
      "first_seen, last_seen) VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)");
  auto touch = db.prepare("UPDATE alerts SET last_seen = ?, detail = ? WHERE id = ?");
  auto reopen = db.prepare(
      "UPDATE alerts SET status = 'open', resolved_at = NULL, last_seen = ?, detail = ? "
      "WHERE id = ?");
  auto resolve = db.prepare("UPDATE alerts SET status = 'resolved', resolved_at = ? WHERE id = ?");

  for (const auto& [key, w] : wanted) {
    auto it = existing.find(key);
    if (it == existing.end()) {
      insert.reset();
      insert.bind(1, key.first).bind(2, key.second).bind(3, w.unitCode).bind(4, w.severity)
          .bind(5, w.titleVi).bind(6, w.titleEn).bind(7, w.detail).bind(8, now).bind(9, now).run();
      record(db, db.lastInsertRowid(), now, "opened", w.detail);
      ++change.opened;
    } else if (!it->second.open) {
      reopen.reset();
      reopen.bind(1, now).bind(2, w.detail).bind(3, it->second.id).run();
      record(db, it->second.id, now, "reopened", w.detail);
      ++change.reopened;
    } else if (it->second.detail != w.detail) {
      touch.reset();
      touch.bind(1, now).bind(2, w.detail).bind(3, it->second.id).run();
    }
  }
  for (const auto& [key, e] : existing) {
    if (!e.open || wanted.count(key)) continue;
    resolve.reset();
    resolve.bind(1, now).bind(2, e.id).run();
    record(db, e.id, now, "resolved", "condition cleared");
    ++change.resolved;
  }
  tx.commit();
  change.open = wanted.size();
  return change;
}

std::vector<AlertRow> listAlerts(db::Connection& db, bool openOnly) {
  std::vector<AlertRow> out;
  auto st = db.prepare(std::string(
      "SELECT id, rule, subject, unit_code, severity, status, title_vi, title_en, detail, "
      "first_seen, last_seen FROM alerts") + (openOnly ? " WHERE status = 'open'" : "") +
      " ORDER BY id");
  while (st.step()) {
    out.push_back({st.getInt(0), st.getText(1), st.getText(2), st.getText(3), st.getText(4),
                   st.getText(5), st.getText(6), st.getText(7), st.getText(8), st.getInt(9),
                   st.getInt(10)});
  }
  return out;
}

std::int64_t countOpenAlerts(db::Connection& db, const std::string& unitCode) {
  auto st = db.prepare(unitCode.empty()
                           ? "SELECT count(*) FROM alerts WHERE status = 'open'"
                           : "SELECT count(*) FROM alerts WHERE status = 'open' AND unit_code = ?");
  if (!unitCode.empty()) st.bind(1, unitCode);
  st.step();
  return st.getInt(0);
}

}  // namespace posture::collector
