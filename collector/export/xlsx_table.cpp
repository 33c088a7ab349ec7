#include "collector/export/xlsx_table.h"

#include <stdlib.h>

#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "collector/export/xlsx_util.h"
#include "common/util/files.h"
#include "common/util/time.h"
#include "common/util/utf8.h"

namespace posture::collector {
namespace fs = std::filesystem;

namespace {
void text(lxw_worksheet* ws, lxw_row_t r, lxw_col_t c, const std::string& s, lxw_format* f) {
  if (s.empty()) return;
  xlsxCheck(worksheet_write_string(ws, r, c, util::cutUtf8(s, kXlsxMaxCellBytes).c_str(), f),
            "write a text cell");
}

void writeBook(const XlsxTableBook& book, const fs::path& path) {
  lxw_workbook* wb = workbook_new(path.c_str());
  if (!wb) throw std::runtime_error("XLSX: cannot create " + path.string());
  struct Close {
    lxw_workbook* wb;
    bool done = false;
    ~Close() {
      if (!done) workbook_close(wb);
    }
  } guard{wb};
  std::string title = book.title, subject = book.subject, comments = book.comments,
              author = "posture-collector";
  lxw_doc_properties props{};
  props.title = title.data();
  props.subject = subject.data();
  props.author = author.data();
  props.comments = comments.data();
  props.created = static_cast<time_t>(book.created);
  xlsxCheck(workbook_set_properties(wb, &props), "set the document properties");
  lxw_format* big = workbook_add_format(wb);
  format_set_bold(big);
  format_set_font_size(big, 13);
  lxw_format* header = workbook_add_format(wb);
  format_set_bold(header);
  format_set_text_wrap(header);
  format_set_align(header, LXW_ALIGN_VERTICAL_TOP);
  format_set_bg_color(header, 0xDDEBF7);
  format_set_border(header, LXW_BORDER_THIN);
  lxw_format* wrap = workbook_add_format(wb);
  format_set_text_wrap(wrap);
  format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
  lxw_format* when = workbook_add_format(wb);
  format_set_num_format(when, "dd/mm/yyyy hh:mm");
  format_set_align(when, LXW_ALIGN_VERTICAL_TOP);

  for (const auto& sheet : book.sheets) {
    lxw_worksheet* ws = workbook_add_worksheet(wb, sheet.name.c_str());
    if (!ws) throw std::runtime_error("XLSX: cannot add the sheet '" + sheet.name + "'");
    if (sheet.rows.size() + sheet.titles.size() + 2 > LXW_ROW_MAX || sheet.header.size() > LXW_COL_MAX)
      throw std::runtime_error("XLSX: the list is larger than one Excel sheet");
    lxw_row_t r = 0;
    for (std::size_t i = 0; i < sheet.titles.size(); ++i, ++r) {
      text(ws, r, 0, sheet.titles[i], i == 0 ? big : nullptr);
    }
    if (!sheet.titles.empty()) ++r;
    const lxw_row_t head = r;
    for (std::size_t c = 0; c < sheet.header.size(); ++c) {
      text(ws, head, static_cast<lxw_col_t>(c), sheet.header[c], header);
      double width = c < sheet.widths.size() ? sheet.widths[c] : 18;
      xlsxCheck(worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), width,
                                 nullptr),
            "size a column");
    }
    for (const auto& row : sheet.rows) {
      ++r;
      for (std::size_t c = 0; c < row.size(); ++c) {
        auto col = static_cast<lxw_col_t>(c);
        if (const auto* s = std::get_if<std::string>(&row[c])) {
          text(ws, r, col, *s, wrap);
        } else if (const auto* d = std::get_if<double>(&row[c])) {
          xlsxCheck(worksheet_write_number(ws, r, col, *d, nullptr), "write a number cell");
        } else {
          auto t = std::get<XlsxInstant>(row[c]).unix;
          if (t <= 0) {
            text(ws, r, col, book.unknownText, wrap);
          } else {
            lxw_datetime dt = xlsxVietnamTime(t);
            xlsxCheck(worksheet_write_datetime(ws, r, col, &dt, when), "write a date cell");
          }
        }
      }
    }
    if (!sheet.header.empty()) {
      worksheet_freeze_panes(ws, head + 1, 0);
      xlsxCheck(worksheet_autofilter(ws, head, 0, r, static_cast<lxw_col_t>(sheet.header.size() - 1)),
            "set the autofilter");
    }
  }
  guard.done = true;
  xlsxCheck(workbook_close(wb), "write the workbook");
}
}  // namespace

void xlsxCheck(lxw_error err, const char* what) {
  if (err != LXW_NO_ERROR) {
    throw std::runtime_error(std::string("XLSX: cannot ") + what + ": " + lxw_strerror(err));
  }
}

lxw_datetime xlsxVietnamTime(std::int64_t unix) {
  std::tm tm{};
  util::utcTime(static_cast<std::time_t>(unix + util::kVietnamOffsetSeconds), tm);
  return lxw_datetime{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour,        tm.tm_min,     static_cast<double>(tm.tm_sec)};
}

std::string xlsxBytes(const std::function<void(const fs::path&)>& write) {
  // A private directory (0700): the list is not for other users of the machine.
  std::string dir = (fs::temp_directory_path() / "posture-export-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr)
    throw std::runtime_error("XLSX: cannot create a directory in " +
                             fs::temp_directory_path().string());
  struct Remove {
    fs::path p;
    ~Remove() {
      std::error_code ignored;
      fs::remove_all(p, ignored);
    }
  } cleanup{dir};
  fs::path tmp = fs::path(dir) / "export.xlsx";
  write(tmp);
  auto bytes = util::readFile(tmp, std::size_t{1} << 31);
  if (!bytes) throw std::runtime_error("XLSX: cannot read back " + tmp.string());
  return *bytes;
}

std::string renderXlsxTables(const XlsxTableBook& book) {
  return xlsxBytes([&](const fs::path& path) { writeBook(book, path); });
}

}  // namespace posture::collector
