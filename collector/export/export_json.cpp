// The JSON export and the metadata as JSON (also the manifest's "export" member).
#include "collector/export/export.h"

#include <cmath>

namespace posture::collector {
namespace {

double round2(double v) { return std::round(v * 100.0) / 100.0; }

util::Json factJson(const policy::FactValue& v) {
  if (const bool* b = std::get_if<bool>(&v)) return util::Json(*b);
  if (const double* d = std::get_if<double>(&v)) return std::isfinite(*d) ? util::Json(*d) : util::Json();
  if (const std::string* s = std::get_if<std::string>(&v)) return util::Json(*s);
  return util::Json();
}

}  // namespace

util::Json localizedJson(const std::string& vi, const std::string& en) {
  util::Json j = util::Json::object();
  j.set("vi", vi);
  j.set("en", en);
  return j;
}

util::Json filtersJson(const ExportFilters& f, const std::string& unitNameVi,
                       const std::string& unitNameEn, const std::vector<std::string>& units) {
  util::Json filters = util::Json::object();
  filters.set("unit", f.unitCode.empty() ? util::Json() : util::Json(f.unitCode));
  filters.set("unit_name", f.unitCode.empty() ? util::Json() : localizedJson(unitNameVi, unitNameEn));
  filters.set("subtree", !f.unitCode.empty());
  util::Json list = util::Json::array();
  for (const auto& u : units) list.push(u);
  filters.set("units", std::move(list));
  filters.set("as_of", f.asOfDay ? util::Json(util::formatDate(*f.asOfDay)) : util::Json());
  filters.set("as_of_basis", f.asOfDay ? util::Json(asOfBasisName(f.asOfBasis)) : util::Json());
  filters.set("stale_after_seconds", static_cast<long long>(f.staleAfterSeconds));
  filters.set("language", f.vietnamese ? "vi" : "en");
  return filters;
}

util::Json metadataJson(const ComplianceExport& e) {
  const auto& f = e.filters;
  util::Json meta = util::Json::object();
  meta.set("title", localizedJson("Danh sách tuân thủ an toàn thông tin", "Security compliance list"));
  util::Json policies = util::Json::array();
  for (const auto& p : e.policies) {
    util::Json j = util::Json::object();
    j.set("id", p.id);
    j.set("version", p.version);
    j.set("title", localizedJson(p.title.vi, p.title.en));
    policies.push(std::move(j));
  }
  meta.set("policies", std::move(policies));
  meta.set("generated_at", util::formatIso8601(e.generatedAt));
  // The *_vi members: the same instant in Vietnam time, RFC 3339 with its +07:00 offset
  // (before 2026-12 they were "dd/mm/yyyy hh:mm", which a month-first reader misreads).
  meta.set("generated_at_vi", util::formatRfc3339Vietnam(e.generatedAt));
  meta.set("evaluated_at", util::formatIso8601(e.evaluatedAt));
  meta.set("evaluated_at_vi", util::formatRfc3339Vietnam(e.evaluatedAt));
  util::Json filters = filtersJson(f, e.unitNameVi, e.unitNameEn, e.units);
  meta.set("filters", std::move(filters));
  meta.set("selection", localizedJson(selectionText(e, true), selectionText(e, false)));
  meta.set("row_count", e.endpoints.size());
  meta.set("collector_ca_fingerprint_sha256", e.caFingerprint);
  return meta;
}

std::string renderJson(const ComplianceExport& e) {
  bool vi = e.filters.vietnamese;
  util::Json doc = util::Json::object();
  doc.set("meta", metadataJson(e));

  util::Json columns = util::Json::object();
  util::Json facts = util::Json::array();
  for (const auto& f : e.facts) {
    util::Json j = util::Json::object();
    j.set("name", f.name);
    j.set("vi", f.vi);
    j.set("en", f.en);
    facts.push(std::move(j));
  }
  util::Json checks = util::Json::array();
  for (const auto& c : e.checks) {
    util::Json j = util::Json::object();
    j.set("id", c.policyId + "/" + c.checkId);
    j.set("vi", c.title.vi);
    j.set("en", c.title.en);
    checks.push(std::move(j));
  }
  columns.set("facts", std::move(facts));
  columns.set("checks", std::move(checks));
  doc.set("columns", std::move(columns));

  util::Json targets = util::Json::array();
  for (const auto& t : e.targets) {
    util::Json j = util::Json::object();
    j.set("policy", t.policyId);
    j.set("policy_version", t.policyVersion);
    j.set("target", t.targetId);
    j.set("title", localizedJson(t.title.vi, t.title.en));
    j.set("measure", t.measure);
    util::Json source = util::Json::object();
    source.set("file", t.sourceFile);
    source.set("line", t.sourceLine);
    j.set("source", std::move(source));
    util::Json rows = util::Json::array();
    for (const auto& r : t.rows) {
      util::Json row = util::Json::object();
      row.set("unit", r.unitCode.empty() ? util::Json() : util::Json(r.unitCode));
      row.set("unit_name", localizedJson(r.unitNameVi, r.unitNameEn));
      row.set("satisfied", r.satisfied);
      row.set("total", r.total);
      row.set("percent", round2(r.percent));
      row.set("threshold_percent", r.inForce ? util::Json(r.inForce->atLeastPercent) : util::Json());
      row.set("threshold_since", r.inForce ? util::Json(util::formatDate(r.inForce->byDay)) : util::Json());
      row.set("next_threshold_percent", r.next ? util::Json(r.next->atLeastPercent) : util::Json());
      row.set("next_since", r.next ? util::Json(util::formatDate(r.next->byDay)) : util::Json());
      row.set("status", targetStatusKey(r.status));
      row.set("status_text", std::string(policy::targetStatusName(r.status, vi)));
      rows.push(std::move(row));
    }
    j.set("rows", std::move(rows));
    targets.push(std::move(j));
  }
  doc.set("targets", std::move(targets));

  util::Json endpoints = util::Json::array();
  for (const auto& r : e.endpoints) {
    util::Json j = util::Json::object();
    j.set("unit", r.unitCode);
    j.set("unit_name", localizedJson(r.unitNameVi, r.unitNameEn));
    j.set("hostname", r.hostname);
    j.set("agent_id", r.agentId);
    j.set("os", r.os);
    j.set("last_report", r.lastSeen > 0 ? util::Json(util::formatIso8601(r.lastSeen)) : util::Json());
    j.set("last_report_vi",
          r.lastSeen > 0 ? util::Json(util::formatRfc3339Vietnam(r.lastSeen)) : util::Json());
    j.set("collected_at", r.collectedAt > 0 ? util::Json(util::formatIso8601(r.collectedAt)) : util::Json());
    j.set("stale", r.stale);
    j.set("report_readable", r.decoded);
    util::Json facts = util::Json::object();
    for (std::size_t i = 0; i < e.facts.size() && i < r.facts.size(); ++i) {
      facts.set(e.facts[i].name, factJson(r.facts[i]));
    }
    j.set("facts", std::move(facts));
    util::Json checks = util::Json::object();
    for (std::size_t i = 0; i < e.checks.size() && i < r.checks.size(); ++i) {
      checks.set(e.checks[i].policyId + "/" + e.checks[i].checkId, checkResultKey(r.checks[i]));
    }
    j.set("checks", std::move(checks));
    // "Ngoại lệ / Exception": the accepted risks in force for this endpoint (issue 17).
    util::Json excepted = util::Json::array();
    for (const auto& x : r.exceptions) {
      util::Json xj = util::Json::object();
      xj.set("id", static_cast<long long>(x.id));
      xj.set("rule", x.rule);
      xj.set("scope", std::string(exceptions::scopeName(x.scope)));
      xj.set("subject", x.subject);
      xj.set("document", x.document);
      xj.set("approver", x.approver);
      xj.set("justification", x.justification);
      xj.set("expires", util::formatDate(x.expiresDay));
      xj.set("reference", exceptions::reference(x, vi));
      excepted.push(std::move(xj));
    }
    j.set("exceptions", std::move(excepted));
    endpoints.push(std::move(j));
  }
  doc.set("endpoints", std::move(endpoints));
  return util::writeJson(doc, true);
}

}  // namespace posture::collector
