#include "collector/export/report_2290.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <tuple>
#include <variant>

#include "collector/evaluation/model.h"
#include "collector/federation/held.h"
#include "common/util/time.h"
#include "posture/v1/federation.pb.h"
#include "posture/v1/report.pb.h"

namespace posture::collector {
namespace {

std::optional<bool> boolFact(const policy::Facts& facts, std::string_view name) {
  const auto* v = facts.get(name);
  if (!v) return std::nullopt;
  if (const bool* b = std::get_if<bool>(v)) return *b;
  return std::nullopt;
}

std::string textFact(const policy::Facts& facts, std::string_view name) {
  const auto* v = facts.get(name);
  if (!v) return {};
  if (const std::string* s = std::get_if<std::string>(v)) return *s;
  return {};
}

// The newest signature time any product of a readable anti-malware probe gives: the time
// antivirus.signature_age_days measures from, kept whole so that days are counted on the
// Vietnam calendar.
std::optional<std::int64_t> newestSignature(const posture::v1::Report* report) {
  if (!report || report->antivirus().probe().status() != posture::v1::PROBE_STATUS_OK) {
    return std::nullopt;
  }
  std::optional<std::int64_t> newest;
  for (const auto& p : report->antivirus().products()) {
    if (!p.has_signature_time()) continue;
    std::int64_t t = p.signature_time().seconds();
    newest = newest ? std::max(*newest, t) : t;
  }
  return newest;
}

util::Json figuresJson(const Figures2290& f) {
  util::Json j = util::Json::object();
  j.set("NumberMachine", f.machines);
  j.set("AutoProtect", f.autoProtect);
  j.set("EnableFirewall", f.enableFirewall);
  j.set("NumberMachineNotUpdateOn15Day", f.notUpdated);
  util::Json why = util::Json::object();
  for (std::size_t i = 0; i < kNotUpdatedReasons; ++i) {
    why.set(std::string(notUpdatedKey(static_cast<NotUpdated>(i + 1))), f.notUpdatedBy[i]);
  }
  j.set("NotUpdatedOn15DayByReason", std::move(why));
  j.set("NumberMachineStale", f.stale);
  // Most machines first; the unknown name (null) last among equals.
  std::vector<std::pair<std::string, std::uint32_t>> os(f.osNames.begin(), f.osNames.end());
  std::stable_sort(os.begin(), os.end(), [](const auto& a, const auto& b) {
    return std::make_tuple(b.second, a.first.empty()) < std::make_tuple(a.second, b.first.empty());
  });
  util::Json names = util::Json::array();
  for (const auto& [name, n] : os) {
    util::Json o = util::Json::object();
    o.set("OSName", name.empty() ? util::Json() : util::Json(name));
    o.set("NumberMachine", n);
    names.push(std::move(o));
  }
  j.set("OperatingSystems", std::move(names));
  return j;
}

std::string nameIn(bool vi, const std::string& nameVi, const std::string& nameEn) {
  if (vi) return nameVi.empty() ? nameEn : nameVi;
  return nameEn.empty() ? nameVi : nameEn;
}

util::Json optionalTime(const std::optional<std::int64_t>& t) {
  return t ? util::Json(util::formatIso8601(*t)) : util::Json();
}

util::Json optionalBool(const std::optional<bool>& b) { return b ? util::Json(*b) : util::Json(); }

util::Json machineJson(const Machine2290& m, bool vi) {
  util::Json j = util::Json::object();
  j.set("UnitCode", m.unitCode);
  j.set("UnitName", nameIn(vi, m.unitNameVi, m.unitNameEn));
  j.set("HostName", m.hostname);
  j.set("AgentId", m.agentId);
  j.set("OSName", m.osName.empty() ? util::Json() : util::Json(m.osName));
  j.set("OSVersion", m.osVersion.empty() ? util::Json() : util::Json(m.osVersion));
  j.set("AutoProtect", optionalBool(m.autoProtect));
  j.set("EnableFirewall", optionalBool(m.enableFirewall));
  j.set("LastUpdate", optionalTime(m.lastUpdate));
  j.set("LastUpdateDay", m.lastUpdate
                             ? util::Json(util::formatDate(util::vietnamDay(*m.lastUpdate)))
                             : util::Json());
  j.set("DaysSinceUpdate", m.daysSinceUpdate ? util::Json(*m.daysSinceUpdate) : util::Json());
  j.set("LastReport",
        m.lastReport > 0 ? util::Json(util::formatIso8601(m.lastReport)) : util::Json());
  j.set("Stale", m.stale);
  j.set("NotUpdatedOn15Day", m.notUpdated != NotUpdated::No);
  j.set("NotUpdatedReason",
        m.notUpdated == NotUpdated::No ? util::Json() : util::Json(notUpdatedKey(m.notUpdated)));
  return j;
}

// The label of every member a reader meets, in the report's language.
util::Json labelsJson(bool vi) {
  struct Label {
    const char *name, *vi, *en;
  };
  static const Label kLabels[] = {
      {"UnitCode", "Mã đơn vị", "Unit code"},
      {"ParentUnitCode", "Mã đơn vị cấp trên", "Parent unit code"},
      {"UnitName", "Tên đơn vị", "Unit name"},
      {"NumberMachine", "Số máy", "Number of machines"},
      {"AutoProtect", "Số máy bật bảo vệ thời gian thực", "Machines with real-time protection on"},
      {"EnableFirewall", "Số máy bật tường lửa", "Machines with the firewall on"},
      {"NumberMachineNotUpdateOn15Day", "Số máy không cập nhật trong 15 ngày",
       "Machines not updated in 15 days"},
      {"NotUpdatedOn15DayByReason", "Số máy không cập nhật trong 15 ngày, theo lý do",
       "Machines not updated in 15 days, by reason"},
      {"NumberMachineStale", "Số máy quá hạn báo cáo", "Machines that stopped reporting"},
      {"OperatingSystems", "Hệ điều hành (null: không rõ)", "Operating systems (null: unknown)"},
      {"OSName", "Hệ điều hành", "Operating system"},
      {"Own", "Riêng máy của đơn vị (không gồm đơn vị cấp dưới)",
       "The unit's own machines (without the units below it)"},
      {"HostName", "Tên máy", "Host name"},
      {"AgentId", "Mã tác tử", "Agent ID"},
      {"OSVersion", "Phiên bản hệ điều hành", "Operating system version"},
      {"LastUpdate", "Lần cập nhật mẫu nhận diện gần nhất", "Last signature update"},
      {"LastUpdateDay", "Ngày cập nhật mẫu nhận diện (giờ Việt Nam)",
       "Signature update day (Vietnam time)"},
      {"DaysSinceUpdate", "Số ngày từ lần cập nhật", "Days since the update"},
      {"LastReport", "Báo cáo lần cuối", "Last report"},
      {"Stale", "Quá hạn báo cáo", "Stale"},
      {"NotUpdatedOn15Day", "Không cập nhật trong 15 ngày", "Not updated in 15 days"},
      {"NotUpdatedReason", "Lý do không cập nhật", "Why not updated"},
  };
  util::Json j = util::Json::object();
  for (const auto& l : kLabels) j.set(l.name, vi ? l.vi : l.en);
  for (std::size_t i = 0; i < kNotUpdatedReasons; ++i) {
    auto reason = static_cast<NotUpdated>(i + 1);
    j.set(std::string(notUpdatedKey(reason)), notUpdatedText(reason, vi));
  }
  return j;
}

std::string selectionText2290(const Report2290& r, bool vi) {
  const auto& f = r.filters;
  std::string when = util::formatIsoVietnam(r.evaluatedAt);
  if (!f.asOfDay) {
    return vi ? "Báo cáo mới nhất của mỗi máy, tính tại " + when + " (giờ Việt Nam, UTC+7)"
              : "Each machine's latest report, counted at " + when + " (Vietnam time, UTC+7)";
  }
  bool received = f.asOfBasis == AsOfBasis::Received;
  if (vi) {
    return std::string("Báo cáo mới nhất của mỗi máy ") +
           (received ? "mà máy chủ thu thập nhận được" : "do tác tử thu thập") + " đến hết ngày " +
           util::formatDate(*f.asOfDay) + " (23:59:59 giờ Việt Nam, UTC+7), tính tại " + when;
  }
  return std::string("Each machine's latest report ") +
         (received ? "received by the collector" : "collected by its agent") +
         " on or before the end of " + util::formatDate(*f.asOfDay) +
         " (23:59:59 Vietnam time, UTC+7), counted at " + when;
}

}  // namespace

std::string_view notUpdatedKey(NotUpdated reason) {
  switch (reason) {
    case NotUpdated::ReportTooOld:
      return "ReportOlderThan15Days";
    case NotUpdated::NoAntiMalware:
      return "NoAntiMalware";
    case NotUpdated::SignatureAgeUnknown:
      return "SignatureAgeUnknown";
    case NotUpdated::SignaturesTooOld:
      return "SignaturesOlderThan15Days";
    case NotUpdated::No:
      break;
  }
  return "Updated";
}

std::string notUpdatedText(NotUpdated reason, bool vi) {
  switch (reason) {
    case NotUpdated::ReportTooOld:
      return vi ? "Báo cáo lần cuối cũ hơn 15 ngày" : "Last report older than 15 days";
    case NotUpdated::NoAntiMalware:
      return vi ? "Không cài phần mềm phòng, chống mã độc" : "No anti-malware installed";
    case NotUpdated::SignatureAgeUnknown:
      return vi ? "Không rõ ngày cập nhật mẫu nhận diện" : "Signature update time unknown";
    case NotUpdated::SignaturesTooOld:
      return vi ? "Mẫu nhận diện cũ hơn 15 ngày" : "Signatures older than 15 days";
    case NotUpdated::No:
      break;
  }
  return vi ? "Đã cập nhật" : "Updated";
}

Machine2290 machine2290(const StoredEndpoint& s, const posture::v1::Report* report,
                        const policy::Facts& facts, std::int64_t evaluatedAt,
                        std::int64_t staleAfterSeconds) {
  Machine2290 m;
  m.unitCode = s.unitCode;
  m.hostname = s.hostname;
  m.agentId = s.agentId;
  m.osName = textFact(facts, "endpoint.os_name");
  m.osVersion = textFact(facts, "endpoint.os_version");
  m.autoProtect = boolFact(facts, "antivirus.real_time");
  m.enableFirewall = boolFact(facts, "firewall.enabled");
  m.lastUpdate = newestSignature(report);
  if (!m.lastUpdate && !s.federated.empty()) {
    // A child collector's row carries no report: the signature age it pushed, moved on
    // to the evaluation time, gives the update time back.
    if (const auto* age = facts.get("antivirus.signature_age_days"); age && std::holds_alternative<double>(*age))
      m.lastUpdate = evaluatedAt - static_cast<std::int64_t>(std::llround(std::get<double>(*age) * 86400));
  }
  m.lastReport = s.lastSeen;
  m.stale = evaluatedAt - s.lastSeen > staleAfterSeconds;
  std::int64_t today = util::vietnamDay(evaluatedAt);
  if (m.lastUpdate) m.daysSinceUpdate = today - util::vietnamDay(*m.lastUpdate);
  auto installed = boolFact(facts, "antivirus.installed");
  if (today - util::vietnamDay(s.lastSeen) > kNotUpdatedAfterDays) {
    m.notUpdated = NotUpdated::ReportTooOld;
  } else if (installed == false) {
    m.notUpdated = NotUpdated::NoAntiMalware;
  } else if (!m.daysSinceUpdate) {
    m.notUpdated = NotUpdated::SignatureAgeUnknown;
  } else if (*m.daysSinceUpdate > kNotUpdatedAfterDays) {
    m.notUpdated = NotUpdated::SignaturesTooOld;
  }
  return m;
}

void Figures2290::add(const Machine2290& m) {
  ++machines;
  // A machine that stopped reporting counts as off, as it counts as not compliant in every
  // share of the compliance exports: its state now is not known.
  if (!m.stale && m.autoProtect == true) ++autoProtect;
  if (!m.stale && m.enableFirewall == true) ++enableFirewall;
  if (m.stale) ++stale;
  if (m.notUpdated != NotUpdated::No) {
    ++notUpdated;
    ++notUpdatedBy[static_cast<std::size_t>(m.notUpdated) - 1];
  }
  ++osNames[m.osName];
}

void Figures2290::add(const Figures2290& o) {
  machines += o.machines;
  autoProtect += o.autoProtect;
  enableFirewall += o.enableFirewall;
  notUpdated += o.notUpdated;
  stale += o.stale;
  for (std::size_t i = 0; i < kNotUpdatedReasons; ++i) notUpdatedBy[i] += o.notUpdatedBy[i];
  for (const auto& [name, n] : o.osNames) osNames[name] += n;
}

posture::v1::FederatedReport2290 federatedReport2290(const std::string& unitCode,
                                                     const Figures2290& own) {
  posture::v1::FederatedReport2290 r;
  r.set_unit_code(unitCode);
  r.set_machines(own.machines);
  r.set_auto_protect(own.autoProtect);
  r.set_enable_firewall(own.enableFirewall);
  r.set_not_updated(own.notUpdated);
  auto by = [&](NotUpdated why) { return own.notUpdatedBy[static_cast<std::size_t>(why) - 1]; };
  r.set_not_updated_report_too_old(by(NotUpdated::ReportTooOld));
  r.set_not_updated_no_anti_malware(by(NotUpdated::NoAntiMalware));
  r.set_not_updated_signature_age_unknown(by(NotUpdated::SignatureAgeUnknown));
  r.set_not_updated_signatures_too_old(by(NotUpdated::SignaturesTooOld));
  r.set_stale(own.stale);
  for (const auto& [name, n] : own.osNames) {  // by name: the same bytes for the same counts
    auto* os = r.add_operating_systems();
    os->set_os_name(name);
    os->set_machines(n);
  }
  return r;
}

Figures2290 figuresOf(const posture::v1::FederatedReport2290& p) {
  Figures2290 f;
  f.machines = p.machines();
  f.autoProtect = p.auto_protect();
  f.enableFirewall = p.enable_firewall();
  f.notUpdated = p.not_updated();
  auto by = [&](NotUpdated why) -> std::uint32_t& {
    return f.notUpdatedBy[static_cast<std::size_t>(why) - 1];
  };
  by(NotUpdated::ReportTooOld) = p.not_updated_report_too_old();
  by(NotUpdated::NoAntiMalware) = p.not_updated_no_anti_malware();
  by(NotUpdated::SignatureAgeUnknown) = p.not_updated_signature_age_unknown();
  by(NotUpdated::SignaturesTooOld) = p.not_updated_signatures_too_old();
  f.stale = p.stale();
  for (const auto& os : p.operating_systems()) f.osNames[os.os_name()] += os.machines();
  return f;
}

Figures2290ByUnit pushedFigures2290(db::Connection& db) {
  Figures2290ByUnit out;
  for (const auto& row : federation::heldRows(db, federation::RowKind::Report2290)) {
    const auto& r = row.change.report_2290();
    out[r.unit_code()].add(figuresOf(r));
  }
  return out;
}

Report2290 buildReport2290(const ExportSource& src, const ExportFilters& f, bool withMachines,
                           std::int64_t generatedAt, const Figures2290ByUnit& pushed) {
  const org::OrgModel* org = src.org.get();
  Report2290 out;
  out.generatedAt = generatedAt;
  out.filters = f;
  out.withMachines = withMachines;
  out.caFingerprint = src.caFingerprint;
  out.evaluatedAt = evaluationTime(f, generatedAt);
  auto selection = selectUnits(org, src.endpoints, f.unitCode);
  out.unitNameVi = selection.nameVi;
  out.unitNameEn = selection.nameEn;
  std::map<std::string, std::size_t> index;  // unit code -> out.units
  for (const auto& code : selection.units) {
    Unit2290 u;
    u.code = code;
    if (const auto* known = org ? org->findUnit(code) : nullptr) {
      u.parent = known->parent;
      u.nameVi = known->nameVi;
      u.nameEn = known->nameEn;
    }
    index.emplace(code, out.units.size());
    out.units.push_back(std::move(u));
  }

  // The 2290 figures need no policy: the model only decodes each report and derives its
  // facts (on every core), as for the other exports.
  FleetModel model(std::make_shared<const std::vector<policy::Policy>>(), {});
  std::vector<std::optional<Machine2290>> rows(src.endpoints.size());
  RebuildOptions how;
  how.wantAlerts = false;
  how.threads = 0;
  how.onEndpoint = [&](std::size_t i, const posture::v1::Report* report, const policy::Facts& facts,
                       const std::vector<policy::Tri>&) {
    const auto& s = src.endpoints[i];
    if (!index.count(s.unitCode)) return;
    rows[i] = machine2290(s, report, facts, out.evaluatedAt, f.staleAfterSeconds);
  };
  model.rebuild(src.endpoints, out.evaluatedAt, how);

  for (auto& r : rows) {
    if (!r) continue;
    if (const auto* u = org ? org->findUnit(r->unitCode) : nullptr) {
      r->unitNameVi = u->nameVi;
      r->unitNameEn = u->nameEn;
    }
    out.units[index.at(r->unitCode)].own.add(*r);
    out.total.add(*r);
    out.machines.push_back(std::move(*r));
  }
  // A summary child's machines come as its units' own counts, without machine rows.
  for (const auto& [code, figures] : pushed) {
    auto it = index.find(code);
    if (it == index.end()) continue;  // outside the selection
    out.units[it->second].own.add(figures);
    out.total.add(figures);
    out.pushedMachines += figures.machines;
  }
  // Each unit's own figures go to it and to every selected unit above it.
  for (const auto& u : out.units) {
    out.units[index.at(u.code)].subtree.add(u.own);
    if (!org) continue;
    for (const auto& above : org->ancestors(u.code)) {
      if (auto it = index.find(above); it != index.end()) out.units[it->second].subtree.add(u.own);
    }
  }
  std::sort(out.machines.begin(), out.machines.end(), [](const auto& a, const auto& b) {
    return std::tie(a.unitCode, a.hostname, a.agentId) <
           std::tie(b.unitCode, b.hostname, b.agentId);
  });
  return out;
}

Report2290 buildReport2290(db::Connection& db, const ExportFilters& f, bool withMachines,
                           const std::string& caFingerprint, std::int64_t generatedAt) {
  return buildReport2290(loadExportSource(db, f, caFingerprint, generatedAt), f, withMachines,
                         generatedAt, f.asOfDay ? Figures2290ByUnit{} : pushedFigures2290(db));
}

util::Json report2290MetadataJson(const Report2290& r) {
  const auto& f = r.filters;
  std::vector<std::string> codes;
  for (const auto& u : r.units) codes.push_back(u.code);
  util::Json meta = util::Json::object();
  meta.set("title", localizedJson("Báo cáo phòng, chống mã độc (Công văn 2290/BTTTT-CATTT)",
                                  "Anti-malware report (Official letter 2290/BTTTT-CATTT)"));
  meta.set("document", kReport2290Format);
  meta.set("policies", util::Json::array());  // the figures read no policy
  meta.set("generated_at", util::formatIso8601(r.generatedAt));
  meta.set("generated_at_vi", util::formatRfc3339Vietnam(r.generatedAt));
  meta.set("evaluated_at", util::formatIso8601(r.evaluatedAt));
  meta.set("evaluated_at_vi", util::formatRfc3339Vietnam(r.evaluatedAt));
  util::Json filters = filtersJson(f, r.unitNameVi, r.unitNameEn, codes);
  filters.set("machines", r.withMachines);
  meta.set("filters", std::move(filters));
  meta.set("selection", localizedJson(selectionText2290(r, true), selectionText2290(r, false)));
  util::Json rules = util::Json::object();
  rules.set("not_updated_after_days", static_cast<long long>(kNotUpdatedAfterDays));
  rules.set("days", localizedJson("ngày theo lịch Việt Nam (UTC+7), từ ngày cập nhật đến ngày tính",
                                  "Vietnam calendar days (UTC+7), from the update day to the "
                                  "evaluation day"));
  rules.set("stale_counts_as_off", true);
  meta.set("rules", std::move(rules));
  meta.set("machine_count", r.total.machines);
  meta.set("pushed_machine_count", r.pushedMachines);
  meta.set("row_count", r.withMachines ? r.machines.size() : std::size_t{0});
  meta.set("collector_ca_fingerprint_sha256", r.caFingerprint);
  return meta;
}

std::string renderReport2290(const Report2290& r) {
  bool vi = r.filters.vietnamese;
  util::Json doc = util::Json::object();
  doc.set("meta", report2290MetadataJson(r));
  doc.set("labels", labelsJson(vi));
  util::Json total = util::Json::object();
  total.set("UnitCode", r.filters.unitCode.empty() ? util::Json() : util::Json(r.filters.unitCode));
  total.set("UnitName", r.filters.unitCode.empty()
                            ? util::Json(vi ? "Tất cả đơn vị" : "All units")
                            : util::Json(nameIn(vi, r.unitNameVi, r.unitNameEn)));
  util::Json totals = figuresJson(r.total);
  for (const auto& [name, value] : totals.members()) total.set(name, value);
  doc.set("total", std::move(total));
  util::Json units = util::Json::array();
  for (const auto& u : r.units) {
    util::Json j = util::Json::object();
    j.set("UnitCode", u.code);
    j.set("ParentUnitCode", u.parent.empty() ? util::Json() : util::Json(u.parent));
    j.set("UnitName", nameIn(vi, u.nameVi, u.nameEn));
    util::Json figures = figuresJson(u.subtree);
    for (const auto& [name, value] : figures.members()) j.set(name, value);
    j.set("Own", figuresJson(u.own));
    units.push(std::move(j));
  }
  doc.set("units", std::move(units));
  if (r.withMachines) {
    util::Json machines = util::Json::array();
    for (const auto& m : r.machines) machines.push(machineJson(m, vi));
    doc.set("machines", std::move(machines));
  }
  return util::writeJson(doc, true);
}

}  // namespace posture::collector
