// The console's request decoding: the query string, JSON object bodies, ids in the path.
#include "collector/console/http_util.h"

#include <doctest/doctest.h>

using namespace posture::collector::console;

TEST_CASE("the query string is percent-decoded; a broken escape is refused") {
  Query q;
  REQUIRE(parseQuery("unit=BS&q=a+b%2Fc&&empty=&flag&unit=HN", q));
  CHECK(q.at("unit") == "HN");  // the last one wins
  CHECK(q.at("q") == "a b/c");
  CHECK(q.at("empty").empty());
  CHECK(q.at("flag").empty());
  for (const char* bad : {"a=%", "a=%4", "a=%zz", "%G1=x"}) {
    CAPTURE(bad);
    Query out;
    CHECK_FALSE(parseQuery(bad, out));
  }
  CHECK(percentDecode("%C3%A9") == std::string("\xC3\xA9"));
}

TEST_CASE("a JSON body must be an object; an optional one may be empty") {
  posture::util::Json body;
  CHECK_FALSE(jsonObjectBody("{\"a\":1}", body));
  CHECK(body.isObject());
  auto notJson = jsonObjectBody("{", body);
  REQUIRE(notJson);
  CHECK(notJson->status == 400);
  CHECK(notJson->body.find("not JSON") != std::string::npos);
  auto array = jsonObjectBody("[1]", body);
  REQUIRE(array);
  CHECK(array->body.find("expected a JSON object") != std::string::npos);
  CHECK(jsonObjectBody("", body));  // required
  CHECK_FALSE(jsonObjectBody("", body, true));
  CHECK(body.isObject());
}

TEST_CASE("ids in a path are 1-18 decimal digits; agent ids are hexadecimal and '-'") {
  CHECK(parseId("42") == 42);
  CHECK(parseId("000000000000000001") == 1);
  CHECK_FALSE(parseId(""));
  CHECK_FALSE(parseId("-1"));
  CHECK_FALSE(parseId("4a"));
  CHECK_FALSE(parseId("1234567890123456789"));
  CHECK(isAgentId("0f1e2d3c-AAAA-bbbb"));
  CHECK_FALSE(isAgentId(""));
  CHECK_FALSE(isAgentId("xyz"));
  CHECK_FALSE(isAgentId(std::string(65, 'a')));
}
