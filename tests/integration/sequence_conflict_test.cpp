// An agent whose spool was lost but whose certificate was kept numbers its reports from 1
// again. The collector holds those numbers with other bodies and answers HTTP 409
// "sequence_conflict" with last_sequence (enrol.proto). The agent numbers its queue after
// that, sends it again in order, and drops nothing.
//
// The collector here is a small fake over real mTLS that answers as enrol.proto says (the
// real one is tested in hardening_test.cpp); it also counts the connections the agent
// opened, to show that a queue is drained over one kept-alive connection.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "agent/agent.h"
#include "agent/spool.h"
#include "common/uplink/uplink.h"
#include "common/uplink/state.h"
#include "common/crypto/crypto.h"
#include "common/net/http_server.h"
#include "common/net/tls_context.h"
#include "posture/v1/enrol.pb.h"
#include "posture/v1/report.pb.h"
#include "tests/integration/child_process.h"

using namespace posture;
namespace fs = std::filesystem;

namespace {
constexpr const char* kProtobuf = "application/x-protobuf";

// Stores reports by sequence; a known sequence with another body is a conflict.
class FakeCollector {
 public:
  explicit FakeCollector(const crypto::CertificateAuthority& ca) {
    crypto::ServerCertificateRequest req;
    req.keyPem = crypto::generatePrivateKeyPem();
    req.ipAddresses = {"127.0.0.1"};
    std::string chain = crypto::issueServerCertificate(ca, req) + ca.certPem;
    server_ = std::make_unique<net::HttpsServer>(
        io_, net::makeServerContext(chain, req.keyPem, ca.certPem),
        [this](net::Request& r) -> boost::asio::awaitable<net::Response> { co_return handle(r); });
    port_ = server_->listen("127.0.0.1:0").port();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeCollector() {
    io_.stop();
    thread_.join();
    server_.reset();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  void store(std::uint64_t sequence, const std::string& body) {
    std::lock_guard lock(mutex_);
    stored_[sequence] = body;
  }
  // What a collector that lost track would answer: a last_sequence not covering the report.
  void answerLastSequence(std::uint64_t value) { forcedLast_ = value; }
  std::map<std::uint64_t, std::string> stored() {
    std::lock_guard lock(mutex_);
    return stored_;
  }
  int conflicts() const { return conflicts_; }
  // Distinct client connections (address:port) that sent a report.
  std::size_t connections() {
    std::lock_guard lock(mutex_);
    return remotes_.size();
  }

 private:
  net::Response handle(net::Request& r) {
    if (r.message.target() != "/v1/reports" || !r.peerVerified) return {404, "text/plain", "no"};
    posture::v1::Report report;
    if (!report.ParseFromString(r.message.body())) return {400, "text/plain", "bad"};
    std::lock_guard lock(mutex_);
    remotes_.insert(r.remote);
    auto it = stored_.find(report.sequence());
    bool duplicate = it != stored_.end() && it->second == r.message.body();
    if (it != stored_.end() && !duplicate) {
      ++conflicts_;
      posture::v1::ErrorResponse e;
      e.set_code("sequence_conflict");
      e.set_message("report " + std::to_string(report.sequence()) + " was stored earlier with another body");
      e.set_message_vi("báo cáo số " + std::to_string(report.sequence()) + " đã được lưu với nội dung khác");
      e.set_last_sequence(forcedLast_ ? *forcedLast_ : stored_.rbegin()->first);
      return {409, kProtobuf, e.SerializeAsString()};
    }
    stored_[report.sequence()] = r.message.body();
    posture::v1::ReportAck ack;
    ack.set_agent_id(r.peerCommonName);
    ack.set_sequence(report.sequence());
    ack.set_duplicate(duplicate);
    return {200, kProtobuf, ack.SerializeAsString()};
  }

  boost::asio::io_context io_;
  std::unique_ptr<net::HttpsServer> server_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::uint64_t, std::string> stored_;
  std::optional<std::uint64_t> forcedLast_;
  std::set<std::string> remotes_;
  std::atomic<int> conflicts_{0};
};

// An agent enrolled with `ca` (its key and certificate kept) whose spool is new.
uplink::AgentState enrolledAgent(const crypto::CertificateAuthority& ca, const std::string& collector) {
  uplink::AgentState s;
  s.dir = test::makeTempDir("posture-agent-");
  s.collector = collector;
  s.agentId = "0123456789abcdef0123456789abcdef";
  s.unitCode = "BS-VP";
  s.keyPem = crypto::generatePrivateKeyPem();
  s.certPem = crypto::issueClientCertificate(ca, {crypto::createCsrPem(s.keyPem, "x"), s.agentId, s.unitCode, 365});
  s.caPem = ca.certPem;
  uplink::saveState(s);
  return s;
}

posture::v1::Report reportNamed(const std::string& host) {
  posture::v1::Report r;
  r.mutable_identity()->set_hostname(host);
  r.mutable_collected_at()->set_seconds(1'800'000'000);
  return r;
}

agent::CycleResult sendQueued(const uplink::AgentState& s) {
  agent::CycleOptions o;
  o.stateDir = s.dir;
  o.collect = false;
  o.timeout = std::chrono::seconds(20);
  o.renewBefore = std::chrono::seconds(0);
  std::atomic<bool> stop{false};
  return agent::runCycle(o, stop);
}
}  // namespace

TEST_CASE("after a sequence_conflict the agent renumbers its queue after the collector's last and sends it all, in order") {
  auto ca = crypto::createCertificateAuthority("Posture test CA", 30);
  FakeCollector collector(ca);
  // Five reports from before the spool was lost.
  for (std::uint64_t i = 1; i <= 5; ++i) {
    auto old = reportNamed("before-" + std::to_string(i));
    old.set_sequence(i);
    collector.store(i, old.SerializeAsString());
  }
  auto state = enrolledAgent(ca, collector.address());
  {
    agent::Spool spool(state.dir);
    for (int i = 1; i <= 3; ++i) {
      auto r = reportNamed("after-" + std::to_string(i));
      spool.push([&](std::uint64_t seq) {
        r.set_sequence(seq);
        return r.SerializeAsString();
      });
    }
  }
  CHECK(sendQueued(state) == agent::CycleResult::Drained);
  CHECK(collector.conflicts() == 1);
  CHECK(collector.connections() == 1);  // the refusal, then the renumbered queue: one connection

  auto stored = collector.stored();
  REQUIRE(stored.size() == 8);
  for (std::uint64_t i = 1; i <= 8; ++i) {
    posture::v1::Report r;
    REQUIRE(r.ParseFromString(stored[i]));
    CHECK(r.sequence() == i);
    // The old ones untouched; the new ones after them, in the order they were collected.
    std::string want = i <= 5 ? "before-" + std::to_string(i) : "after-" + std::to_string(i - 5);
    CHECK(r.identity().hostname() == want);
  }
  agent::Spool spool(state.dir);
  CHECK(spool.size() == 0);
  CHECK(spool.push([](std::uint64_t seq) { return reportNamed("next").SerializeAsString() + std::to_string(seq); }) == 9);
  fs::remove_all(state.dir);
}

TEST_CASE("a sequence_conflict whose last_sequence does not cover the report renumbers nothing") {
  auto ca = crypto::createCertificateAuthority("Posture test CA", 30);
  FakeCollector collector(ca);
  auto old = reportNamed("before-1");
  old.set_sequence(1);
  collector.store(1, old.SerializeAsString());
  collector.answerLastSequence(0);
  auto state = enrolledAgent(ca, collector.address());
  {
    agent::Spool spool(state.dir);
    auto r = reportNamed("after-1");
    spool.push([&](std::uint64_t seq) {
      r.set_sequence(seq);
      return r.SerializeAsString();
    });
  }
  CHECK(sendQueued(state) == agent::CycleResult::Refused);
  agent::Spool spool(state.dir);
  REQUIRE(spool.size() == 1);
  CHECK(spool.oldest()->sequence == 1);  // kept as it was, for the next cycle
  CHECK(collector.stored().size() == 1);
  fs::remove_all(state.dir);
}

TEST_CASE("a queue of reports goes over one kept-alive connection; a one-off send uses its own") {
  auto ca = crypto::createCertificateAuthority("Posture test CA", 30);
  FakeCollector collector(ca);
  auto state = enrolledAgent(ca, collector.address());
  {
    agent::Spool spool(state.dir);
    for (int i = 1; i <= 20; ++i) {
      auto r = reportNamed("queued-" + std::to_string(i));
      spool.push([&](std::uint64_t seq) {
        r.set_sequence(seq);
        return r.SerializeAsString();
      });
    }
  }
  CHECK(sendQueued(state) == agent::CycleResult::Drained);
  CHECK(collector.stored().size() == 20);
  CHECK(collector.connections() == 1);
  // sendReport (enrolment tools, tests) opens a connection per call.
  for (std::uint64_t seq = 21; seq <= 22; ++seq) {
    auto r = reportNamed("one-off");
    r.set_sequence(seq);
    CHECK(uplink::sendReport(state, r, std::chrono::seconds(20)).sequence() == seq);
  }
  CHECK(collector.connections() == 3);
  fs::remove_all(state.dir);
}
