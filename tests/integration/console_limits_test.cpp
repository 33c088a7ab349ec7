// The console's bounds, against a real collector process: paging (offset and limit have
// maximums; beyond them a 400 naming the field and pointing to keyset paging), exports (one
// in progress per user, 429 with Retry-After beyond, nothing left held), and strict UTF-8
// in text fields (overlong forms and surrogates refused with 400).
#include <doctest/doctest.h>

#include <boost/beast/http.hpp>

#include <mutex>
#include <thread>

#include "common/util/json.h"
#include "tests/integration/console_harness.h"

using namespace posture;
using namespace posture::test;
namespace http = boost::beast::http;

namespace {
Reply get(const CollectorProcess& c, const Session& s, const std::string& target) {
  return request(c.consoleAddress, http::verb::get, target, {}, s.headers(false));
}
}  // namespace

TEST_CASE(
    "console: offset and limit have maximums; beyond them a 400 names the field and the keyset "
    "way") {
  auto c = consoleCollector();
  std::string password = addUser(c, "soc1", "soc");
  smallFleet(c, "BS-VP", 3);
  auto s = login(c, "soc1", password);
  firstAlert(c, s);

  for (const std::string list : {"/api/v1/alerts", "/api/v1/endpoints"}) {
    CAPTURE(list);
    CHECK(get(c, s, list + "?offset=10000").status == 200);
    for (const std::string deep : {"10001", "100000000", "999999999"}) {
      auto r = get(c, s, list + "?offset=" + deep);
      CHECK(r.status == 400);
      CHECK(r.errorCode() == "bad_request");
      auto e = r.json().at("error");
      CHECK(e.at("message_vi").asString().find("'offset'") != std::string::npos);
      CHECK(e.at("message_vi").asString().find("10000") != std::string::npos);
      CHECK(e.at("message_en").asString().find("after_id") != std::string::npos);
      CHECK(e.at("message_en").asString().find("before_id") != std::string::npos);
    }
    CHECK(get(c, s, list + "?limit=500").status == 200);
    for (const std::string bad : {"0", "501", "100000000"}) {
      auto r = get(c, s, list + "?limit=" + bad);
      CHECK(r.status == 400);
      CHECK(r.json().at("error").at("message_en").asString().find("'limit'") != std::string::npos);
      CHECK(r.json().at("error").at("message_en").asString().find("500") != std::string::npos);
    }
  }

  // Endpoints page by keyset too: after_id / before_id are agent ids, in the list's order.
  auto all = get(c, s, "/api/v1/endpoints?limit=3").json().at("endpoints");
  REQUIRE(all.size() == 3);
  std::string first = all.items()[0].at("agent_id").asString();
  std::string second = all.items()[1].at("agent_id").asString();
  std::string third = all.items()[2].at("agent_id").asString();
  auto after = get(c, s, "/api/v1/endpoints?limit=5&after_id=" + first);
  REQUIRE(after.status == 200);
  REQUIRE(after.json().at("endpoints").size() == 2);
  CHECK(after.json().at("endpoints").items()[0].at("agent_id").asString() == second);
  CHECK(after.json().at("total").asInt() == 3);  // the whole list's size, as with offset
  auto before = get(c, s, "/api/v1/endpoints?limit=1&before_id=" + third);
  REQUIRE(before.status == 200);
  REQUIRE(before.json().at("endpoints").size() == 1);
  CHECK(before.json().at("endpoints").items()[0].at("agent_id").asString() == second);
  auto both = get(c, s, "/api/v1/endpoints?after_id=" + first + "&before_id=" + third);
  CHECK(both.status == 400);
  CHECK(both.body.find("before_id") != std::string::npos);
  auto unknown = get(c, s, "/api/v1/endpoints?after_id=nope");
  CHECK(unknown.status == 400);
  CHECK(unknown.body.find("after_id") != std::string::npos);
}

TEST_CASE(
    "console: one export in progress per user; refusals are 429 with Retry-After and release "
    "nothing held") {
  auto c = consoleCollector();
  std::string password = addUser(c, "auditor1", "auditor");
  smallFleet(c, "BS-VP", 2);
  auto s = login(c, "auditor1", password);

  // Sequential exports with different parameters all build: each one's slot was given back.
  for (const std::string q : {"format=csv", "format=json", "format=csv&lang=en",
                              "format=json&lang=en", "format=csv&unit=BS-VP"}) {
    CAPTURE(q);
    auto r = get(c, s, "/api/v1/export?" + q);
    CHECK(r.status == 200);
  }

  // Eight different exports at once by one user: each is built or refused, never queued
  // behind another; a refusal says why, in both languages, and when to come back.
  std::mutex mutex;
  std::vector<Reply> replies;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = get(c, s, "/api/v1/export?format=xlsx&as_of=2026-01-0" + std::to_string(i + 1));
      std::lock_guard lock(mutex);
      replies.push_back(std::move(r));
    });
  }
  for (auto& t : threads) t.join();
  int built = 0;
  for (const auto& r : replies) {
    CAPTURE(r.body.substr(0, 200));
    CHECK((r.status == 200 || r.status == 429));
    if (r.status == 200) ++built;
    if (r.status == 429) {
      CHECK(r.errorCode() == "throttled");
      CHECK(std::stoi(r.header("retry-after")) >= 1);
      CHECK(r.json().at("error").at("message_vi").asString().find("xuất") != std::string::npos);
      CHECK(r.json().at("error").at("message_en").asString().find("export") != std::string::npos);
    }
  }
  CHECK(built >= 1);
  // Nothing is left held: the next export builds.
  CHECK(get(c, s, "/api/v1/export?format=csv&as_of=2026-02-01").status == 200);
  // A cached export (the same parameters within two minutes) comes back without a build.
  CHECK(get(c, s, "/api/v1/export/manifest?format=csv&as_of=2026-02-01").status == 200);
}

TEST_CASE("console: text with an overlong form or a surrogate is refused with 400") {
  auto c = consoleCollector();
  std::string password = addUser(c, "admin", "admin");
  smallFleet(c, "BS-VP", 1);
  importSampleOrg(c);
  auto s = login(c, "admin", password);
  std::int64_t id = firstAlert(c, s);
  const std::string overlong = "\xC0\xAF";       // '/' in two bytes
  const std::string overlong3 = "\xE0\x80\xAF";  // '/' in three bytes
  const std::string surrogate = "\xED\xA0\x80";  // U+D800 encoded as if it were a character
  const std::string comment = "/api/v1/alerts/" + std::to_string(id) + "/comment";

  for (const auto& bad : {overlong, overlong3, surrogate}) {
    // In a JSON body: the comment text, a four-layer record's reference.
    auto r = request(c.consoleAddress, http::verb::post, comment, "{\"text\":\"a" + bad + "b\"}",
                     s.headers());
    CHECK(r.status == 400);
    CHECK(r.errorCode() == "bad_request");
    auto layer =
        request(c.consoleAddress, http::verb::put, "/api/v1/layers/BS-TC/1",
                "{\"reference\":\"x" + bad + "\",\"document\":\"1/QĐ\",\"date\":\"2024-03-01\"}",
                s.headers());
    CHECK(layer.status == 400);
    // In a query parameter: the endpoint search and the alerts' rule prefix, named.
    std::string escaped;
    for (unsigned char ch : bad) {
      static const char* hex = "0123456789ABCDEF";
      escaped += '%';
      escaped += hex[ch >> 4];
      escaped += hex[ch & 15];
    }
    auto q = get(c, s, "/api/v1/endpoints?q=" + escaped);
    CHECK(q.status == 400);
    CHECK(q.json().at("error").at("message_en").asString().find("'q'") != std::string::npos);
    auto rule = get(c, s, "/api/v1/alerts?rule=" + escaped);
    CHECK(rule.status == 400);
    CHECK(rule.json().at("error").at("message_en").asString().find("'rule'") != std::string::npos);
  }
  // A surrogate written as a JSON escape without its pair is refused too.
  CHECK(request(c.consoleAddress, http::verb::post, comment, "{\"text\":\"\\ud800\"}", s.headers())
            .status == 400);
  // Nothing was stored; valid Vietnamese text still is.
  auto ok = request(c.consoleAddress, http::verb::post, comment,
                    "{\"text\":\"Đã kiểm tra / checked\"}", s.headers());
  CHECK(ok.status == 200);
  auto detail = get(c, s, "/api/v1/alerts/" + std::to_string(id)).json();
  int comments = 0;
  for (const auto& e : detail.at("events").items())
    comments += e.at("event").asString() == "commented";
  CHECK(comments == 1);
  CHECK(get(c, s, "/api/v1/layers").body.find("\"unit\":\"BS-TC\",\"layer\":1") ==
        std::string::npos);
}
