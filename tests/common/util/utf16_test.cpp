#include "common/util/utf16.h"

#include <doctest/doctest.h>

#include "common/util/utf8.h"

using namespace posture::util;

TEST_CASE("UTF-8 to UTF-16 and back: BMP, astral (surrogate pairs), empty") {
  CHECK(utf8ToUtf16("").empty());
  CHECK(utf8ToUtf16("QNG") == u"QNG");
  CHECK(utf8ToUtf16("Huyện Bình Sơn") == u"Huyện Bình Sơn");
  std::u16string emoji = utf8ToUtf16("\xF0\x9F\x98\x80");  // U+1F600
  REQUIRE(emoji.size() == 2);
  CHECK(emoji[0] == 0xD83D);
  CHECK(emoji[1] == 0xDE00);
  CHECK(utf8ToUtf16("\xF4\x8F\xBF\xBF") == std::u16string{0xDBFF, 0xDFFF});  // U+10FFFF
  for (std::string s : {"", "a", "Đức 😀 ễ", "\xEF\xBF\xBD", "\x7F\xC2\x80\xF4\x8F\xBF\xBF"}) {
    CHECK(utf16ToUtf8(utf8ToUtf16(s)) == s);
  }
}

TEST_CASE("invalid UTF-8 becomes U+FFFD per byte, as utf8.h's check decides") {
  CHECK(utf8ToUtf16("a\xC0\xAF" "b") == u"a\uFFFD\uFFFDb");  // overlong '/'
  CHECK(utf8ToUtf16("\xED\xA0\x80") == u"\uFFFD\uFFFD\uFFFD");  // an encoded surrogate
  CHECK(utf8ToUtf16("\xE1\xBB") == u"\uFFFD\uFFFD");              // truncated ễ
  CHECK(utf8ToUtf16("\xF4\x90\x80\x80").size() == 4);             // above U+10FFFF
  // Same result as sanitizing first.
  std::string bad = "x\xFFy\xE1\xBB\xC3";
  CHECK(utf16ToUtf8(utf8ToUtf16(bad)) == sanitizeUtf8(bad));
}

TEST_CASE("unpaired surrogates in UTF-16 become U+FFFD; the output is always valid UTF-8") {
  CHECK(utf16ToUtf8(std::u16string{0xD800}) == "\xEF\xBF\xBD");
  CHECK(utf16ToUtf8(std::u16string{0xDC00, u'a'}) == "\xEF\xBF\xBD" "a");
  CHECK(utf16ToUtf8(std::u16string{u'a', 0xD83D}) == "a\xEF\xBF\xBD");
  CHECK(utf16ToUtf8(std::u16string{0xD83D, 0xD83D, 0xDE00}) == "\xEF\xBF\xBD\xF0\x9F\x98\x80");
  CHECK(validUtf8(utf16ToUtf8(std::u16string{0xDFFF, 0xDBFF, 0xD800, 0x0041})));
  CHECK(utf16ToUtf8(std::u16string{0x00E9, 0x20AC}) == "\xC3\xA9\xE2\x82\xAC");
}
