#pragma once
// RFC 4180 CSV: CRLF line ends; a field with a comma, quote, CR or LF is quoted and its
// quotes doubled. Written as UTF-8 with a byte-order mark so Excel reads Vietnamese.
#include <string>
#include <string_view>
#include <vector>

namespace posture::collector {

class CsvWriter {
 public:
  explicit CsvWriter(bool withBom = true);
  void row(const std::vector<std::string>& fields);
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

std::string csvField(std::string_view field);

// Parses RFC 4180 text (BOM skipped) back into rows; for tests and verification.
// Throws std::invalid_argument on an unterminated quote.
std::vector<std::vector<std::string>> parseCsv(std::string_view text);

}  // namespace posture::collector
