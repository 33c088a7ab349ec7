#include "collector/export/xlsx.h"

#include <xlsxwriter.h>

#include <cmath>
#include <stdexcept>

#include "collector/export/xlsx_util.h"
#include "common/util/time.h"
#include "common/util/utf8.h"

namespace posture::collector {
namespace fs = std::filesystem;

namespace {
void check(lxw_error err, const char* what) { xlsxCheck(err, what); }

// At most Excel's cell limit, cut on a UTF-8 boundary.
std::string cell(const std::string& s) { return util::cutUtf8(s, kXlsxMaxCellBytes); }

lxw_datetime vietnamTime(std::int64_t unix) { return xlsxVietnamTime(unix); }

lxw_datetime dayDate(std::int64_t day) {
  lxw_datetime d = vietnamTime(day * util::kSecondsPerDay - util::kVietnamOffsetSeconds);
  d.hour = d.min = 0;
  d.sec = 0;
  return d;
}

// The workbook, closed (and freed) exactly once.
class Workbook {
 public:
  explicit Workbook(const fs::path& path) {
    wb_ = workbook_new(path.c_str());
    if (!wb_) throw std::runtime_error("XLSX: cannot create " + path.string());
  }
  ~Workbook() {
    if (wb_) workbook_close(wb_);
  }
  Workbook(const Workbook&) = delete;
  Workbook& operator=(const Workbook&) = delete;
  lxw_workbook* get() { return wb_; }
  void close() {
    lxw_error err = workbook_close(wb_);
    wb_ = nullptr;
    check(err, "write the workbook");
  }

 private:
  lxw_workbook* wb_ = nullptr;
};

struct Formats {
  lxw_format* bold;
  lxw_format* header;
  lxw_format* title;
  lxw_format* wrap;
  lxw_format* dateTime;
  lxw_format* date;
  lxw_format* dateTimeLeft;  // the About sheet's values column, aligned like its text
  lxw_format* dateLeft;
  lxw_format* percent;
  lxw_format* met;
  lxw_format* notMet;
  lxw_format* unknown;
};

Formats makeFormats(lxw_workbook* wb) {
  Formats f{};
  f.bold = workbook_add_format(wb);
  format_set_bold(f.bold);
  f.header = workbook_add_format(wb);
  format_set_bold(f.header);
  format_set_text_wrap(f.header);
  format_set_align(f.header, LXW_ALIGN_VERTICAL_TOP);
  format_set_bg_color(f.header, 0xDDEBF7);
  format_set_border(f.header, LXW_BORDER_THIN);
  f.title = workbook_add_format(wb);
  format_set_bold(f.title);
  format_set_font_size(f.title, 13);
  f.wrap = workbook_add_format(wb);
  format_set_text_wrap(f.wrap);
  format_set_align(f.wrap, LXW_ALIGN_VERTICAL_TOP);
  f.dateTime = workbook_add_format(wb);
  format_set_num_format(f.dateTime, "dd/mm/yyyy hh:mm");
  format_set_align(f.dateTime, LXW_ALIGN_VERTICAL_TOP);
  f.date = workbook_add_format(wb);
  format_set_num_format(f.date, "dd/mm/yyyy");
  f.dateTimeLeft = workbook_add_format(wb);
  format_set_num_format(f.dateTimeLeft, "dd/mm/yyyy hh:mm:ss");
  format_set_align(f.dateTimeLeft, LXW_ALIGN_LEFT);
  f.dateLeft = workbook_add_format(wb);
  format_set_num_format(f.dateLeft, "dd/mm/yyyy");
  format_set_align(f.dateLeft, LXW_ALIGN_LEFT);
  f.percent = workbook_add_format(wb);
  format_set_num_format(f.percent, "0.0%");
  f.met = workbook_add_format(wb);
  format_set_font_color(f.met, 0x006100);
  format_set_bg_color(f.met, 0xC6EFCE);
  format_set_align(f.met, LXW_ALIGN_VERTICAL_TOP);
  f.notMet = workbook_add_format(wb);
  format_set_font_color(f.notMet, 0x9C0006);
  format_set_bg_color(f.notMet, 0xFFC7CE);
  format_set_align(f.notMet, LXW_ALIGN_VERTICAL_TOP);
  f.unknown = workbook_add_format(wb);
  format_set_font_color(f.unknown, 0x9C5700);
  format_set_bg_color(f.unknown, 0xFFEB9C);
  format_set_align(f.unknown, LXW_ALIGN_VERTICAL_TOP);
  return f;
}

void text(lxw_worksheet* ws, lxw_row_t r, lxw_col_t c, const std::string& s, lxw_format* f) {
  if (s.empty()) {
    if (f) check(worksheet_write_blank(ws, r, c, f), "write a cell");
    return;
  }
  check(worksheet_write_string(ws, r, c, cell(s).c_str(), f), "write a text cell");
}

void number(lxw_worksheet* ws, lxw_row_t r, lxw_col_t c, double v, lxw_format* f) {
  check(worksheet_write_number(ws, r, c, v, f), "write a number cell");
}

void when(lxw_worksheet* ws, lxw_row_t r, lxw_col_t c, std::int64_t unix, lxw_format* f, bool vi) {
  if (unix <= 0) {
    text(ws, r, c, vi ? "không rõ" : "unknown", nullptr);
    return;
  }
  lxw_datetime d = vietnamTime(unix);
  check(worksheet_write_datetime(ws, r, c, &d, f), "write a date cell");
}

lxw_worksheet* addSheet(lxw_workbook* wb, const std::string& name) {
  lxw_worksheet* ws = workbook_add_worksheet(wb, name.c_str());
  if (!ws) throw std::runtime_error("XLSX: cannot add the sheet '" + name + "'");
  return ws;
}

void aboutSheet(lxw_workbook* wb, const ComplianceExport& e, const Formats& f) {
  lxw_worksheet* ws = addSheet(wb, kXlsxAboutSheet);
  check(worksheet_set_column(ws, 0, 0, 48, f.wrap), "size a column");
  check(worksheet_set_column(ws, 1, 1, 100, f.wrap), "size a column");
  text(ws, 0, 0, "Danh sách tuân thủ an toàn thông tin / Security compliance list", f.title);
  lxw_row_t row = 2;
  text(ws, row, 0, bilingual("Mục", "Item"), f.header);
  text(ws, row, 1, bilingual("Giá trị", "Value"), f.header);
  for (const auto& l : metadataLines(e)) {
    ++row;
    text(ws, row, 0, l.label, f.bold);
    if (l.instant) {
      when(ws, row, 1, *l.instant, f.dateTimeLeft, e.filters.vietnamese);
    } else if (l.day) {
      lxw_datetime d = dayDate(*l.day);
      check(worksheet_write_datetime(ws, row, 1, &d, f.dateLeft), "write a date cell");
    } else {
      text(ws, row, 1, l.value, f.wrap);
    }
  }
}

void targetSheet(lxw_workbook* wb, std::size_t index, const ExportTarget& t,
                 const ComplianceExport& e, const Formats& f) {
  bool vi = e.filters.vietnamese;
  lxw_worksheet* ws = addSheet(wb, xlsxTargetSheetName(index, t));
  text(ws, 0, 0, bilingual("Chỉ tiêu", "Target") + ": " + t.title.vi + " / " + t.title.en, f.title);
  text(ws, 1, 0, bilingual("Chính sách", "Policy"), f.bold);
  text(ws, 1, 1, t.policyId + " v" + std::to_string(t.policyVersion) + " / " + t.targetId, nullptr);
  text(ws, 2, 0, bilingual("Nguồn", "Source"), f.bold);
  text(ws, 2, 1, t.sourceFile + ":" + std::to_string(t.sourceLine), nullptr);
  text(ws, 3, 0, bilingual("Phép đo", "Measure"), f.bold);
  std::string measure = t.measure == "share_of_endpoints"
                            ? bilingual("Tỷ lệ thiết bị đầu cuối", "Share of endpoints")
                        : t.measure == "share_of_systems"
                            ? bilingual("Tỷ lệ hệ thống thông tin", "Share of information systems")
                            : bilingual("Tỷ lệ đơn vị đạt mô hình 4 lớp",
                                        "Share of units keeping the four-layer model");
  text(ws, 3, 1, measure + " (" + t.measure + ")", nullptr);
  text(ws, 4, 0, bilingual("Thời điểm đánh giá (UTC+7)", "Evaluated at (UTC+7)"), f.bold);
  when(ws, 4, 1, e.evaluatedAt, f.dateTime, vi);

  const lxw_row_t head = 6;
  const std::vector<std::string> header = {bilingual("Đơn vị", "Unit"),
                                           bilingual("Tên đơn vị", "Unit name"),
                                           bilingual("Đạt", "Satisfied"),
                                           bilingual("Tổng", "Total"),
                                           bilingual("Tỷ lệ", "Value"),
                                           bilingual("Ngưỡng đang áp dụng", "Milestone in force"),
                                           bilingual("Áp dụng từ ngày", "In force since"),
                                           bilingual("Ngưỡng tiếp theo", "Next milestone"),
                                           bilingual("Từ ngày", "From"),
                                           bilingual("Kết quả", "Result")};
  for (std::size_t c = 0; c < header.size(); ++c) {
    text(ws, head, static_cast<lxw_col_t>(c), header[c], f.header);
  }
  lxw_row_t r = head;
  for (const auto& row : t.rows) {
    ++r;
    text(ws, r, 0, row.unitCode.empty() ? (vi ? "TOÀN BỘ" : "ALL UNITS") : row.unitCode, nullptr);
    text(ws, r, 1, unitName(e, row.unitNameVi, row.unitNameEn), f.wrap);
    number(ws, r, 2, row.satisfied, nullptr);
    number(ws, r, 3, row.total, nullptr);
    number(ws, r, 4, row.percent / 100.0, f.percent);
    if (row.inForce) {
      number(ws, r, 5, row.inForce->atLeastPercent / 100.0, f.percent);
      lxw_datetime d = dayDate(row.inForce->byDay);
      check(worksheet_write_datetime(ws, r, 6, &d, f.date), "write a date cell");
    }
    if (row.next) {
      number(ws, r, 7, row.next->atLeastPercent / 100.0, f.percent);
      lxw_datetime d = dayDate(row.next->byDay);
      check(worksheet_write_datetime(ws, r, 8, &d, f.date), "write a date cell");
    }
    lxw_format* status = row.status == policy::TargetStatus::Met      ? f.met
                         : row.status == policy::TargetStatus::Missed ? f.notMet
                                                                      : f.unknown;
    text(ws, r, 9, std::string(policy::targetStatusName(row.status, vi)), status);
  }
  check(worksheet_set_column(ws, 0, 0, 22, nullptr), "size a column");
  check(worksheet_set_column(ws, 1, 1, 36, nullptr), "size a column");
  check(worksheet_set_column(ws, 2, 9, 16, nullptr), "size a column");
  worksheet_freeze_panes(ws, head + 1, 0);
}

void endpointsSheet(lxw_workbook* wb, const ComplianceExport& e, const Formats& f) {
  bool vi = e.filters.vietnamese;
  lxw_worksheet* ws = addSheet(wb, kXlsxEndpointsSheet);
  auto header = endpointHeader(e);
  if (header.size() > LXW_COL_MAX || e.endpoints.size() + 1 > LXW_ROW_MAX) {
    throw std::runtime_error("XLSX: the list is larger than one Excel sheet");
  }
  for (std::size_t c = 0; c < header.size(); ++c) {
    text(ws, 0, static_cast<lxw_col_t>(c), header[c], f.header);
  }
  const std::size_t factCol = 8, checkCol = factCol + e.facts.size();
  lxw_row_t r = 0;
  for (const auto& row : e.endpoints) {
    ++r;
    auto cells = endpointCells(e, row);
    for (std::size_t c = 0; c < cells.size(); ++c) {
      auto col = static_cast<lxw_col_t>(c);
      if (c == 5 || c == 6) {
        when(ws, r, col, c == 5 ? row.lastSeen : row.collectedAt, f.dateTime, vi);
      } else if (c >= factCol && c < checkCol) {
        const auto& v = row.facts[c - factCol];
        const double* d = std::get_if<double>(&v);
        if (d && std::isfinite(*d)) {
          number(ws, r, col, *d, nullptr);
        } else {
          text(ws, r, col, cells[c], f.wrap);
        }
      } else if (c >= checkCol && c < checkCol + e.checks.size()) {
        auto t = row.checks[c - checkCol];
        text(ws, r, col, cells[c],
             !t                         ? f.wrap
             : *t == policy::Tri::True  ? f.met
             : *t == policy::Tri::False ? f.notMet
                                        : f.unknown);
      } else {
        text(ws, r, col, cells[c], f.wrap);
      }
    }
  }
  auto last = static_cast<lxw_col_t>(header.size() - 1);
  check(worksheet_set_column(ws, 0, 3, 24, nullptr), "size a column");
  check(worksheet_set_column(ws, 4, 7, 20, nullptr), "size a column");
  if (last >= 8) check(worksheet_set_column(ws, 8, last, 18, nullptr), "size a column");
  check(worksheet_set_row(ws, 0, 60, nullptr), "size the header row");
  worksheet_freeze_panes(ws, 1, 2);
  check(worksheet_autofilter(ws, 0, 0, r, last), "set the autofilter");
}
}  // namespace

std::string xlsxTargetSheetName(std::size_t index, const ExportTarget& t) {
  // The policy is named inside the sheet; the number keeps names unique when two policies
  // share a target id (four-layer-model).
  std::string name = "CT" + std::to_string(index + 1) + " " + t.targetId;
  for (char& c : name) {
    // ASCII only (ids are), and none of the characters Excel refuses.
    if (static_cast<unsigned char>(c) >= 0x80 ||
        std::string_view("[]:*?/\\'").find(c) != std::string_view::npos)
      c = '_';
  }
  if (name.size() > 31) name.resize(31);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  return name;
}

void writeXlsx(const ComplianceExport& e, const fs::path& path) {
  Workbook book(path);
  lxw_workbook* wb = book.get();
  std::string title = "Danh sách tuân thủ / Compliance list";
  std::string subject =
      e.filters.unitCode.empty() ? std::string("Tất cả đơn vị / All units") : e.filters.unitCode;
  std::string comments = "SHA-256 CA: " + e.caFingerprint;
  std::string author = "posture-collector";
  lxw_doc_properties props{};
  props.title = title.data();
  props.subject = subject.data();
  props.author = author.data();
  props.comments = comments.data();
  props.created = static_cast<time_t>(e.generatedAt);
  check(workbook_set_properties(wb, &props), "set the document properties");
  Formats f = makeFormats(wb);
  aboutSheet(wb, e, f);
  for (std::size_t i = 0; i < e.targets.size(); ++i) targetSheet(wb, i, e.targets[i], e, f);
  endpointsSheet(wb, e, f);
  book.close();
}

std::string renderXlsx(const ComplianceExport& e) {
  return xlsxBytes([&](const fs::path& path) { writeXlsx(e, path); });
}

}  // namespace posture::collector
