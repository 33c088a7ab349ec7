#pragma once
// RFC 4180 CSV: CRLF line ends; a field with a comma, quote, CR or LF is quoted and its
// quotes doubled. Written as UTF-8 with a byte-order mark so Excel reads Vietnamese.
//
// Spreadsheets run a cell that starts with =, +, -, @, TAB or CR as a formula, and some
// fields come from the endpoints themselves (a hostname such as `=HYPERLINK(...)`). Such
// a field gets a leading apostrophe, which spreadsheets show as text (OWASP's advice for
// CSV injection); a plain number such as -3 or -0,5 is left as it is.
#include <string>
#include <string_view>
#include <vector>

namespace posture::collector {

class CsvWriter {
 public:
  explicit CsvWriter(bool withBom = true);
  void row(const std::vector<std::string>& fields);
  void reserve(std::size_t bytes) { out_.reserve(bytes); }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

std::string csvField(std::string_view field);
void appendCsvField(std::string& out, std::string_view field);
// True when a spreadsheet would take the field for a formula (see above).
bool looksLikeFormula(std::string_view field);

// Parses RFC 4180 text (BOM skipped) back into rows; for tests and verification.
// Throws std::invalid_argument on an unterminated quote.
std::vector<std::vector<std::string>> parseCsv(std::string_view text);

}  // namespace posture::collector
