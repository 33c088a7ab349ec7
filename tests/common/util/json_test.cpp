#include "common/util/json.h"

#include <doctest/doctest.h>

using namespace posture;

TEST_CASE("appendUtf8 writes one, two, three and four bytes") {
  std::string out;
  util::appendUtf8(out, 'A');
  util::appendUtf8(out, 0xE9);     // é
  util::appendUtf8(out, 0x1EC5);   // ễ
  util::appendUtf8(out, 0x1F600);  // 😀
  CHECK(out == "A\xC3\xA9\xE1\xBB\x85\xF0\x9F\x98\x80");
  std::string edges;
  util::appendUtf8(edges, 0x7F);
  util::appendUtf8(edges, 0x80);
  util::appendUtf8(edges, 0x7FF);
  util::appendUtf8(edges, 0x800);
  util::appendUtf8(edges, 0xFFFF);
  util::appendUtf8(edges, 0x10000);
  util::appendUtf8(edges, 0x10FFFF);
  CHECK(edges == "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF");
}

TEST_CASE("jsonString escapes quotes, backslashes and control characters only") {
  CHECK(util::jsonString("a\"b\\c\nđ") == "\"a\\\"b\\\\c\\nđ\"");
}
