// Issue 15, as an attacker on the same network and an operator on a bad day would try it,
// against the real collector and agent on loopback: a revoked agent reports at once, a
// superseded certificate after a renewal, a reused sequence with other content, a forged
// log line, file modes under umask 000, and a disk that fills up under ingest.
#include <doctest/doctest.h>

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "common/crypto/crypto.h"
#include "common/db/sqlite.h"
#include "common/net/http_server.h"
#include "common/net/https_client.h"
#include "common/net/tls_context.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "common/util/time.h"
#include "common/util/utf8.h"
#include "posture/v1/enrol.pb.h"
#include "posture/v1/report.pb.h"
#include "tests/integration/child_process.h"
#include "tests/support/temp_dir.h"

using namespace posture;
namespace fs = std::filesystem;

namespace {
std::string pin(const test::CollectorProcess& c) {
  return crypto::certificateFingerprint(util::readFile(c.dataDir + "/ca.crt").value_or(""));
}

util::ProcessResult agent(std::vector<std::string> args) {
  args.insert(args.begin(), POSTURE_AGENT_BIN);
  return util::runProcess(args, std::chrono::seconds(120));
}

// Enrols a real agent in a fresh state directory and returns it.
std::string enrolAgent(test::CollectorProcess& c, const std::string& unit = "BS-VP") {
  std::string state = test::makeTempDir("posture-agent-");
  auto r = agent({"enroll", "--collector", c.address, "--token", c.createToken(unit),
                  "--state-dir", state, "--ca-fingerprint", pin(c)});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  return state;
}

std::string agentIdOf(const std::string& state) {
  auto cert = util::readFile(state + "/agent.crt");
  REQUIRE(cert);
  return crypto::inspectCertificate(*cert).subjectCommonName;
}

int fileMode(const fs::path& p) {
  struct stat st {};
  REQUIRE_MESSAGE(::stat(p.c_str(), &st) == 0, p.string() << ": " << std::strerror(errno));
  return static_cast<int>(st.st_mode & 07777);
}

// One request to the collector with a given client certificate (or none).
net::ClientResponse call(const test::CollectorProcess& c, const std::string& target,
                         const std::string& body, const std::string& certPem = {},
                         const std::string& keyPem = {}) {
  auto ca = util::readFile(c.dataDir + "/ca.crt").value_or("");
  auto tls = net::makeClientContext(ca, certPem, keyPem);
  auto colon = c.address.rfind(':');
  return net::postBlocking(tls, c.address.substr(0, colon), c.address.substr(colon + 1), target,
                           "application/x-protobuf", body, std::chrono::seconds(20));
}

posture::v1::ErrorResponse errorOf(const net::ClientResponse& r) {
  posture::v1::ErrorResponse e;
  CHECK(e.ParseFromString(r.body));
  return e;
}

std::string reportBody(const std::string& agentId, std::uint64_t sequence, const std::string& host) {
  posture::v1::Report r;
  r.set_sequence(sequence);
  r.mutable_identity()->set_agent_id(agentId);
  r.mutable_identity()->set_hostname(host);
  r.mutable_collected_at()->set_seconds(util::unixNow());
  return r.SerializeAsString();
}

// Sends `bytes` over TLS in pieces of `piece` bytes, as a slow client would, and returns
// what the collector answered before closing (the sends stop once it has closed).
std::string rawExchange(const test::CollectorProcess& c, const std::string& bytes, std::size_t piece) {
  boost::asio::io_context io;
  auto tls = net::makeClientContext(util::readFile(c.dataDir + "/ca.crt").value_or(""));
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> s(io, *tls);
  auto [host, port] = net::splitHostPort(c.address);
  boost::asio::ip::tcp::resolver resolver(io);
  boost::asio::connect(s.lowest_layer(), resolver.resolve(host, port));
  timeval tv{20, 0};
  ::setsockopt(s.lowest_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  s.handshake(boost::asio::ssl::stream_base::client);
  boost::system::error_code ec;
  for (std::size_t at = 0; at < bytes.size() && !ec; at += piece) {
    boost::asio::write(s, boost::asio::buffer(bytes.data() + at, std::min(piece, bytes.size() - at)), ec);
  }
  std::string answer(4096, '\0');
  std::size_t n = boost::asio::read(s, boost::asio::buffer(answer), ec);
  answer.resize(n);
  return answer;
}

std::size_t countLines(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = text.find(needle, at)) != std::string::npos; at += needle.size()) ++n;
  return n;
}
}  // namespace

TEST_CASE("a report right after `agent revoke` is refused, every time") {
  test::CollectorProcess collector;
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    std::string state = enrolAgent(collector);
    auto first = agent({"run", "--state-dir", state, "--once"});
    INFO(first.err);
    REQUIRE(first.exitCode == 0);
    auto revoke = util::runProcess({POSTURE_COLLECTOR_BIN, "agent", "revoke", agentIdOf(state),
                                    "--data-dir", collector.dataDir});
    REQUIRE(revoke.exitCode == 0);
    // No wait: the writer checks the agents table in the transaction that would store it.
    auto next = agent({"run", "--state-dir", state, "--once"});
    CHECK(next.exitCode != 0);
    CHECK_MESSAGE(next.err.find("agent_revoked") != std::string::npos, next.err);
    fs::remove_all(state);
  }
}

TEST_CASE("after a renewal the old certificate can neither report nor renew") {
  test::CollectorProcess collector;
  std::string state = enrolAgent(collector);
  std::string id = agentIdOf(state);
  std::string firstCert = *util::readFile(state + "/agent.crt");
  std::string firstKey = *util::readFile(state + "/agent.key");
  auto renew = [&](const std::string& cert, const std::string& key, std::string& newKey) {
    newKey = crypto::generatePrivateKeyPem();
    posture::v1::RenewRequest rr;
    rr.set_csr_pem(crypto::createCsrPem(newKey, id));
    return call(collector, "/v1/renew", rr.SerializeAsString(), cert, key);
  };
  // A renewal whose answer is lost: the agent still holds its first certificate, which
  // keeps working, and renews with it again (crash-safe renewal).
  std::string lostKey;
  auto lost = renew(firstCert, firstKey, lostKey);
  REQUIRE(lost.status == 200);
  posture::v1::EnrolResponse lostAnswer;
  REQUIRE(lostAnswer.ParseFromString(lost.body));
  CHECK(call(collector, "/v1/reports", reportBody(id, 1, "pc"), firstCert, firstKey).status == 200);
  std::string secondKey;
  auto again = renew(firstCert, firstKey, secondKey);
  REQUIRE(again.status == 200);
  posture::v1::EnrolResponse second;
  REQUIRE(second.ParseFromString(again.body));
  // The certificate of the lost answer was replaced before it was ever used.
  auto unused = call(collector, "/v1/reports", reportBody(id, 2, "pc"),
                     lostAnswer.certificate_pem(), lostKey);
  CHECK(unused.status == 403);
  CHECK(errorOf(unused).code() == "certificate_superseded");
  // The renewed certificate reports; from then on the first one is superseded for both.
  CHECK(call(collector, "/v1/reports", reportBody(id, 3, "pc"), second.certificate_pem(), secondKey)
            .status == 200);
  auto stale = call(collector, "/v1/reports", reportBody(id, 4, "pc"), firstCert, firstKey);
  CHECK(stale.status == 403);
  CHECK(errorOf(stale).code() == "certificate_superseded");
  std::string ignored;
  auto stolen = renew(firstCert, firstKey, ignored);
  CHECK(stolen.status == 403);
  CHECK(errorOf(stolen).code() == "certificate_superseded");
  // And the same after a restart: the serials are in the database, not only in memory.
  collector.stop();
  collector.start();
  CHECK(call(collector, "/v1/reports", reportBody(id, 5, "pc"), firstCert, firstKey).status == 403);
  CHECK(call(collector, "/v1/reports", reportBody(id, 6, "pc"), second.certificate_pem(), secondKey)
            .status == 200);
  fs::remove_all(state);
}

TEST_CASE("a sequence stored with other content gets 409 sequence_conflict and the last sequence") {
  test::CollectorProcess collector;
  std::string state = enrolAgent(collector);
  std::string id = agentIdOf(state);
  std::string cert = *util::readFile(state + "/agent.crt"), key = *util::readFile(state + "/agent.key");
  std::string a = reportBody(id, 7, "pc-a"), b = reportBody(id, 7, "pc-b");
  CHECK(call(collector, "/v1/reports", reportBody(id, 9, "pc-a"), cert, key).status == 200);
  CHECK(call(collector, "/v1/reports", a, cert, key).status == 200);
  // The same report again (a lost acknowledgement): accepted, counted once.
  auto again = call(collector, "/v1/reports", a, cert, key);
  REQUIRE(again.status == 200);
  posture::v1::ReportAck ack;
  REQUIRE(ack.ParseFromString(again.body));
  CHECK(ack.duplicate());
  // Other content under the same number: refused, never dropped as a duplicate.
  auto conflict = call(collector, "/v1/reports", b, cert, key);
  CHECK(conflict.status == 409);
  auto e = errorOf(conflict);
  CHECK(e.code() == "sequence_conflict");
  CHECK(e.last_sequence() == 9);
  CHECK(e.message_vi().find("đã được lưu với nội dung khác") != std::string::npos);
  fs::remove_all(state);
}

TEST_CASE("a hostname with a newline and a journald priority cannot forge a log line") {
  test::TempDir logs("posture-log-");
  std::string log = (logs.path() / "collector.log").string();
  test::Launch launch;
  launch.stderrPath = log;
  test::CollectorProcess collector({}, {}, launch);
  posture::v1::EnrolRequest req;
  req.set_token("not-a-token");
  req.set_csr_pem(crypto::createCsrPem(crypto::generatePrivateKeyPem(), "x"));
  req.set_hostname("pc-01\n<0>posture-collector: forged emergency\x1b[2J");
  for (int i = 0; i < 40; ++i) {
    auto r = call(collector, "/v1/enrol", req.SerializeAsString());
    REQUIRE(r.status == 401);
  }
  collector.stop();
  std::string text = util::readFile(log).value_or("");
  INFO(text);
  CHECK(text.find("\n<0>") == std::string::npos);
  CHECK(text.find("\x1b") == std::string::npos);
  CHECK(text.find("pc-01\\x0a<0>posture-collector: forged emergency\\x1b[2J") != std::string::npos);
  // 40 refusals from one address: a few lines, then a count of what was not shown.
  std::size_t lines = countLines(text, "enrolment refused from");
  CHECK(lines >= 1);
  CHECK(lines <= 6);
}

TEST_CASE("under umask 000 the data directory is 0700 and the database and keys 0600") {
  test::TempDir root("posture-umask-");
  test::Launch launch;
  launch.umask = 0;
  launch.dataDir = (root.path() / "data").string();
  test::CollectorProcess collector({}, {}, launch);
  std::string state = enrolAgent(collector);
  REQUIRE(agent({"run", "--state-dir", state, "--once"}).exitCode == 0);
  fs::path d = collector.dataDir;
  CHECK(fileMode(d) == 0700);
  for (const char* f : {"posture.db", "posture.db-wal", "posture.db-shm", "ca.key", "server.key"}) {
    CAPTURE(f);
    CHECK(fileMode(d / f) == 0600);
  }
  // The CLI creates a data directory the same way.
  fs::path fresh = root.path() / "cli-data";
  auto r = util::runProcess({"/bin/sh", "-c", "umask 000 && exec \"$@\"", "sh", POSTURE_COLLECTOR_BIN,
                             "user", "add", "--data-dir", fresh.string(), "--name", "an",
                             "--role", "auditor"});
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(fileMode(fresh) == 0700);
  CHECK(fileMode(fresh / "posture.db") == 0600);
  fs::remove_all(state);
}

namespace {
// GET /readyz from the metrics listener: the body, then the status code.
std::string readyz(const test::CollectorProcess& c) {
  return util::runProcess({"curl", "-sS", "--max-time", "10", "-w", " %{http_code}",
                           "http://" + c.metricsAddress + "/readyz"},
                          std::chrono::seconds(20))
      .out;
}
}  // namespace

TEST_CASE("a full disk: agents get 503 and keep their reports; /readyz says not ready; once freed, every report and alert is there") {
  test::TempDir root("posture-fulldisk-");
  fs::path mount = root.path() / "disk";
  fs::create_directories(mount);
  // A real, small filesystem for the data directory.
  REQUIRE_MESSAGE(::mount("tmpfs", mount.c_str(), "tmpfs", 0, "size=24m") == 0,
                  "cannot mount a tmpfs (the test needs root): " << std::strerror(errno));
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{mount};

  test::Launch launch;
  launch.dataDir = (mount / "data").string();
  // Endpoints go stale after a minute (the shortest the collector takes), so stale alerts
  // are raised while the disk is full.
  test::CollectorProcess collector({"--stale-after", "1m", "--metrics-listen", "127.0.0.1:0"}, {}, launch);
  std::vector<std::string> agents;
  for (int i = 0; i < 2; ++i) agents.push_back(enrolAgent(collector));
  std::map<std::string, int> sent;
  for (const auto& s : agents) {
    REQUIRE(agent({"run", "--state-dir", s, "--once"}).exitCode == 0);
    ++sent[agentIdOf(s)];
  }
  auto lastReports = std::chrono::steady_clock::now();

  // Fill the disk.
  fs::path filler = mount / "filler";
  {
    std::ofstream out(filler, std::ios::binary);
    std::string block(1 << 20, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  for (int round = 0; round < 2; ++round) {
    for (const auto& s : agents) {
      auto r = agent({"run", "--state-dir", s, "--once"});
      ++sent[agentIdOf(s)];
      CHECK(r.exitCode != 0);
      CHECK_MESSAGE(r.err.find("storage_unavailable") != std::string::npos, r.err);
    }
  }
  // Stale now: alerts the disk cannot take.
  std::this_thread::sleep_until(lastReports + std::chrono::seconds(66));
  // The collector is still up and still answers, and says it cannot store.
  CHECK(call(collector, "/healthz", "").status == 200);
  std::string ready = readyz(collector);
  CHECK_MESSAGE(ready.find(" 503") != std::string::npos, ready);
  CHECK_MESSAGE(ready.find("disk is full") != std::string::npos, ready);

  fs::remove(filler);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // a tick writes the queued alerts
  for (const auto& s : agents) {
    auto r = agent({"run", "--state-dir", s, "--once"});
    INFO(r.err);
    CHECK(r.exitCode == 0);
    ++sent[agentIdOf(s)];
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ready = readyz(collector);
  CHECK_MESSAGE(ready == "ready\n 200", ready);
  collector.stop();

  // Every report the agents made is stored, each once.
  db::Connection db(fs::path(collector.dataDir) / "posture.db");
  for (const auto& entry : sent) {
    // Named, not a structured binding: clang 14 cannot capture one (CAPTURE, INFO).
    const auto& id = entry.first;
    const auto& n = entry.second;
    CAPTURE(id);
    auto st = db.prepare("SELECT count(*), max(sequence) FROM reports WHERE agent_id = ?");
    st.bind(1, id);
    REQUIRE(st.step());
    CHECK(st.getInt(0) == n);
    CHECK(st.getInt(1) == n);
  }
  // The stale alerts raised while the disk was full were written once space came back.
  auto stale = db.prepare(
      "SELECT count(*) FROM alert_events e JOIN alerts a ON a.id = e.alert_id "
      "WHERE a.rule = 'posture/endpoint-stale' AND e.event = 'opened'");
  REQUIRE(stale.step());
  CHECK(stale.getInt(0) == 2);
  // Nothing the live evaluation should have written is missing: a restart, whose full
  // evaluation syncs every alert, opens or resolves nothing new. (Staleness after an hour
  // now, so the seconds that pass meanwhile change nothing by themselves.)
  auto before = db.prepare("SELECT max(rowid) FROM alert_events");
  REQUIRE(before.step());
  std::int64_t events = before.getInt(0);
  collector.extraArgs = {"--stale-after", "1h"};
  collector.start();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  collector.stop();
  auto after = db.prepare(
      "SELECT count(*) FROM alert_events WHERE event IN ('opened', 'reopened', 'resolved') "
      "AND rowid > ? AND actor = 'posture'");
  after.bind(1, events);
  REQUIRE(after.step());
  CHECK(after.getInt(0) == 0);
  for (const auto& s : agents) fs::remove_all(s);
}

TEST_CASE("an agent that lost its spool but kept its certificate: 409, renumbered, nothing dropped") {
  test::CollectorProcess collector;
  std::string state = enrolAgent(collector);
  std::string id = agentIdOf(state);
  for (int i = 0; i < 3; ++i) REQUIRE(agent({"run", "--state-dir", state, "--once"}).exitCode == 0);
  // The spool database is lost (a restored image, a disk error); the certificate stays.
  for (const char* f : {"spool.db", "spool.db-wal", "spool.db-shm"}) fs::remove(fs::path(state) / f);
  auto run = agent({"run", "--state-dir", state, "--once"});
  INFO(run.err);
  CHECK(run.exitCode == 0);
  CHECK(run.err.find("renumbered 1 queued report(s) from 4") != std::string::npos);
  auto again = agent({"run", "--state-dir", state, "--once"});
  CHECK(again.exitCode == 0);
  collector.stop();
  // Five reports, five rows: the two after the loss were numbered after the third.
  db::Connection db(fs::path(collector.dataDir) / "posture.db");
  auto st = db.prepare("SELECT count(*), max(sequence) FROM reports WHERE agent_id = ?");
  st.bind(1, id);
  REQUIRE(st.step());
  CHECK(st.getInt(0) == 5);
  CHECK(st.getInt(1) == 5);
  fs::remove_all(state);
}

TEST_CASE("a head or trailers over the limit, sent in small pieces, are refused and hold no memory") {
  // Beast 1.74 counts its header limit per parse step and trailers not at all (found by the
  // framing fuzz target); the server counts a request across reads (common/net/http_framing.h).
  test::CollectorProcess collector;
  std::string fields;
  for (int i = 0; fields.size() < 600 * 1024; ++i) fields += "X-" + std::to_string(i) + ": y\r\n";
  SUBCASE("a 600 KB head of short fields in 60-byte writes: 431") {
    auto answer = rawExchange(collector, "POST /v1/reports HTTP/1.1\r\nHost: c\r\n" + fields + "\r\n", 60);
    CHECK(answer.starts_with("HTTP/1.1 431"));
  }
  SUBCASE("a chunked enrolment with 600 KB of trailer fields: refused (the bounded buffer overflows: 400)") {
    std::string request =
        "POST /v1/enrol HTTP/1.1\r\nHost: c\r\nContent-Type: application/x-protobuf\r\n"
        "Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n" + fields + "\r\n";
    auto answer = rawExchange(collector, request, 4096);
    INFO(answer);
    CHECK(answer.starts_with("HTTP/1.1 4"));
  }
  SUBCASE("a chunk-size line that never ends: 400, the buffer does not grow") {
    std::string request =
        "POST /v1/enrol HTTP/1.1\r\nHost: c\r\nContent-Type: application/x-protobuf\r\n"
        "Transfer-Encoding: chunked\r\n\r\n" + std::string(300 * 1024, '1');
    auto answer = rawExchange(collector, request, 4096);
    CHECK(answer.starts_with("HTTP/1.1 4"));
  }
  // The collector still serves.
  auto healthy = rawExchange(collector, "GET /healthz HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n", 4096);
  CHECK(healthy.starts_with("HTTP/1.1 200"));
}

TEST_CASE("a host name over 255 bytes is cut on a character boundary, never inside one") {
  test::CollectorProcess collector;
  std::string state = enrolAgent(collector);
  std::string id = agentIdOf(state);
  std::string cert = *util::readFile(state + "/agent.crt"), key = *util::readFile(state + "/agent.key");
  std::string host;  // 200 × 2 bytes: byte 255 is the first half of the 128th 'ă'
  for (int i = 0; i < 200; ++i) host += "ă";
  REQUIRE(call(collector, "/v1/reports", reportBody(id, 1, host), cert, key).status == 200);
  collector.stop();
  db::Connection db(fs::path(collector.dataDir) / "posture.db");
  auto st = db.prepare("SELECT hostname FROM endpoints WHERE agent_id = ?");
  st.bind(1, id);
  REQUIRE(st.step());
  std::string stored = st.getText(0);
  CHECK(stored.size() == 254);
  CHECK(util::validUtf8(stored));
  CHECK(host.starts_with(stored));
  fs::remove_all(state);
}
