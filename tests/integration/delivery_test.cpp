// Alert delivery end to end: the running collector sends every alert transition — the
// evaluator's and a person's from the CLI — to real syslog receivers on loopback.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "common/util/process.h"
#include "tests/integration/child_process.h"

using namespace posture;

namespace {
// A socket bound to 127.0.0.1 on an ephemeral port.
struct Socket {
  int fd = -1;
  std::uint16_t port = 0;
  explicit Socket(int type) {
    fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
    if (type == SOCK_STREAM) REQUIRE(::listen(fd, 4) == 0);
  }
  ~Socket() { ::close(fd); }
};

bool readable(int fd, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
}

// Reads UDP datagrams until one contains every needle, within 30 s.
std::string awaitDatagram(int fd, const std::vector<std::string>& needles) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (readable(fd, deadline)) {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) continue;
    std::string m(buf, static_cast<std::size_t>(n));
    bool all = true;
    for (const auto& s : needles) all &= m.find(s) != std::string::npos;
    if (all) return m;
  }
  return {};
}

// The first alert group `alerts list` prints: its id and its key (RULE@UNIT).
std::pair<std::string, std::string> firstGroup(const std::string& dataDir) {
  auto list = util::runProcess({POSTURE_COLLECTOR_BIN, "alerts", "list", "--data-dir", dataDir});
  auto tab = list.out.find('\t');
  if (tab == std::string::npos) return {};
  auto tab2 = list.out.find('\t', tab + 1);
  return {list.out.substr(0, tab), list.out.substr(tab + 1, tab2 - tab - 1)};
}
}  // namespace

TEST_CASE("alert transitions reach syslog over UDP and TCP, including a person's acknowledgement") {
  Socket udp(SOCK_DGRAM);
  Socket tcp(SOCK_STREAM);
  test::CollectorProcess collector(
      {"--syslog", "udp://127.0.0.1:" + std::to_string(udp.port), "--syslog",
       "tcp://127.0.0.1:" + std::to_string(tcp.port), "--evaluate-every", "1s"});
  std::string token = collector.createToken("BS-VP");
  std::string state = test::makeTempDir("posture-agent-");
  REQUIRE(util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address,
                            "--token", token, "--state-dir", state, "--ca-fingerprint",
                            collector.caFingerprint})
              .exitCode == 0);
  // This test machine fails at least one check of the shipped policies (its ClamAV has no
  // on-access scanning), so its first report opens alerts.
  auto run = util::runProcess({POSTURE_AGENT_BIN, "run", "--state-dir", state, "--once"},
                              std::chrono::seconds(120));
  INFO(run.err);
  REQUIRE(run.exitCode == 0);

  auto opened = awaitDatagram(udp.fd, {"posture@32473", "event=\"opened\"", "unit=\"BS-VP\""});
  REQUIRE_MESSAGE(!opened.empty(), "no 'opened' notice arrived over UDP");
  CHECK(opened.starts_with("<1"));  // facility local4: PRI 16x

  // Notices go per alert group (rule, unit): the person acknowledges a group.
  auto [id, key] = firstGroup(collector.dataDir);
  REQUIRE(!id.empty());
  auto ack = util::runProcess({POSTURE_COLLECTOR_BIN, "alerts", "ack", "--group", key, "--data-dir",
                               collector.dataDir, "--comment", "đang xử lý"});
  INFO(ack.err);
  REQUIRE(ack.exitCode == 0);
  auto acked = awaitDatagram(udp.fd, {"event=\"acknowledged\"", "alertId=\"" + id + "\"", "đang xử lý"});
  CHECK_MESSAGE(!acked.empty(), "the CLI acknowledgement was not delivered");

  // The TCP receiver got the same stream, octet-counted.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  REQUIRE(readable(tcp.fd, deadline));
  int conn = ::accept4(tcp.fd, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(conn >= 0);
  std::string stream;
  while (stream.find("event=\"acknowledged\"") == std::string::npos && readable(conn, deadline)) {
    char buf[8192];
    ssize_t n = ::recv(conn, buf, sizeof buf, 0);
    if (n <= 0) break;
    stream.append(buf, static_cast<std::size_t>(n));
  }
  ::close(conn);
  CHECK(stream.find("event=\"opened\"") != std::string::npos);
  CHECK(stream.find("event=\"acknowledged\"") != std::string::npos);
  auto space = stream.find(' ');
  REQUIRE(space != std::string::npos);
  CHECK(std::stoul(stream.substr(0, space)) > 0);  // "LEN <PRI>1 ..."
  CHECK(stream.substr(space + 1, 2) == "<1");
  std::filesystem::remove_all(state);
}
