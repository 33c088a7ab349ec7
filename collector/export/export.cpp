#include "collector/export/export.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <thread>
#include <tuple>

#include "collector/evaluation/model.h"
#include "collector/export/csv.h"
#include "collector/export/xlsx.h"
#include "collector/federation/history.h"
#include "collector/retention/retention.h"
#include "common/util/time.h"
#include "common/util/utf8.h"
#include "posture/v1/report.pb.h"

namespace posture::collector {
namespace {
std::string duration(std::int64_t s, bool vi) {
  auto n = [](std::int64_t v) { return std::to_string(v); };
  if (s % util::kSecondsPerDay == 0) return n(s / util::kSecondsPerDay) + (vi ? " ngày" : " days");
  if (s % util::kSecondsPerHour == 0) return n(s / util::kSecondsPerHour) + (vi ? " giờ" : " hours");
  if (s % util::kSecondsPerMinute == 0) return n(s / util::kSecondsPerMinute) + (vi ? " phút" : " minutes");
  return n(s) + (vi ? " giây" : " seconds");
}

std::string osOf(const posture::v1::Report& report) {
  const auto& id = report.identity();
  std::string os = id.os_name();
  if (!id.os_version().empty()) os += (os.empty() ? "" : " ") + id.os_version();
  return os;
}

// The fact and check columns of a policy set: every fact any check reads, once, in
// policy order; every check of every policy.
void fillColumns(ComplianceExport& out, const std::vector<policy::Policy>& policies) {
  for (const auto& p : policies) {
    out.policies.push_back({p.id, p.version, p.title});
    for (const auto& c : p.checks) {
      for (auto& f : policy::factsUsedBy(c)) {
        bool seen = std::any_of(out.facts.begin(), out.facts.end(),
                                [&](const ExportFactColumn& x) { return x.name == f; });
        if (seen) continue;
        const auto* info = policy::findFact(f);
        out.facts.push_back(
            {f, info ? std::string(info->vi) : f, info ? std::string(info->en) : f});
      }
      out.checks.push_back({p.id, c.id, c.title});
    }
  }
}

ExportEndpoint rowOf(const ComplianceExport& out, const StoredEndpoint& s, std::int64_t now,
                     const posture::v1::Report* report, const policy::Facts& facts,
                     const std::vector<policy::Tri>& checks, const org::OrgModel* org) {
  ExportEndpoint r;
  r.unitCode = s.unitCode;
  if (const auto* u = org ? org->findUnit(s.unitCode) : nullptr) {
    r.unitNameVi = u->nameVi;
    r.unitNameEn = u->nameEn;
  }
  r.hostname = s.hostname;
  r.agentId = s.agentId;
  if (report) r.os = osOf(*report);
  r.lastSeen = s.lastSeen;
  r.collectedAt = report && report->has_collected_at() ? report->collected_at().seconds() : 0;
  r.stale = now - s.lastSeen > out.filters.staleAfterSeconds;
  r.decoded = report != nullptr;
  r.facts.reserve(out.facts.size());
  for (const auto& f : out.facts) {
    const auto* v = facts.get(f.name);
    r.facts.push_back(v ? *v : policy::FactValue{});
  }
  r.checks.assign(checks.begin(), checks.end());
  return r;
}

// Units in tree order: each root (sorted) followed by its subtree depth-first; units only
// seen in reports are roots of their own.
std::vector<std::string> treeOrder(const org::OrgModel* org, const std::set<std::string>& all) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& u : all) {
    if (org && !org->ancestors(u).empty()) continue;
    std::vector<std::string> sub = org ? org->subtree(u) : std::vector<std::string>{u};
    for (const auto& s : sub) {
      if (seen.insert(s).second) out.push_back(s);
    }
  }
  for (const auto& u : all) {
    if (seen.insert(u).second) out.push_back(u);
  }
  return out;
}

ExportTargetRow targetRow(const FleetModel& model, std::size_t t, const std::string& unit,
                          std::int64_t today, const org::OrgModel* org) {
  ExportTargetRow row;
  row.unitCode = unit;
  if (unit.empty()) {
    row.unitNameVi = "Toàn bộ";
    row.unitNameEn = "All units";
  } else if (const auto* u = org ? org->findUnit(unit) : nullptr) {
    row.unitNameVi = u->nameVi;
    row.unitNameEn = u->nameEn;
  }
  auto ev = model.evaluate(t, unit, today);
  row.satisfied = ev.satisfied;
  row.total = ev.total;
  row.percent = ev.percent;
  if (ev.inForce) row.inForce = *ev.inForce;
  if (ev.next) row.next = *ev.next;
  row.status = ev.status;
  return row;
}
}  // namespace

std::string selectionText(const ComplianceExport& e, bool vi) {
  const auto& f = e.filters;
  if (!f.asOfDay) {
    return vi ? "Báo cáo mới nhất của mỗi thiết bị đầu cuối, đánh giá lúc " +
                    util::formatIsoVietnam(e.evaluatedAt) + " (giờ Việt Nam, UTC+7)"
              : "Each endpoint's latest report, evaluated at " +
                    util::formatIsoVietnam(e.evaluatedAt) + " (Vietnam time, UTC+7)";
  }
  bool received = f.asOfBasis == AsOfBasis::Received;
  if (vi) {
    return std::string("Báo cáo mới nhất của mỗi thiết bị đầu cuối ") +
           (received ? "mà máy chủ thu thập nhận được" : "do tác tử thu thập") + " đến hết ngày " +
           util::formatDate(*f.asOfDay) +
           " (23:59:59 giờ Việt Nam, UTC+7), đánh giá theo chính sách hiện hành vào thời điểm "
           "đó (tuổi mẫu nhận diện, bản vá và hạn báo cáo tính đến thời điểm đó); hệ thống "
           "thông tin và hồ sơ mô hình 4 lớp theo dữ liệu đang lưu, xét tại ngày đó";
  }
  return std::string("Each endpoint's latest report ") +
         (received ? "received by the collector" : "collected by its agent") +
         " on or before the end of " + util::formatDate(*f.asOfDay) +
         " (23:59:59 Vietnam time, UTC+7), evaluated with the current policies at that moment "
         "(signature and patch ages and staleness measured then); information systems and "
         "four-layer records as currently stored, judged on that day";
}

std::optional<ExportFormat> parseExportFormat(std::string_view name) {
  if (name == "csv") return ExportFormat::Csv;
  if (name == "xlsx") return ExportFormat::Xlsx;
  if (name == "json") return ExportFormat::Json;
  return std::nullopt;
}

std::string_view exportFormatName(ExportFormat format) {
  switch (format) {
    case ExportFormat::Csv:
      return "csv";
    case ExportFormat::Xlsx:
      return "xlsx";
    case ExportFormat::Json:
      break;
  }
  return "json";
}

std::string_view exportMediaType(ExportFormat format) {
  switch (format) {
    case ExportFormat::Csv:
      return "text/csv; charset=utf-8";
    case ExportFormat::Xlsx:
      return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    case ExportFormat::Json:
      break;
  }
  return "application/json";
}

std::optional<AsOfBasis> parseAsOfBasis(std::string_view name) {
  if (name == "received") return AsOfBasis::Received;
  if (name == "collected") return AsOfBasis::Collected;
  return std::nullopt;
}

std::string_view asOfBasisName(AsOfBasis basis) {
  return basis == AsOfBasis::Received ? "received" : "collected";
}

std::int64_t endOfVietnamDay(std::int64_t day) {
  return (day + 1) * util::kSecondsPerDay - util::kVietnamOffsetSeconds - 1;
}

std::string bilingual(std::string_view vi, std::string_view en) {
  return std::string(vi) + " / " + std::string(en);
}

std::string checkResultText(std::optional<policy::Tri> result, bool vi) {
  if (!result) return vi ? "Không áp dụng" : "Not applicable";
  switch (*result) {
    case policy::Tri::True:
      return vi ? "Đạt" : "Met";
    case policy::Tri::False:
      return vi ? "Chưa đạt" : "Not met";
    case policy::Tri::Unknown:
      break;
  }
  return vi ? "Không rõ" : "Unknown";
}

std::string_view checkResultKey(std::optional<policy::Tri> result) {
  if (!result) return "not-applicable";
  switch (*result) {
    case policy::Tri::True:
      return "met";
    case policy::Tri::False:
      return "not-met";
    case policy::Tri::Unknown:
      break;
  }
  return "unknown";
}

std::string_view targetStatusKey(policy::TargetStatus s) {
  switch (s) {
    case policy::TargetStatus::Met:
      return "met";
    case policy::TargetStatus::AtRisk:
      return "at-risk";
    case policy::TargetStatus::Missed:
      return "missed";
    case policy::TargetStatus::NoData:
      break;
  }
  return "no-data";
}

std::string_view measureName(const policy::Target& t) {
  switch (t.measure.kind) {
    case policy::Measure::Kind::ShareOfEndpoints:
      return "share_of_endpoints";
    case policy::Measure::Kind::ShareOfSystems:
      return "share_of_systems";
    case policy::Measure::Kind::FourLayer:
      break;
  }
  return "four_layer";
}

std::string unitName(const ComplianceExport& e, const std::string& vi, const std::string& en) {
  if (e.filters.vietnamese) return vi.empty() ? en : vi;
  return en.empty() ? vi : en;
}

std::vector<StoredEndpoint> loadEndpointsAsOf(db::Connection& db, std::int64_t cutoff,
                                              AsOfBasis basis) {
  // Received: each endpoint's highest sequence received by then, one range per endpoint in
  // reports_agent_received (agent_id, received_at, sequence), read from the index alone
  // (issue 18; named: without statistics SQLite takes the (agent_id, sequence) index and
  // reads every report of the endpoint). Collected: the agents' own clocks have no index
  // (a second one on every report would cost the ingest as much again): one scan.
  const std::string pick =
      basis == AsOfBasis::Received
          ? "FROM (SELECT agent_id FROM agents UNION SELECT agent_id FROM endpoints) x "
            "JOIN reports r ON r.agent_id = x.agent_id AND r.sequence = (SELECT max(m.sequence) "
            "FROM reports m INDEXED BY reports_agent_received WHERE m.agent_id = x.agent_id AND "
            "m.received_at <= ?1) "
          : "FROM reports r JOIN (SELECT agent_id, MAX(sequence) AS sequence FROM reports WHERE "
            "collected_at <= ?1 GROUP BY agent_id) m ON m.agent_id = r.agent_id AND m.sequence = "
            "r.sequence ";
  auto st = db.prepare(
      "SELECT r.agent_id, COALESCE(e.unit_code, a.unit_code, ''), "
      "COALESCE(e.hostname, a.hostname, ''), r.sequence, r.received_at, r.collected_at, r.body " +
      pick +
      "LEFT JOIN endpoints e ON e.agent_id = r.agent_id "
      "LEFT JOIN agents a ON a.agent_id = r.agent_id");
  st.bind(1, cutoff);
  std::vector<StoredEndpoint> out;
  while (st.step()) {
    StoredEndpoint s{
        st.getText(0), st.getText(1), st.getText(2), static_cast<std::uint64_t>(st.getInt(3)),
        st.getInt(4),  st.getInt(5),  st.getBlob(6)};
    // The name the machine had then, as the ingest path takes it.
    posture::v1::Report report;
    if (report.ParseFromString(s.report) && !report.identity().hostname().empty()) {
      s.hostname = util::cutUtf8(report.identity().hostname(), 255);
    }
    out.push_back(std::move(s));
  }
  // The child collectors' rows as they stood then (issue 16).
  for (auto& s : federation::loadFederatedAsOf(db, cutoff, basis == AsOfBasis::Collected)) {
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const StoredEndpoint& a, const StoredEndpoint& b) {
    return std::tie(a.unitCode, a.hostname, a.agentId) <
           std::tie(b.unitCode, b.hostname, b.agentId);
  });
  return out;
}

UnitSelection selectUnits(const org::OrgModel* org, const std::vector<StoredEndpoint>& endpoints,
                          const std::string& unitCode) {
  std::set<std::string> all;
  if (org) {
    for (const auto& u : org->units) all.insert(u.code);
  }
  for (const auto& s : endpoints) all.insert(s.unitCode);
  UnitSelection out;
  if (unitCode.empty()) {
    out.units = treeOrder(org, all);
    return out;
  }
  if (!all.count(unitCode)) {
    throw ExportError("không có đơn vị " + unitCode +
                      " (trong cây đơn vị hoặc trong báo cáo) / no unit " + unitCode +
                      " (in the unit tree or in reports)");
  }
  out.units = org ? org->subtree(unitCode) : std::vector<std::string>{unitCode};
  if (const auto* u = org ? org->findUnit(unitCode) : nullptr) {
    out.nameVi = u->nameVi;
    out.nameEn = u->nameEn;
  }
  return out;
}

std::int64_t evaluationTime(const ExportFilters& f, std::int64_t generatedAt) {
  if (!f.asOfDay) return generatedAt;
  if (*f.asOfDay > util::vietnamDay(generatedAt)) {
    throw ExportError("ngày " + util::formatDate(*f.asOfDay) + " còn ở tương lai / " +
                      util::formatDate(*f.asOfDay) + " is in the future");
  }
  return std::min(endOfVietnamDay(*f.asOfDay), generatedAt);
}

ComplianceExport buildComplianceExport(const ExportSource& src, const ExportFilters& f,
                                       std::int64_t generatedAt) {
  if (!src.policies) throw std::invalid_argument("buildComplianceExport: no policies");
  const auto& policies = *src.policies;
  const org::OrgModel* org = src.org.get();
  ComplianceExport out;
  out.generatedAt = generatedAt;
  out.filters = f;
  out.caFingerprint = src.caFingerprint;
  out.evaluatedAt = evaluationTime(f, generatedAt);
  fillColumns(out, policies);

  auto selection = selectUnits(org, src.endpoints, f.unitCode);
  out.units = std::move(selection.units);
  out.unitNameVi = std::move(selection.nameVi);
  out.unitNameEn = std::move(selection.nameEn);
  std::set<std::string> selected(out.units.begin(), out.units.end());

  // Targets: the live model's figures, as `status` prints them.
  ModelOptions options;
  options.org = src.org;
  options.staleAfterSeconds = f.staleAfterSeconds;
  options.exceptions = src.exceptions;
  FleetModel model(src.policies, options);
  // One evaluation of each report gives both the targets' counts and the endpoint rows.
  std::vector<std::optional<ExportEndpoint>> rows(src.endpoints.size());
  RebuildOptions how;
  how.wantAlerts = false;
  how.threads = 0;
  how.onEndpoint = [&](std::size_t i, const posture::v1::Report* report, const policy::Facts& facts,
                       const std::vector<policy::Tri>& checks) {
    const auto& s = src.endpoints[i];
    if (!f.unitCode.empty() && !selected.count(s.unitCode)) return;
    rows[i] = rowOf(out, s, out.evaluatedAt, report, facts, checks, org);
    for (std::size_t c = 0; c < rows[i]->checks.size(); ++c) {
      if (!model.applies(model.checkPolicy(c), s.unitCode)) rows[i]->checks[c].reset();
    }
    for (const auto* x : model.exceptionsOf(s.agentId, s.unitCode)) rows[i]->exceptions.push_back(*x);
  };
  model.rebuild(src.endpoints, out.evaluatedAt, how);
  std::int64_t today = util::vietnamDay(out.evaluatedAt);
  for (std::size_t t = 0; t < model.targets().size(); ++t) {
    const auto& ref = model.targets()[t];
    if (!model.targetApplies(t, "")) continue;  // a plan of units absent here
    ExportTarget et;
    et.policyId = ref.policy->id;
    et.policyVersion = ref.policy->version;
    et.targetId = ref.target->id;
    et.title = ref.target->title;
    et.measure = std::string(measureName(*ref.target));
    et.sourceFile = ref.target->source.file;
    et.sourceLine = ref.target->source.line;
    bool unitScope = false, overall = false;
    for (const auto& s : ref.target->scopes) {
      unitScope |= s == "unit";
      overall |= s == "overall";
    }
    std::vector<std::string> rows;
    if (unitScope) {
      for (const auto& u : out.units)
        if (model.targetApplies(t, u)) rows.push_back(u);
    }
    if (f.unitCode.empty()) {
      if (overall && model.targetApplies(t, "")) rows.push_back("");
    } else if (!unitScope && model.targetApplies(t, f.unitCode)) {
      rows.push_back(f.unitCode);  // the selection as a whole
    }
    for (const auto& u : rows) et.rows.push_back(targetRow(model, t, u, today, org));
    out.targets.push_back(std::move(et));
  }

  // Endpoint rows, in the order of the stored endpoints (unit, hostname, agent).
  out.endpoints.reserve(rows.size());
  for (auto& r : rows)
    if (r) out.endpoints.push_back(std::move(*r));
  return out;
}

ExportSource loadExportSource(db::Connection& db, const ExportFilters& f,
                              const std::string& caFingerprint, std::int64_t generatedAt) {
  ExportSource src;
  src.org = std::make_shared<const org::OrgModel>(org::loadOrg(db));
  src.caFingerprint = caFingerprint;
  if (f.asOfDay) {
    // A day the retention no longer keeps whole would give a silently wrong list.
    if (auto tooOld = retention::checkAsOfDay(db, *f.asOfDay, generatedAt))
      throw AsOfTooOld(tooOld->vi, tooOld->en);
    src.endpoints =
        loadEndpointsAsOf(db, std::min(endOfVietnamDay(*f.asOfDay), generatedAt), f.asOfBasis);
  } else {
    src.endpoints = loadEndpoints(db);
  }
  src.exceptions = std::make_shared<const exceptions::ExceptionSet>(
      exceptions::ExceptionSet::load(db, evaluationTime(f, generatedAt)));
  return src;
}

ComplianceExport buildComplianceExport(db::Connection& db,
                                       std::shared_ptr<const std::vector<policy::Policy>> policies,
                                       const ExportFilters& f, const std::string& caFingerprint,
                                       std::int64_t generatedAt) {
  ExportSource src = loadExportSource(db, f, caFingerprint, generatedAt);
  src.policies = std::move(policies);
  return buildComplianceExport(src, f, generatedAt);
}

std::vector<std::string> endpointHeader(const ComplianceExport& e) {
  std::vector<std::string> h = {
      bilingual("Đơn vị", "Unit"),
      bilingual("Tên máy", "Hostname"),
      bilingual("Mã tác tử", "Agent ID"),
      bilingual("Tên đơn vị", "Unit name"),
      bilingual("Hệ điều hành", "Operating system"),
      bilingual("Báo cáo lần cuối (UTC+7)", "Last report (UTC+7)"),
      bilingual("Thời điểm thu thập (UTC+7)", "Collected at (UTC+7)"),
      bilingual("Quá hạn báo cáo (tính là chưa đạt)", "Stale (counted as not compliant)")};
  for (const auto& f : e.facts) h.push_back(bilingual(f.vi, f.en) + " (" + f.name + ")");
  for (const auto& c : e.checks) {
    h.push_back(bilingual(c.title.vi, c.title.en) + " [" + c.policyId + "/" + c.checkId + "]");
  }
  h.push_back(bilingual("Ngoại lệ", "Exception"));  // last, after every check (issue 17)
  return h;
}

std::vector<std::string> endpointCells(const ComplianceExport& e, const ExportEndpoint& r) {
  bool vi = e.filters.vietnamese;
  // ISO 8601 in UTC+7 (the header names the zone): every spreadsheet locale reads the same
  // date, where 06/12/2026 is 6 December in Vietnam and 12 June in a month-first locale.
  auto when = [vi](std::int64_t t) {
    if (t <= 0) return std::string(vi ? "không rõ" : "unknown");
    return util::formatIsoVietnam(t);
  };
  std::vector<std::string> row = {r.unitCode,
                                  r.hostname,
                                  r.agentId,
                                  unitName(e, r.unitNameVi, r.unitNameEn),
                                  r.os,
                                  when(r.lastSeen),
                                  when(r.collectedAt),
                                  r.stale ? (vi ? "có" : "yes") : (vi ? "không" : "no")};
  for (const auto& v : r.facts) row.push_back(policy::formatFact(v, vi));
  for (auto t : r.checks) row.push_back(checkResultText(t, vi));
  std::string excepted;
  for (const auto& x : r.exceptions) excepted += (excepted.empty() ? "" : "; ") + exceptions::reference(x, vi);
  row.push_back(std::move(excepted));
  return row;
}

std::vector<MetadataLine> metadataLines(const ComplianceExport& e) {
  bool vi = e.filters.vietnamese;
  const auto& f = e.filters;
  std::vector<MetadataLine> lines;
  auto line = [&](std::string label, std::string value) {
    lines.push_back({std::move(label), std::move(value), std::nullopt, std::nullopt});
  };
  line(bilingual("Tài liệu", "Document"),
       vi ? "Danh sách tuân thủ an toàn thông tin" : "Security compliance list");
  for (const auto& p : e.policies) {
    line(bilingual("Chính sách (mã, phiên bản)", "Policy (id, version)"),
         p.id + " v" + std::to_string(p.version) + " — " + (vi ? p.title.vi : p.title.en));
  }
  auto instant = [&](std::string label, std::int64_t t) {
    lines.push_back({std::move(label), util::formatIsoVietnam(t), t, std::nullopt});
  };
  instant(bilingual("Thời điểm xuất (UTC+7)", "Generated at (UTC+7)"), e.generatedAt);
  instant(bilingual("Thời điểm đánh giá (UTC+7)", "Evaluated at (UTC+7)"), e.evaluatedAt);
  std::string unit = vi ? "Tất cả đơn vị" : "All units";
  if (!f.unitCode.empty()) {
    std::string name = unitName(e, e.unitNameVi, e.unitNameEn);
    unit = f.unitCode + (name.empty() ? "" : " — " + name) +
           (vi ? " (gồm các đơn vị cấp dưới)" : " (with its subtree)");
  }
  line(bilingual("Phạm vi đơn vị", "Unit filter"), unit);
  std::string units;
  for (const auto& u : e.units) units += (units.empty() ? "" : ", ") + u;
  line(bilingual("Các đơn vị trong phạm vi", "Units in scope"), units);
  if (f.asOfDay) {
    lines.push_back({bilingual("Số liệu tính đến hết ngày", "As of the end of"),
                     util::formatDate(*f.asOfDay), std::nullopt, *f.asOfDay});
  } else {
    line(bilingual("Số liệu tính đến hết ngày", "As of the end of"), vi ? "hiện tại" : "now");
  }
  line(bilingual("Báo cáo được sử dụng", "Reports used"), selectionText(e, vi));
  line(bilingual("Quá hạn báo cáo sau", "Stale after"), duration(f.staleAfterSeconds, vi));
  line(bilingual("Ngôn ngữ", "Language"), vi ? "vi" : "en");
  line(bilingual("Số dòng (thiết bị đầu cuối)", "Rows (endpoints)"),
       std::to_string(e.endpoints.size()));
  line(bilingual("Dấu vân tay CA của máy chủ thu thập (SHA-256)",
                 "Collector CA fingerprint (SHA-256)"),
       e.caFingerprint);
  line(bilingual("Kiểm tra tính toàn vẹn", "Integrity check"),
       vi ? "tệp kê khai có chữ ký TỆP.manifest.json; kiểm tra bằng: posture-collector export "
            "verify TỆP"
          : "signed manifest FILE.manifest.json; check with: posture-collector export verify FILE");
  return lines;
}

std::string renderCsv(const ComplianceExport& e, bool metadataBlock) {
  CsvWriter csv;
  if (metadataBlock) {
    for (const auto& l : metadataLines(e)) csv.row({l.label, l.value});
    csv.row({});
  }
  csv.row(endpointHeader(e));
  // Rows are independent: large lists are written in slices on every core, then joined.
  std::size_t n = e.endpoints.size();
  unsigned threads = n < 20000 ? 1u : std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  std::vector<std::string> parts(threads);
  auto slice = [&](unsigned k) {
    CsvWriter part(false);
    std::size_t begin = n * k / threads, end = n * (k + 1) / threads;
    part.reserve((end - begin) * (200 + 8 * (e.facts.size() + e.checks.size())));
    for (std::size_t i = begin; i < end; ++i) part.row(endpointCells(e, e.endpoints[i]));
    parts[k] = part.text();
  };
  std::vector<std::thread> pool;
  for (unsigned k = 1; k < threads; ++k) pool.emplace_back(slice, k);
  slice(0);
  for (auto& t : pool) t.join();
  std::string out = csv.text();
  std::size_t total = out.size();
  for (const auto& p : parts) total += p.size();
  out.reserve(total);
  for (const auto& p : parts) out += p;
  return out;
}

std::string renderExport(const ComplianceExport& e, ExportFormat format, bool csvMetadata) {
  switch (format) {
    case ExportFormat::Csv:
      return renderCsv(e, csvMetadata);
    case ExportFormat::Xlsx:
      return renderXlsx(e);
    case ExportFormat::Json:
      break;
  }
  return renderJson(e);
}

}  // namespace posture::collector
