#pragma once
// A workbook of plain tables (libxlsxwriter), for lists other than the compliance export
// (the remediation list, issue 17): each sheet has title lines, one bilingual header row
// (frozen, with an autofilter) and rows of text, number or date cells. Dates are real
// date cells in Vietnam time (UTC+7) shown dd/mm/yyyy hh:mm, as in xlsx.h.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace posture::collector {

struct XlsxInstant {
  std::int64_t unix = 0;  // <= 0: written as the text `unknownText`
};
using XlsxCell = std::variant<std::string, double, XlsxInstant>;

struct XlsxTableSheet {
  std::string name;                 // Excel's rules: at most 31 characters, no []:*?/ or backslash
  std::vector<std::string> titles;  // first lines, the first one in large bold
  std::vector<std::string> header;
  std::vector<double> widths;       // per column; missing ones 18
  std::vector<std::vector<XlsxCell>> rows;
};

struct XlsxTableBook {
  std::string title, subject, comments;
  std::int64_t created = 0;
  std::string unknownText = "không rõ";
  std::vector<XlsxTableSheet> sheets;
};

// The workbook's bytes (written through a private temporary file). Throws
// std::runtime_error with libxlsxwriter's reason on failure.
std::string renderXlsxTables(const XlsxTableBook& book);

}  // namespace posture::collector
