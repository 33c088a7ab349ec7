#include "collector/export/csv.h"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace posture::collector;

TEST_CASE("fields with commas, quotes, newlines and diacritics survive a round trip") {
  std::vector<std::vector<std::string>> rows = {
      {"Đơn vị / Unit", "Ghi chú"},
      {"UBND xã Bình Hải, Bình Sơn", "Máy \"PC-01\"\nđặt ở phòng 2"},
      {"", "dòng\r\ncó CRLF"},
  };
  CsvWriter w;
  for (const auto& r : rows) w.row(r);
  CHECK(w.text().starts_with("\xEF\xBB\xBF"));
  CHECK(w.text().find("\"UBND xã Bình Hải, Bình Sơn\"") != std::string::npos);
  CHECK(w.text().find("\"Máy \"\"PC-01\"\"\nđặt ở phòng 2\"") != std::string::npos);
  CHECK(parseCsv(w.text()) == rows);
}

TEST_CASE("plain fields are not quoted and rows end with CRLF") {
  CsvWriter w(false);
  w.row({"a", "b"});
  CHECK(w.text() == "a,b\r\n");
}

TEST_CASE("an unterminated quote is an error") {
  CHECK_THROWS_AS(parseCsv("\"abc"), std::invalid_argument);
}

TEST_CASE("a field a spreadsheet would run as a formula gets a leading apostrophe") {
  CsvWriter w(false);
  w.row({"=HYPERLINK(\"http://192.0.2.1\",\"x\")", "+cmd", "@SUM(A1)", "-2+3", "\tx", "-", "ok=1"});
  w.row({"-3", "-0,5", "+1.25", "0", "", "a-b"});
  auto rows = parseCsv(w.text());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{"'=HYPERLINK(\"http://192.0.2.1\",\"x\")", "'+cmd", "'@SUM(A1)",
                                            "'-2+3", "'\tx", "'-", "ok=1"});
  // Signed numbers and ordinary text are left alone.
  CHECK(rows[1] == std::vector<std::string>{"-3", "-0,5", "+1.25", "0", "", "a-b"});
  CHECK(looksLikeFormula("=1"));
  CHECK_FALSE(looksLikeFormula("-12,5"));
  CHECK(looksLikeFormula("--1"));
}
