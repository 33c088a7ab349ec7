#include "common/util/utf8.h"

#include <doctest/doctest.h>

using namespace posture::util;

TEST_CASE("strict UTF-8: overlong forms, surrogates, truncation and > U+10FFFF are invalid") {
  CHECK(validUtf8(""));
  CHECK(validUtf8("Huyện Bình Sơn — ĐỨC 😀"));
  CHECK(validUtf8("\x7F"));
  CHECK(validUtf8("\xF4\x8F\xBF\xBF"));        // U+10FFFF
  CHECK_FALSE(validUtf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(validUtf8("\xE0\x80\xAF"));      // overlong '/'
  CHECK_FALSE(validUtf8("\xF0\x80\x80\xAF"));  // overlong '/'
  CHECK_FALSE(validUtf8("\xC1\xBF"));          // overlong U+007F
  CHECK_FALSE(validUtf8("\xED\xA0\x80"));      // U+D800, a surrogate
  CHECK_FALSE(validUtf8("\xED\xBF\xBF"));      // U+DFFF
  CHECK_FALSE(validUtf8("\xF4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(validUtf8("\xF8\x88\x80\x80\x80"));
  CHECK_FALSE(validUtf8("\xE1\xBB"));          // truncated ễ
  CHECK_FALSE(validUtf8("a\x80"));             // a lone continuation byte
  CHECK(utf8Length("Bình") == 4);
  CHECK_FALSE(utf8Length("\xED\xA0\x80").has_value());
  std::uint32_t cp = 0;
  CHECK(utf8SequenceLength("ễ", 0, &cp) == 3);
  CHECK(cp == 0x1EC5);
}

TEST_CASE("sanitizing replaces each bad byte with U+FFFD and keeps the good text") {
  CHECK(sanitizeUtf8("ok") == "ok");
  CHECK(sanitizeUtf8("a\xC0\xAF" "b") == "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
  CHECK(sanitizeUtf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(validUtf8(sanitizeUtf8("\xFF\xFE\xE1\xBB")));
}

TEST_CASE("cutting keeps whole characters; padding counts code points") {
  CHECK(cutUtf8("ễễ", 4) == "ễ");
  CHECK(cutUtf8("ễễ", 6) == "ễễ");
  CHECK(cutUtf8("abc", 0).empty());
  CHECK(padRight("Sơn", 5) == "Sơn  ");
  CHECK(padRight("Bình Sơn", 3) == "Bình Sơn ");
  std::string out;
  appendUtf8(out, 0x1F600);
  CHECK(out == "😀");
}
