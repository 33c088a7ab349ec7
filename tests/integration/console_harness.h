#pragma once
// The console tests' client side (console_test.cpp, console_org_test.cpp): HTTPS requests
// to a real collector's console listener on loopback, users made with the real CLI, real
// logins with their session cookie and CSRF token, and a small enrolled fleet.
#include <boost/beast/http/verb.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/util/json.h"
#include "tests/integration/child_process.h"

namespace posture::test {

struct Reply {
  unsigned status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& name) const;
  util::Json json() const;
  std::string errorCode() const;  // error.code, or "(no error code)"
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One HTTPS request on its own connection (the console's certificate is not checked here).
// A body is sent as application/json unless `headers` names another Content-Type; `headers`
// may also replace Host. `sourceAddress` binds the client's end of the connection (e.g.
// "127.0.0.2": all of 127.0.0.0/8 is local on Linux), so one test can be several clients.
Reply request(const std::string& address, boost::beast::http::verb method, const std::string& target,
              const std::string& body = {}, const Headers& headers = {},
              const std::string& sourceAddress = {});

// `posture-collector user add`; returns the generated password.
std::string addUser(const CollectorProcess& c, const std::string& name, const std::string& role);

std::string loginBody(const std::string& name, const std::string& password);

struct Session {
  std::string cookie;  // "__Host-posture_session=…"
  std::string csrf;
  Headers headers(bool withCsrf = true) const;
};

// Logs in (REQUIREs a 200).
Session login(const CollectorProcess& c, const std::string& name, const std::string& password);

// A collector with a console listener on 127.0.0.1.
CollectorProcess consoleCollector();

// `posture-collector org import` of the sample Bình Sơn organization
// (examples/org/binh-son.yaml: QNG → BS → BS-VP, BS-TC, BS-BT, BS-BC; systems BS-QLVB…).
void importSampleOrg(const CollectorProcess& c);

// Enrols n agents in `unit` and sends each one report whose anti-malware probe found no
// product: checks fail and alerts open.
void smallFleet(CollectorProcess& c, const std::string& unit, int n);

// Waits until the console lists at least one open alert; returns the first one's id.
std::int64_t firstAlert(const CollectorProcess& c, const Session& s);

}  // namespace posture::test
