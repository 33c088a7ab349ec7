// The remediation list's files: CSV, terminal text, the console's JSON and XLSX.
#include <algorithm>
#include <cstdint>
#include <string>

#include "collector/export/csv.h"
#include "collector/export/xlsx_table.h"
#include "collector/remediation/remediation.h"
#include "common/util/time.h"

namespace posture::collector {
namespace {

const std::string& pick(bool vi, const std::string& v, const std::string& e) {
  if (vi) return v.empty() ? e : v;
  return e.empty() ? v : e;
}

std::string unitLabel(const RemediationList& l) {
  bool vi = l.vietnamese;
  if (l.unitCode.empty()) return vi ? "Tất cả đơn vị" : "All units";
  const std::string& name = pick(vi, l.unitNameVi, l.unitNameEn);
  return l.unitCode + (name.empty() ? "" : " — " + name) +
         (vi ? " (gồm các đơn vị cấp dưới)" : " (with its subtree)");
}

std::string when(std::int64_t t, bool vi) {
  if (t <= 0) return vi ? "không rõ" : "unknown";
  return util::formatIsoVietnam(t);
}

std::string yesNo(bool b, bool vi) { return b ? (vi ? "có" : "yes") : (vi ? "không" : "no"); }

// The columns of one machine under one action (the CSV puts the action first).
constexpr std::size_t kLastReportColumn = 7;
std::vector<std::string> itemHeader() {
  return {bilingual("Đơn vị", "Unit"),
          bilingual("Tên đơn vị", "Unit name"),
          bilingual("Tên máy", "Hostname"),
          bilingual("Mã tác tử", "Agent ID"),
          bilingual("Hệ điều hành", "Operating system"),
          bilingual("Giá trị quan sát", "Observed"),
          bilingual("Bước cần làm / thông tin thiếu", "Step / missing facts"),
          bilingual("Báo cáo lần cuối (UTC+7)", "Last report (UTC+7)"),
          bilingual("Quá hạn báo cáo", "Stale")};
}

std::vector<std::string> itemCells(const RemediationItem& i, bool vi) {
  return {i.unitCode, pick(vi, i.unitNameVi, i.unitNameEn), i.hostname, i.agentId, i.os,
          pick(vi, i.observedVi, i.observedEn), pick(vi, i.stepVi, i.stepEn), when(i.lastSeen, vi),
          yesNo(i.stale, vi)};
}

// The metadata lines: the text header and the XLSX "About" sheet; withGroups: a line per
// action with its count and limit.
std::vector<std::pair<std::string, std::string>> about(const RemediationList& l, bool withGroups) {
  bool vi = l.vietnamese;
  std::vector<std::pair<std::string, std::string>> out = {
      {bilingual("Tài liệu", "Document"),
       vi ? "Danh sách khắc phục theo việc cần làm" : "Remediation list by action"},
      {bilingual("Đơn vị", "Unit"), unitLabel(l)},
      {bilingual("Thời điểm lập (UTC+7)", "Generated at (UTC+7)"), util::formatIsoVietnam(l.generatedAt)},
      {bilingual("Máy chủ thu thập", "Collector"), l.collector},
      {bilingual("Dấu vân tay CA (SHA-256)", "CA fingerprint (SHA-256)"), l.caFingerprint},
      {bilingual("Số máy trong phạm vi", "Machines in scope"), std::to_string(l.endpoints)},
      {bilingual("Số máy cần khắc phục", "Machines to fix"), std::to_string(l.machinesToFix)},
  };
  for (const auto& g : l.groups) {
    if (!withGroups) break;
    std::string limit = pick(vi, g.thresholdVi, g.thresholdEn);
    out.push_back({std::string(remediationTitle(g.action, true)) + " / " +
                       std::string(remediationTitle(g.action, false)),
                   std::to_string(g.items.size()) + (vi ? " máy" : " machines") +
                       (limit.empty() ? "" : (vi ? "; ngưỡng: " : "; limit: ") + limit)});
  }
  return out;
}
}  // namespace

std::string remediationFileName(const RemediationList& l, std::string_view extension) {
  return "khac-phuc-" + (l.unitCode.empty() ? std::string("all") : l.unitCode) + "-" +
         util::formatDate(util::vietnamDay(l.generatedAt)) + "." + std::string(extension);
}

std::string renderRemediationCsv(const RemediationList& l) {
  bool vi = l.vietnamese;
  CsvWriter csv;
  auto head = itemHeader();
  head.insert(head.begin(), {bilingual("Việc cần làm", "Action"), bilingual("Mã việc", "Action key")});
  csv.row(head);
  for (const auto& g : l.groups) {
    for (const auto& i : g.items) {
      auto cells = itemCells(i, vi);
      cells.insert(cells.begin(), {std::string(remediationTitle(g.action, vi)),
                                   std::string(remediationKey(g.action))});
      csv.row(cells);
    }
  }
  return csv.text();
}

std::string renderRemediationText(const RemediationList& l) {
  bool vi = l.vietnamese;
  std::string out;
  for (const auto& [label, value] : about(l, false)) out += label + ": " + value + "\n";
  for (const auto& g : l.groups) {
    out += "\n== " + std::string(remediationTitle(g.action, vi)) + " (" +
           std::to_string(g.items.size()) + ") ==\n";
    std::string limit = pick(vi, g.thresholdVi, g.thresholdEn);
    if (!limit.empty()) out += (vi ? "Ngưỡng: " : "Limit: ") + limit + "\n";
    out += (vi ? "Cách làm: " : "How: ") + std::string(remediationAdvice(g.action, vi)) + "\n";
    if (g.items.empty()) out += vi ? "  (không có máy nào)\n" : "  (no machine)\n";
    for (const auto& i : g.items) {
      out += "  " + i.hostname + "  [" + i.unitCode + "]  " + pick(vi, i.observedVi, i.observedEn);
      std::string step = pick(vi, i.stepVi, i.stepEn);
      if (!step.empty()) out += " — " + step;
      out += "  (" + std::string(vi ? "báo cáo lần cuối " : "last report ") +
             when(i.lastSeen, vi) + (i.stale ? (vi ? ", quá hạn" : ", stale") : "") + ")\n";
    }
  }
  return out;
}

util::Json remediationJson(const RemediationList& l, std::size_t perGroup) {
  util::Json groups = util::Json::array();
  for (const auto& g : l.groups) {
    util::Json items = util::Json::array();
    std::size_t shown = std::min(perGroup, g.items.size());
    for (std::size_t n = 0; n < shown; ++n) {
      const auto& i = g.items[n];
      items.push(util::Json::object({
          {"unit", i.unitCode},
          {"unit_name", localizedJson(i.unitNameVi, i.unitNameEn)},
          {"hostname", i.hostname},
          {"agent_id", i.agentId},
          {"os", i.os},
          {"observed", localizedJson(i.observedVi, i.observedEn)},
          {"step", localizedJson(i.stepVi, i.stepEn)},
          {"last_report", i.lastSeen > 0 ? util::Json(util::formatIso8601(i.lastSeen)) : util::Json()},
          {"stale", i.stale},
      }));
    }
    groups.push(util::Json::object({
        {"action", std::string(remediationKey(g.action))},
        {"title", localizedJson(std::string(remediationTitle(g.action, true)),
                                std::string(remediationTitle(g.action, false)))},
        {"advice", localizedJson(std::string(remediationAdvice(g.action, true)),
                                 std::string(remediationAdvice(g.action, false)))},
        {"threshold", localizedJson(g.thresholdVi, g.thresholdEn)},
        {"count", g.items.size()},
        {"shown", shown},
        {"items", std::move(items)},
    }));
  }
  util::Json units = util::Json::array();
  for (const auto& u : l.units) units.push(u);
  return util::Json::object({
      {"unit", l.unitCode},
      {"unit_name", localizedJson(l.unitNameVi, l.unitNameEn)},
      {"units", std::move(units)},
      {"generated_at", util::formatIso8601(l.generatedAt)},
      {"collector", l.collector},
      {"ca_fingerprint", l.caFingerprint},
      {"stale_after_seconds", l.staleAfterSeconds},
      {"endpoints", l.endpoints},
      {"machines_to_fix", l.machinesToFix},
      {"groups", std::move(groups)},
  });
}

std::string renderRemediationXlsx(const RemediationList& l) {
  bool vi = l.vietnamese;
  XlsxTableBook book;
  book.title = "Danh sách khắc phục / Remediation list";
  book.subject = l.unitCode.empty() ? std::string("Tất cả đơn vị / All units") : l.unitCode;
  book.comments = "SHA-256 CA: " + l.caFingerprint;
  book.created = l.generatedAt;
  book.unknownText = vi ? "không rõ" : "unknown";
  XlsxTableSheet info;
  info.name = "Thông tin - About";
  info.titles = {"Danh sách khắc phục / Remediation list"};
  info.header = {bilingual("Mục", "Item"), bilingual("Giá trị", "Value")};
  info.widths = {48, 100};
  for (auto& [label, value] : about(l, true)) info.rows.push_back({label, value});
  book.sheets.push_back(std::move(info));
  std::size_t n = 0;
  for (const auto& g : l.groups) {
    XlsxTableSheet s;
    // ASCII names, unique by their number (Excel: at most 31 characters).
    s.name = std::to_string(++n) + " " + std::string(remediationKey(g.action));
    s.titles = {std::string(remediationTitle(g.action, true)) + " / " +
                    std::string(remediationTitle(g.action, false)),
                std::string(remediationAdvice(g.action, vi))};
    std::string limit = pick(vi, g.thresholdVi, g.thresholdEn);
    if (!limit.empty()) s.titles.push_back((vi ? "Ngưỡng: " : "Limit: ") + limit);
    s.header = itemHeader();
    s.widths = {14, 30, 24, 24, 18, 36, 48, 18, 10};
    for (const auto& i : g.items) {
      auto cells = itemCells(i, vi);
      std::vector<XlsxCell> row(cells.begin(), cells.end());
      row[kLastReportColumn] = XlsxInstant{i.lastSeen};  // a real date cell
      s.rows.push_back(std::move(row));
    }
    book.sheets.push_back(std::move(s));
  }
  return renderXlsxTables(book);
}

}  // namespace posture::collector
