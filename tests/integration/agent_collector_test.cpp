// The agent and the collector together, as real processes over real TLS on loopback.
#include <doctest/doctest.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>

#include "common/uplink/enrol.h"
#include "agent/probes/report_builder.h"
#include "common/uplink/uplink.h"
#include "collector/export/csv.h"
#include "common/crypto/crypto.h"
#include "common/db/sqlite.h"
#include "common/net/http_server.h"
#include "common/net/https_client.h"
#include "common/net/tls_context.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "posture/v1/enrol.pb.h"
#include "tests/integration/child_process.h"

using namespace posture;
using posture::test::CollectorProcess;
namespace fs = std::filesystem;

namespace {
std::string hostName() {
  char h[256] = {};
  ::gethostname(h, sizeof h - 1);
  return h;
}

uplink::AgentState enrolAgent(CollectorProcess& c, const std::string& unit) {
  uplink::EnrolOptions o;
  o.collector = c.address;
  o.caFingerprint = c.caFingerprint;
  o.token = c.createToken(unit);
  o.stateDir = test::makeTempDir("posture-agent-");
  return uplink::enrol(o);
}

posture::v1::Report minimalReport(const uplink::AgentState& s, std::uint64_t seq) {
  posture::v1::Report r;
  r.set_sequence(seq);
  r.mutable_identity()->set_agent_id(s.agentId);
  r.mutable_identity()->set_hostname("test-host");
  r.mutable_identity()->mutable_probe()->set_status(posture::v1::PROBE_STATUS_OK);
  r.mutable_collected_at()->set_seconds(::time(nullptr));
  return r;
}

std::int64_t storedReports(const CollectorProcess& c, const std::string& agentId) {
  db::Connection conn(fs::path(c.dataDir) / "posture.db", db::Connection::Mode::ReadOnly);
  auto st = conn.prepare("SELECT count(*) FROM reports WHERE agent_id = ?");
  st.bind(1, agentId);
  st.step();
  return st.getInt(0);
}

net::ClientResponse postAs(const CollectorProcess& c, std::shared_ptr<boost::asio::ssl::context> tls,
                           const std::string& target, const std::string& body,
                           const std::string& type = "application/x-protobuf") {
  auto [host, port] = net::splitHostPort(c.address);
  return net::postBlocking(tls, host, port, target, type, body, std::chrono::seconds(10));
}

std::string errorCode(const net::ClientResponse& r) {
  posture::v1::ErrorResponse e;
  return e.ParseFromString(r.body) ? e.code() : std::string("(not an ErrorResponse)");
}
}  // namespace

TEST_CASE("token, enrolment, report, status and CSV export over real TLS") {
  CollectorProcess collector;
  std::string token = collector.createToken("BS-UBND");
  std::string stateDir = test::makeTempDir("posture-agent-");

  auto enrol = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address,
                                 "--token", token, "--state-dir", stateDir,
                                 "--ca-fingerprint", collector.caFingerprint},
                                std::chrono::seconds(30));
  INFO(enrol.err);
  REQUIRE(enrol.exitCode == 0);
  CHECK(enrol.out.find("in unit BS-UBND") != std::string::npos);
  CHECK(fs::exists(fs::path(stateDir) / "agent.key"));
  CHECK((fs::status(fs::path(stateDir) / "agent.key").permissions() & fs::perms::group_read) ==
        fs::perms::none);

  auto run = util::runProcess({POSTURE_AGENT_BIN, "run", "--state-dir", stateDir, "--once"},
                              std::chrono::seconds(60));
  INFO(run.err);
  REQUIRE(run.exitCode == 0);
  CHECK(run.err.find("report 1 acknowledged") != std::string::npos);

  auto status = util::runProcess({POSTURE_COLLECTOR_BIN, "status", "--data-dir", collector.dataDir,
                                  "--policies", std::string(POSTURE_SOURCE_DIR) + "/policies",
                                  "--lang", "en"});
  INFO(status.err);
  REQUIRE(status.exitCode == 0);
  CHECK(status.out.find("Endpoints: 1 in 1 units") != std::string::npos);
  CHECK(status.out.find("BS-UBND") != std::string::npos);
  CHECK(status.out.find("ALL UNITS") != std::string::npos);

  std::string csvPath = collector.dataDir + "/list.csv";
  auto exp = util::runProcess({POSTURE_COLLECTOR_BIN, "export", "--data-dir", collector.dataDir,
                               "--policies", std::string(POSTURE_SOURCE_DIR) + "/policies",
                               "--format", "csv", "--out", csvPath});
  INFO(exp.err);
  REQUIRE(exp.exitCode == 0);
  auto text = util::readFile(csvPath);
  REQUIRE(text.has_value());
  CHECK(text->starts_with("\xEF\xBB\xBF"));
  auto rows = collector::parseCsv(*text);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][0] == "Đơn vị / Unit");
  CHECK(rows[1][0] == "BS-UBND");
  CHECK(rows[1][1] == hostName());
  CHECK(rows[1].size() == rows[0].size());
  fs::remove_all(stateDir);
}

TEST_CASE("a client without a certificate cannot send reports") {
  CollectorProcess collector;
  auto state = enrolAgent(collector, "BS-UBND");
  auto noCert = net::makeClientContext(state.caPem);
  auto r = postAs(collector, noCert, "/v1/reports", minimalReport(state, 1).SerializeAsString());
  CHECK(r.status == 401);
  CHECK(errorCode(r) == "certificate_required");
  CHECK(storedReports(collector, state.agentId) == 0);
  fs::remove_all(state.dir);
}

TEST_CASE("a client certificate from another CA fails the TLS handshake") {
  CollectorProcess collector;
  auto state = enrolAgent(collector, "BS-UBND");
  auto rogueCa = crypto::createCertificateAuthority("Rogue CA", 30);
  std::string key = crypto::generatePrivateKeyPem();
  // Same agent id as a real agent: only the issuing CA differs.
  std::string cert = crypto::issueClientCertificate(
      rogueCa, {crypto::createCsrPem(key, "x"), state.agentId, "BS-UBND", 30});
  auto tls = net::makeClientContext(state.caPem, cert, key);
  std::string message;
  try {
    auto r = postAs(collector, tls, "/v1/reports", minimalReport(state, 1).SerializeAsString());
    message = "answered HTTP " + std::to_string(r.status);
  } catch (const net::NetError& e) {
    message = e.what();
  }
  INFO(message);
  bool refused = message.find("handshake") != std::string::npos ||
                 message.find("failed") != std::string::npos;
  CHECK(refused);
  CHECK(message.find("answered HTTP") == std::string::npos);
  CHECK(storedReports(collector, state.agentId) == 0);
  fs::remove_all(state.dir);
}

TEST_CASE("a report resent after a lost acknowledgement is stored and counted once") {
  CollectorProcess collector;
  auto state = enrolAgent(collector, "BS-UBND");
  auto report = minimalReport(state, 7);
  auto first = uplink::sendReport(state, report, std::chrono::seconds(10));
  CHECK_FALSE(first.duplicate());
  CHECK(first.sequence() == 7);
  // The agent never saw that acknowledgement, so it sends the same report again.
  auto second = uplink::sendReport(state, report, std::chrono::seconds(10));
  CHECK(second.duplicate());
  CHECK(storedReports(collector, state.agentId) == 1);
  auto third = uplink::sendReport(state, minimalReport(state, 8), std::chrono::seconds(10));
  CHECK_FALSE(third.duplicate());
  CHECK(storedReports(collector, state.agentId) == 2);
  fs::remove_all(state.dir);
}

TEST_CASE("oversized and malformed requests get a 4xx and the collector keeps serving") {
  CollectorProcess collector;
  auto state = enrolAgent(collector, "BS-UBND");
  auto tls = net::makeClientContext(state.caPem, state.certPem, state.keyPem);

  SUBCASE("oversized body") {
    auto r = postAs(collector, tls, "/v1/reports", std::string(2 << 20, 'x'));
    CHECK(r.status == 413);
  }
  SUBCASE("body that is not a report") {
    auto r = postAs(collector, tls, "/v1/reports", std::string("\xff\xff\xff\xff garbage", 13));
    CHECK(r.status == 400);
    CHECK(errorCode(r) == "malformed_report");
  }
  SUBCASE("report without a sequence number") {
    auto r = postAs(collector, tls, "/v1/reports", minimalReport(state, 0).SerializeAsString());
    CHECK(r.status == 400);
    CHECK(errorCode(r) == "sequence_missing");
  }
  SUBCASE("report claiming another agent") {
    auto report = minimalReport(state, 1);
    report.mutable_identity()->set_agent_id("someone-else");
    auto r = postAs(collector, tls, "/v1/reports", report.SerializeAsString());
    CHECK(r.status == 400);
    CHECK(errorCode(r) == "agent_mismatch");
  }
  SUBCASE("wrong content type") {
    auto r = postAs(collector, tls, "/v1/reports", "{}", "application/json");
    CHECK(r.status == 415);
  }
  SUBCASE("enrolment with an unknown token") {
    posture::v1::EnrolRequest req;
    req.set_token("not-a-token");
    req.set_csr_pem(crypto::createCsrPem(crypto::generatePrivateKeyPem(), "h"));
    auto r = postAs(collector, net::makeClientContext({}), "/v1/enrol", req.SerializeAsString());
    CHECK(r.status == 401);
    CHECK(errorCode(r) == "token_unknown");
  }
  SUBCASE("bytes that are not HTTP") {
    boost::asio::io_context io;
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket> s(io, *net::makeClientContext({}));
    auto [host, port] = net::splitHostPort(collector.address);
    boost::asio::ip::tcp::resolver resolver(io);
    boost::asio::connect(s.lowest_layer(), resolver.resolve(host, port));
    s.handshake(boost::asio::ssl::stream_base::client);
    std::string junk = "\x16\x03 this is not an HTTP request\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(junk));
    std::string answer(64, '\0');
    boost::system::error_code ec;
    std::size_t n = boost::asio::read(s, boost::asio::buffer(answer), ec);
    answer.resize(n);
    CHECK(answer.starts_with("HTTP/1.1 400"));
  }
  // Whatever came before, a good report is still accepted.
  auto ack = uplink::sendReport(state, minimalReport(state, 1), std::chrono::seconds(10));
  CHECK(ack.sequence() == 1);
  CHECK(storedReports(collector, state.agentId) == 1);
  fs::remove_all(state.dir);
}

TEST_CASE("a used enrolment token is refused with its cause, and the agent reports it") {
  CollectorProcess collector;
  std::string token = collector.createToken("BS-UBND", 1);
  std::string dir1 = test::makeTempDir("posture-agent-"), dir2 = test::makeTempDir("posture-agent-");
  auto ok = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address,
                              "--token", token, "--state-dir", dir1,
                                 "--ca-fingerprint", collector.caFingerprint});
  REQUIRE(ok.exitCode == 0);
  auto again = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address,
                                 "--token", token, "--state-dir", dir2,
                                 "--ca-fingerprint", collector.caFingerprint});
  CHECK(again.exitCode == 1);
  CHECK(again.err.find("token_used") != std::string::npos);
  CHECK(again.err.find("mã đăng ký đã được sử dụng") != std::string::npos);
  CHECK_FALSE(fs::exists(fs::path(dir2) / "agent.conf"));
  fs::remove_all(dir1);
  fs::remove_all(dir2);
}

TEST_CASE("enrolment refuses a collector whose CA does not match the pinned fingerprint") {
  CollectorProcess collector;
  uplink::EnrolOptions o;
  o.collector = collector.address;
  o.token = collector.createToken("BS-UBND");
  o.stateDir = test::makeTempDir("posture-agent-");
  o.caFingerprint = std::string(64, 'a');
  try {
    uplink::enrol(o);
    FAIL("enrolment should have been refused");
  } catch (const uplink::UplinkError& e) {
    CHECK(e.code() == "ca_mismatch");
    CHECK(std::string(e.what()).find("expected " + std::string(64, 'a')) != std::string::npos);
    CHECK_FALSE(e.retryable());
  }
  CHECK_FALSE(uplink::isEnrolled(o.stateDir));
  // The handshake failed before the token was sent: the single-use token still works.
  o.caFingerprint = collector.caFingerprint;
  CHECK(uplink::enrol(o).unitCode == "BS-UBND");
  fs::remove_all(o.stateDir);
}

TEST_CASE("the collector serves IPv6 and an agent enrols and reports over ::1") {
  test::CollectorProcess collector({"--listen", "[::1]:0"});
  std::string line = collector.process->waitForLine("listening on https://[::1]:");
  std::string v6 = line.substr(line.find("[::1]:"));
  uplink::EnrolOptions o;
  o.collector = v6;
  o.caFingerprint = collector.caFingerprint;
  o.token = collector.createToken("BS-IPV6");
  o.stateDir = test::makeTempDir("posture-agent-");
  auto state = uplink::enrol(o);
  CHECK(state.unitCode == "BS-IPV6");
  auto ack = uplink::sendReport(state, minimalReport(state, 1), std::chrono::seconds(10));
  CHECK(ack.sequence() == 1);
  fs::remove_all(o.stateDir);
}

TEST_CASE("a malformed policy file stops the collector with file, line and cause") {
  std::string policies = test::makeTempDir("posture-policies-");
  std::string data = test::makeTempDir("posture-data-");
  util::writeFileAtomic(fs::path(policies) / "bad.yaml",
                        "policy:\n  id: bad\n  version: 1\n  titel: {vi: a, en: b}\n");
  auto r = util::runProcess({POSTURE_COLLECTOR_BIN, "serve", "--data-dir", data, "--listen",
                             "127.0.0.1:0", "--policies", policies},
                            std::chrono::seconds(30));
  CHECK(r.exitCode == 1);
  INFO(r.err);
  CHECK(r.err.find(policies + "/bad.yaml:4:3: ") != std::string::npos);
  CHECK(r.err.find("titel") != std::string::npos);
  CHECK(r.out.find("listening") == std::string::npos);
  fs::remove_all(policies);
  fs::remove_all(data);
}
