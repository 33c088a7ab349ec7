// The console's login under attack, against a real collector process on loopback: a flood
// of wrong passwords from one address does not lock the real admin out from another, the
// flood's failures reach the audit log as a few counted rows (after a clean shutdown), the
// login refuses cross-site forms and foreign origins, and the session cookie is a
// __Host- cookie (collector/auth/login.h, collector/console/login_api.cpp).
#include <doctest/doctest.h>

#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "common/util/json.h"
#include "common/db/sqlite.h"
#include "tests/integration/console_harness.h"

using namespace posture;
using namespace posture::test;
namespace fs = std::filesystem;
namespace http = boost::beast::http;

namespace {

// The peak resident memory of a process (VmHWM, KiB), for the report; 0 when unknown.
long peakRssKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

struct AuditRow {
  std::string actor, action, object;
  util::Json after;
};

// Every audit row of `action`, read from the stopped collector's database.
std::vector<AuditRow> auditRows(const CollectorProcess& c, const std::string& action) {
  db::Connection conn(fs::path(c.dataDir) / "posture.db", db::Connection::Mode::ReadOnly);
  auto st = conn.prepare(
      "SELECT actor, action, object, after FROM audit_log WHERE action = ? ORDER BY id");
  st.bind(1, action);
  std::vector<AuditRow> out;
  while (st.step())
    out.push_back(
        {st.getText(0), st.getText(1), st.getText(2), util::parseJson(st.getText(3))});
  return out;
}

Reply postLogin(const CollectorProcess& c, const std::string& body, const Headers& headers = {},
                const std::string& source = {}) {
  return request(c.consoleAddress, http::verb::post, "/api/v1/session", body, headers, source);
}

}  // namespace

TEST_CASE(
    "console: 300 wrong passwords for admin from 127.0.0.2 while the admin logs in from "
    "127.0.0.1") {
  auto c = consoleCollector();
  std::string password = addUser(c, "admin", "admin");
  constexpr int kFlood = 300;
  constexpr int kThreads = 6;
  // The admin logs in once 100 attempts were sent; the flood holds its last 100 until the
  // admin has the answer, so the login certainly happens in the middle of the flood.
  constexpr int kAdminAt = 100, kHoldAt = 200;

  std::atomic<int> next{0};
  std::mutex mutex;
  std::condition_variable adminAnswered;
  bool adminDone = false;
  std::map<unsigned, int> statuses;
  int throttledWithoutRetryAfter = 0, throttledWithoutCode = 0;
  std::vector<std::string> errors;
  auto started = std::chrono::steady_clock::now();
  auto flood = [&] {
    for (;;) {
      int i = next++;
      if (i >= kFlood) return;
      if (i >= kHoldAt) {
        std::unique_lock lock(mutex);
        adminAnswered.wait(lock, [&] { return adminDone; });
      }
      try {
        auto r = postLogin(c, loginBody("admin", "wrong password " + std::to_string(i)), {},
                           "127.0.0.2");
        std::lock_guard lock(mutex);
        ++statuses[r.status];
        if (r.status == 429) {
          std::string ra = r.header("retry-after");
          if (ra.empty() || std::stoi(ra) < 1) ++throttledWithoutRetryAfter;
          if (r.errorCode() != "throttled") ++throttledWithoutCode;
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        errors.push_back(e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(flood);
  for (int i = 0; i < 12000 && next.load() < kAdminAt; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  Reply admin;
  try {
    admin = postLogin(c, loginBody("admin", password), {}, "127.0.0.1");
  } catch (const std::exception& e) {
    errors.push_back(std::string("admin: ") + e.what());
  }
  {
    std::lock_guard lock(mutex);
    adminDone = true;
  }
  adminAnswered.notify_all();
  for (auto& t : threads) t.join();
  auto floodMs = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  MESSAGE("flood of " << kFlood << " logins with " << kThreads << " clients: " << floodMs.count()
                      << " ms; collector peak RSS " << peakRssKiB(c.process->pid())
                      << " KiB; 401: " << statuses[401] << ", 429: " << statuses[429]);

  INFO(admin.body);
  CHECK(errors.empty());
  CHECK(admin.status == 200);
  std::string cookie = admin.header("set-cookie");
  CHECK(cookie.starts_with("__Host-posture_session="));
  Session s{cookie.substr(0, cookie.find(';')),
            admin.status == 200 ? admin.json().at("csrf").asString() : ""};
  CHECK(
      request(c.consoleAddress, http::verb::get, "/api/v1/session", {}, s.headers(false)).status ==
      200);

  // The flood: no session; a few real checks (at most two at a time from one source, and
  // at most five before the lock of (admin, 127.0.0.2)), every other attempt refused at once
  // by the budget or the lock, with Retry-After.
  CHECK(statuses[200] == 0);
  CHECK(statuses[401] + statuses[429] == kFlood);
  CHECK(statuses[401] >= 1);
  CHECK(statuses[429] >= kFlood / 2);
  CHECK(throttledWithoutRetryAfter == 0);
  CHECK(throttledWithoutCode == 0);

  // After a clean shutdown: the failures as a few counted rows, not 300 rows; the admin's
  // login as its own row with the admin's address.
  c.stop();
  auto failed = auditRows(c, "user.login_failed");
  std::int64_t counted = 0;
  int floodRows = 0;
  for (const auto& r : failed) {
    CHECK(r.actor == "anonymous");
    CHECK(r.object == "user:admin");
    if (r.after.at("source").asString() != "127.0.0.2") continue;
    ++floodRows;
    counted += r.after.at("count").asInt();
    std::int64_t byReason = 0;
    for (const auto& [reason, n] : r.after.at("reasons").members()) byReason += n.asInt();
    CHECK(byReason == r.after.at("count").asInt());
    CHECK(r.after.at("first").asInt() <= r.after.at("last").asInt());
  }
  CHECK(counted == kFlood);
  CHECK(floodRows >= 1);
  CHECK(floodRows <= 2);  // one per 5-minute window of (admin, 127.0.0.2)
  auto logins = auditRows(c, "user.login");
  REQUIRE(logins.size() == 1);
  CHECK(logins[0].actor == "admin");
  CHECK(logins[0].after.at("ip").asString() == "127.0.0.1");
}

TEST_CASE(
    "console: the login needs application/json and, when the browser names one, the console's own "
    "origin") {
  auto c = consoleCollector();
  std::string password = addUser(c, "admin", "admin");
  const std::string body = loginBody("admin", password);

  // A cross-site HTML form can send these without a preflight: refused before anything.
  for (const std::string type : {"text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x", "application/jsonx", ""}) {
    CAPTURE(type);
    auto r = postLogin(c, body, {{"Content-Type", type}});
    CHECK(r.status == 415);
    CHECK(r.errorCode() == "unsupported_media_type");
    auto e = r.json().at("error");
    CHECK(e.at("message_vi").asString().find("application/json") != std::string::npos);
    CHECK(e.at("message_en").asString().find("Content-Type") != std::string::npos);
    CHECK(r.header("set-cookie").empty());
  }
  CHECK(postLogin(c, body, {{"Content-Type", "Application/JSON; charset=utf-8"}}).status == 200);

  // Origin: another site, another port, plain http, or "null" (a sandboxed frame).
  const std::string host = c.consoleAddress;  // "127.0.0.1:PORT", as a browser sends it
  const std::string port = host.substr(host.rfind(':') + 1);
  const std::vector<std::string> foreign = {
      "https://evil.example", "https://127.0.0.1", "http://" + host,
      "https://127.0.0.1:" + std::to_string(std::stoi(port) == 1 ? 2 : 1), "null",
      "https://" + host + "/"};
  for (const auto& origin : foreign) {
    CAPTURE(origin);
    auto r = postLogin(c, body, {{"Host", host}, {"Origin", origin}});
    CHECK(r.status == 403);
    CHECK(r.errorCode() == "cross_origin");
    CHECK(r.json().at("error").at("message_en").asString().find("Origin") != std::string::npos);
    CHECK(r.header("set-cookie").empty());
  }
  auto same = postLogin(c, body, {{"Host", host}, {"Origin", "https://" + host}});
  INFO(same.body);
  CHECK(same.status == 200);
  CHECK(same.header("set-cookie").starts_with("__Host-posture_session="));
  // A client that sends no Origin (scripts, curl) still logs in.
  CHECK(postLogin(c, body).status == 200);
}

TEST_CASE("console: the session cookie is a __Host- cookie with exactly its attributes") {
  auto c = consoleCollector();
  std::string password = addUser(c, "admin", "admin");
  auto ok = postLogin(c, loginBody("admin", password));
  REQUIRE(ok.status == 200);
  std::string cookie = ok.header("set-cookie");
  const std::string prefix = "__Host-posture_session=";
  REQUIRE(cookie.starts_with(prefix));
  std::string token = cookie.substr(prefix.size(), cookie.find(';') - prefix.size());
  CHECK(token.size() == 43);
  // Secure, Path=/ and no Domain are what the __Host- prefix demands of the browser.
  CHECK(cookie.substr(prefix.size() + token.size()) ==
        "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=43200");
  CHECK(cookie.find("Domain") == std::string::npos);

  Session s{prefix + token, ok.json().at("csrf").asString()};
  CHECK(
      request(c.consoleAddress, http::verb::get, "/api/v1/session", {}, s.headers(false)).status ==
      200);
  // The old name is not read any more (a cookie without the prefix could have been set by
  // a sibling host or over plain http).
  auto old = request(c.consoleAddress, http::verb::get, "/api/v1/session", {},
                     {{"Cookie", "posture_session=" + token}});
  CHECK(old.status == 401);
  auto out = request(c.consoleAddress, http::verb::delete_, "/api/v1/session", {}, s.headers());
  CHECK(out.status == 204);
  CHECK(out.header("set-cookie") ==
        "__Host-posture_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
}
