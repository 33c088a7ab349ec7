#include "tests/integration/console_harness.h"

#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "common/uplink/enrol.h"
#include "common/uplink/uplink.h"
#include "common/net/http_server.h"
#include "common/util/process.h"
#include "posture/v1/report.pb.h"

namespace posture::test {

using util::Json;
namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace http = boost::beast::http;

std::string Reply::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

util::Json Reply::json() const { return util::parseJson(body); }

std::string Reply::errorCode() const {
  try {
    return json().at("error").at("code").asString();
  } catch (const std::exception&) {
    return "(no error code)";
  }
}

Reply request(const std::string& address, http::verb method, const std::string& target,
              const std::string& body, const Headers& headers, const std::string& sourceAddress) {
  boost::asio::io_context io;
  boost::asio::ssl::context tls(boost::asio::ssl::context::tls_client);
  tls.set_verify_mode(boost::asio::ssl::verify_none);
  auto [host, port] = net::splitHostPort(address);
  boost::asio::ip::tcp::resolver resolver(io);
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream(io, tls);
  auto endpoints = resolver.resolve(host, port);
  if (sourceAddress.empty()) {
    boost::asio::connect(stream.next_layer(), endpoints);
  } else {
    auto& socket = stream.next_layer();
    auto to = endpoints.begin()->endpoint();
    socket.open(to.protocol());
    socket.bind({boost::asio::ip::make_address(sourceAddress), 0});
    socket.connect(to);
  }
  stream.handshake(boost::asio::ssl::stream_base::client);
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, host);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  for (const auto& [n, v] : headers) req.set(n, v);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(stream, buffer, parser);
  auto res = parser.release();
  Reply r;
  r.status = res.result_int();
  r.body = res.body();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace(name, std::string(f.value()));
  }
  boost::system::error_code ignored;
  stream.shutdown(ignored);
  return r;
}

std::string addUser(const CollectorProcess& c, const std::string& name, const std::string& role) {
  auto r = util::runProcess({POSTURE_COLLECTOR_BIN, "user", "add", "--data-dir", c.dataDir, "--name",
                             name, "--role", role},
                            std::chrono::seconds(30));
  if (r.exitCode != 0) throw std::runtime_error("user add failed: " + r.err);
  std::string password = r.out;
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  return password;
}

std::string loginBody(const std::string& name, const std::string& password) {
  util::Json b = util::Json::object();
  b.set("name", name);
  b.set("password", password);
  return util::writeJson(b, false);
}

Headers Session::headers(bool withCsrf) const {
  Headers h{{"Cookie", cookie}};
  if (withCsrf) h.emplace_back("X-CSRF-Token", csrf);
  return h;
}

Session login(const CollectorProcess& c, const std::string& name, const std::string& password) {
  auto r = request(c.consoleAddress, http::verb::post, "/api/v1/session", loginBody(name, password));
  INFO(r.body);
  REQUIRE(r.status == 200);
  std::string setCookie = r.header("set-cookie");
  Session s;
  s.cookie = setCookie.substr(0, setCookie.find(';'));
  s.csrf = r.json().at("csrf").asString();
  return s;
}

void importSampleOrg(const CollectorProcess& c) {
  auto r = util::runProcess({POSTURE_COLLECTOR_BIN, "org", "import",
                             (std::filesystem::path(POSTURE_SOURCE_DIR) / "examples/org/binh-son.yaml").string(),
                             "--data-dir", c.dataDir},
                            std::chrono::seconds(30));
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
}

CollectorProcess consoleCollector() {
  return CollectorProcess({"--console-listen", "127.0.0.1:0"});
}

void smallFleet(CollectorProcess& c, const std::string& unit, int n) {
  std::string token = c.createToken(unit, n);
  for (int i = 0; i < n; ++i) {
    uplink::EnrolOptions o;
    o.collector = c.address;
    o.caFingerprint = c.caFingerprint;
    o.token = token;
    o.stateDir = test::makeTempDir("posture-agent-");
    auto state = uplink::enrol(o);
    posture::v1::Report r;
    r.set_sequence(1);
    r.mutable_identity()->set_agent_id(state.agentId);
    r.mutable_identity()->set_hostname("pc-" + unit + "-" + std::to_string(i));
    r.mutable_identity()->set_os_name("Windows");
    r.mutable_identity()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
    r.mutable_antivirus()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
    r.mutable_collected_at()->set_seconds(::time(nullptr));
    uplink::sendReport(state, r, std::chrono::seconds(10));
    fs::remove_all(state.dir);
  }
}

std::int64_t firstAlert(const CollectorProcess& c, const Session& s) {
  for (int i = 0; i < 100; ++i) {
    auto r = request(c.consoleAddress, http::verb::get, "/api/v1/alerts?limit=5", {}, s.headers(false));
    REQUIRE(r.status == 200);
    auto j = r.json();
    if (j.at("total").asInt() > 0) return j.at("alerts").items().front().at("id").asInt();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  FAIL("no alert was raised");
  return 0;
}


}  // namespace posture::test
