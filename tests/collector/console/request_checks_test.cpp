// Login CSRF checks: the login's Content-Type must be JSON (a cross-site form cannot send
// that without a preflight), and a browser's Origin must be this console.
#include "collector/console/request_checks.h"

#include <doctest/doctest.h>

using namespace posture;
using namespace posture::collector::console;
namespace http = boost::beast::http;

namespace {
net::Request request(const std::string& contentType, const std::string& host,
                     const std::string& origin) {
  net::Request r;
  r.message.method(http::verb::post);
  r.message.target("/api/v1/session");
  if (!contentType.empty()) r.message.set(http::field::content_type, contentType);
  if (!host.empty()) r.message.set(http::field::host, host);
  if (!origin.empty()) r.message.set(http::field::origin, origin);
  r.remote = "127.0.0.1:50000";
  return r;
}
}  // namespace

TEST_CASE("only application/json passes, whatever its parameters and case") {
  for (const char* ok : {"application/json", "application/json; charset=utf-8", "Application/JSON",
                         " application/json ;charset=UTF-8"}) {
    CAPTURE(ok);
    CHECK_FALSE(requireJsonBody(request(ok, "", "")));
  }
  for (const char* bad :
       {"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/json-patch+json", "application/jsonx", "text/json"}) {
    CAPTURE(bad);
    auto r = requireJsonBody(request(bad, "", ""));
    REQUIRE(r);
    CHECK(r->status == 415);
    CHECK(r->body.find("\"code\":\"unsupported_media_type\"") != std::string::npos);
    CHECK(r->body.find("Yêu cầu phải gửi JSON") < r->body.find("the request must send JSON"));
  }
}

TEST_CASE("an Origin must be https:// and the Host the browser used; no Origin is no browser") {
  CHECK_FALSE(requireSameOrigin(request("", "127.0.0.1:8444", "")));
  CHECK_FALSE(requireSameOrigin(request("", "127.0.0.1:8444", "https://127.0.0.1:8444")));
  CHECK_FALSE(
      requireSameOrigin(request("", "Console.Example:8444", "https://console.example:8444")));
  CHECK_FALSE(requireSameOrigin(request("", "console.example", "https://console.example:443")));
  CHECK_FALSE(requireSameOrigin(request("", "[::1]:8444", "https://[::1]:8444")));
  for (const char* bad : {"https://evil.example", "http://127.0.0.1:8444", "https://127.0.0.1:8445",
                          "https://127.0.0.1", "null", "https://127.0.0.1:8444/",
                          "https://127.0.0.1:8444.evil", "https://user@127.0.0.1:8444"}) {
    CAPTURE(bad);
    auto r = requireSameOrigin(request("", "127.0.0.1:8444", bad));
    REQUIRE(r);
    CHECK(r->status == 403);
    CHECK(r->body.find("\"code\":\"cross_origin\"") != std::string::npos);
  }
  // An Origin with no Host to compare with is refused too.
  CHECK(requireSameOrigin(request("", "", "https://127.0.0.1:8444")));
}
