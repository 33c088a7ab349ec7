#include "collector/export/csv.h"

#include <stdexcept>

namespace posture::collector {

CsvWriter::CsvWriter(bool withBom) {
  if (withBom) out_ = "\xEF\xBB\xBF";
}

bool looksLikeFormula(std::string_view f) {
  if (f.empty()) return false;
  char c = f.front();
  if (c != '=' && c != '+' && c != '-' && c != '@' && c != '\t' && c != '\r') return false;
  if (c == '-' || c == '+') {
    // A signed number ("-3", "-0,5", "+1.25") is data, not a formula.
    std::string_view digits = f.substr(1);
    bool any = false, separator = false;
    for (char d : digits) {
      if (d >= '0' && d <= '9') {
        any = true;
      } else if ((d == ',' || d == '.') && !separator) {
        separator = true;
      } else {
        return true;
      }
    }
    return !any;
  }
  return true;
}

void appendCsvField(std::string& out, std::string_view f) {
  bool formula = looksLikeFormula(f);
  if (f.find_first_of(",\"\r\n") == std::string_view::npos) {
    if (formula) out += '\'';
    out.append(f);
    return;
  }
  out += '"';
  if (formula) out += '\'';
  for (char c : f) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string csvField(std::string_view f) {
  std::string out;
  appendCsvField(out, f);
  return out;
}

void CsvWriter::row(const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out_ += ',';
    appendCsvField(out_, fields[i]);
  }
  out_ += "\r\n";
}

std::vector<std::vector<std::string>> parseCsv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, fieldStarted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty()) {
      quoted = true;
      fieldStarted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      fieldStarted = false;
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      fieldStarted = false;
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw std::invalid_argument("CSV ends inside a quoted field");
  if (fieldStarted || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace posture::collector
