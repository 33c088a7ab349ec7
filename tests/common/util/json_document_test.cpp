// The JSON model behind the JSON export and the manifests: strict parsing, and canonical
// bytes that do not depend on formatting but do on every name and value.
#include "common/util/json.h"

#include <doctest/doctest.h>

#include <chrono>

using namespace posture;

TEST_CASE("write and parse round trip, with tricky text") {
  util::Json doc = util::Json::object();
  doc.set("tên", "Phòng \"Tài chính, Kế hoạch\"\nhuyện Bình Sơn\t\\ \x01");
  doc.set("n", 42);
  doc.set("big", 1234567890123LL);
  doc.set("pi", 3.25);
  doc.set("yes", true);
  doc.set("none", util::Json());
  util::Json list = util::Json::array();
  list.push("a");
  list.push(util::Json::object());
  doc.set("list", std::move(list));
  for (bool pretty : {true, false}) {
    util::Json back = util::parseJson(util::writeJson(doc, pretty));
    CHECK(back == doc);
    CHECK(back.at("tên").asString() == doc.at("tên").asString());
    CHECK(back.at("big").asInt() == 1234567890123LL);
    CHECK(back.at("pi").asDouble() == 3.25);
  }
  CHECK(util::writeJson(doc, false).find("\\u0001") != std::string::npos);
}

TEST_CASE("canonical bytes ignore formatting, member order and escapes, not values") {
  util::Json a = util::parseJson(R"({"b": 1, "a": {"y": "Đ", "x": [1, 2]}})");
  util::Json b = util::parseJson("{\n  \"a\":{\"x\":[1,2],\"y\":\"\\u0110\"},\n\"b\":1}");
  CHECK(util::canonicalJson(a) == util::canonicalJson(b));
  CHECK(util::canonicalJson(a) == R"({"a":{"x":[1,2],"y":"Đ"},"b":1})");
  util::Json c = util::parseJson(R"({"b": 2, "a": {"y": "Đ", "x": [1, 2]}})");
  CHECK(util::canonicalJson(a) != util::canonicalJson(c));
  // A surrogate pair decodes to one code point, written as UTF-8.
  CHECK(util::parseJson(R"("\ud83d\ude00")").asString() == "\xF0\x9F\x98\x80");
}

TEST_CASE("strict parsing refuses what RFC 8259 refuses, and duplicates") {
  for (const char* bad : {"", "{", "[1,]", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "01", "1.", "-",
                          "tru", "\"\\x\"", "\"a\nb\"", "{\"a\":1}{", "// c\n1", "\"\\ud800\"",
                          "{\"a\":1,\"a\":2}", "\"\xC3\x28\"", "\"\xE0\x80\xAF\"", "nan"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(util::parseJson(bad), util::JsonError);
  }
  std::string deep(100, '[');
  deep += std::string(100, ']');
  CHECK_THROWS_WITH_AS(util::parseJson(deep), doctest::Contains("nesting"), util::JsonError);
  CHECK_THROWS_WITH_AS(util::parseJson(R"({"a":1,"a":2})"), doctest::Contains("duplicate member \"a\""),
                       util::JsonError);
}

TEST_CASE("a large object parses in one pass, keeping its order, and a late duplicate is found") {
  // 100,000 members (1 MB): looking through the members for each new name took about 30 s
  // for 60,000 of them; one pass takes well under a second, even under the sanitizers.
  std::string text = "{";
  for (int i = 0; i < 100000; ++i) text += (i ? ",\"" : "\"") + std::to_string(i) + "\":" + std::to_string(i);
  auto start = std::chrono::steady_clock::now();
  util::Json big = util::parseJson(text + "}");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  REQUIRE(big.size() == 100000);
  CHECK(big.members()[99999].first == "99999");
  CHECK(big.at("500").asInt() == 500);
  CHECK_THROWS_WITH_AS(util::parseJson(text + ",\"77\":0}"), doctest::Contains("duplicate member \"77\""),
                       util::JsonError);
  CHECK_THROWS_AS(util::Json::object({{"a", 1}, {"b", 2}, {"a", 3}}), util::JsonError);
  CHECK(util::Json::object({{"a", 1}, {"b", 2}}) == util::parseJson(R"({"a":1,"b":2})"));
}

TEST_CASE("invalid UTF-8 in a value is written as U+FFFD so the output always parses") {
  util::Json j = util::Json::object();
  j.set("host", std::string("pc\xFF") + "x");
  util::Json back = util::parseJson(util::writeJson(j));
  CHECK(back.at("host").asString() == "pc\xEF\xBF\xBDx");
}

TEST_CASE("accessors check types") {
  util::Json n = util::parseJson("1.5");
  CHECK_THROWS_AS(n.asInt(), util::JsonError);
  CHECK_THROWS_AS(n.asString(), util::JsonError);
  CHECK_THROWS_WITH_AS(util::Json::object().at("x"), doctest::Contains("\"x\" is missing"), util::JsonError);
  util::Json o = util::Json::object();
  o.set("x", 1);
  o.set("x", 2);
  CHECK(o.size() == 1);
  CHECK(o.at("x").asInt() == 2);
  CHECK(o.remove("x"));
  CHECK_FALSE(o.remove("x"));
}
