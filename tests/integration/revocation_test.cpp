// Revocation from the CLI while the collector runs: a revoked token cannot enrol, a
// revoked agent is refused at its next report.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/util/process.h"
#include "tests/integration/child_process.h"
#include "tests/support/faketime.h"

using namespace posture;

TEST_CASE("a revoked token cannot enrol; a revoked agent is refused at its next report") {
  test::CollectorProcess collector;
  auto create = util::runProcess({POSTURE_COLLECTOR_BIN, "token", "create", "--data-dir",
                                  collector.dataDir, "--unit", "BS-VP", "--uses", "5"});
  INFO(create.err);
  REQUIRE(create.exitCode == 0);
  std::string token = create.out.substr(0, create.out.find('\n'));
  auto idAt = create.err.find("(ID ");
  REQUIRE(idAt != std::string::npos);
  std::string id = create.err.substr(idAt + 4, 12);

  auto list = util::runProcess({POSTURE_COLLECTOR_BIN, "token", "list", "--data-dir", collector.dataDir});
  CHECK(list.out.find(id) != std::string::npos);
  CHECK(list.out.find(token) == std::string::npos);  // only the hash's prefix is known

  // One agent enrols with it; then the token is revoked and the next enrolment fails.
  std::string first = test::makeTempDir("posture-agent-");
  REQUIRE(util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address,
                            "--token", token, "--state-dir", first,
                                 "--ca-fingerprint", collector.caFingerprint})
              .exitCode == 0);
  auto revoke = util::runProcess({POSTURE_COLLECTOR_BIN, "token", "revoke", id, "--data-dir", collector.dataDir});
  INFO(revoke.err);
  REQUIRE(revoke.exitCode == 0);
  auto again = util::runProcess({POSTURE_COLLECTOR_BIN, "token", "revoke", id, "--data-dir", collector.dataDir});
  CHECK(again.exitCode == 1);
  CHECK(again.err.find("already revoked") != std::string::npos);
  std::string second = test::makeTempDir("posture-agent-");
  auto refused = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address,
                                   "--token", token, "--state-dir", second,
                                 "--ca-fingerprint", collector.caFingerprint});
  CHECK(refused.exitCode != 0);
  CHECK_MESSAGE(refused.err.find("revoked") != std::string::npos, refused.err);

  // The enrolled agent reports, is revoked, and its next report is refused.
  REQUIRE(util::runProcess({POSTURE_AGENT_BIN, "run", "--state-dir", first, "--once"},
                           std::chrono::seconds(120))
              .exitCode == 0);
  auto agents = util::runProcess({POSTURE_COLLECTOR_BIN, "agent", "list", "--data-dir", collector.dataDir});
  auto firstLine = agents.out.substr(agents.out.find('\n') + 1);
  std::string agentId = firstLine.substr(0, firstLine.find('\t'));
  REQUIRE(agentId.size() == 32);
  REQUIRE(util::runProcess({POSTURE_COLLECTOR_BIN, "agent", "revoke", agentId, "--data-dir",
                            collector.dataDir})
              .exitCode == 0);
  // Refused at once, not after the collector happens to reload its registry.
  auto run = util::runProcess({POSTURE_AGENT_BIN, "run", "--state-dir", first, "--once"},
                              std::chrono::seconds(60));
  CHECK(run.exitCode != 0);
  CHECK_MESSAGE(run.err.find("revoked") != std::string::npos, run.err);
  auto audit = util::runProcess({POSTURE_COLLECTOR_BIN, "audit", "list", "--data-dir", collector.dataDir});
  CHECK(audit.out.find("agent.revoke") != std::string::npos);
  CHECK(audit.out.find("token.revoke") != std::string::npos);
  std::filesystem::remove_all(first);
  std::filesystem::remove_all(second);
}

TEST_CASE("an expired enrolment token is refused with its cause") {
  test::CollectorProcess collector;
  std::string token = collector.createToken("BS-VP", 1, "1s");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  std::string state = test::makeTempDir("posture-agent-");
  auto r = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address,
                             "--token", token, "--state-dir", state,
                                 "--ca-fingerprint", collector.caFingerprint});
  CHECK(r.exitCode != 0);
  CHECK_MESSAGE(r.err.find("token_expired") != std::string::npos, r.err);
  CHECK_MESSAGE(r.err.find("hết hạn") != std::string::npos, r.err);  // Vietnamese too
  CHECK_FALSE(std::filesystem::exists(state + "/agent.conf"));
  std::filesystem::remove_all(state);
}

TEST_CASE("a machine whose clock is two days off is told so, and its token is not spent") {
  if (util::findExecutable("faketime").empty()) {
    FAIL("faketime is not installed (scripts/install-deps.sh installs it)");
  }
  test::CollectorProcess collector;
  std::string token = collector.createToken("BS-VP", 1);
  std::string state = test::makeTempDir("posture-agent-");
  // libfaketime is preloaded; under AddressSanitizer that needs two options.
  std::string asan = test::asanOptionsUnderFaketime();
  auto skewed = util::runProcess({"env", "ASAN_OPTIONS=" + asan, "faketime", "-f", "-2d",
                                  POSTURE_AGENT_BIN, "enroll", "--collector", collector.address,
                                  "--token", token, "--state-dir", state,
                                 "--ca-fingerprint", collector.caFingerprint});
  CHECK(skewed.exitCode != 0);
  CHECK_MESSAGE(skewed.err.find("minutes off the collector's") != std::string::npos, skewed.err);
  CHECK_MESSAGE((skewed.err.find(" 2880 minutes") != std::string::npos ||
                 skewed.err.find(" 2879 minutes") != std::string::npos), skewed.err);
  CHECK_MESSAGE(skewed.err.find("đồng hồ của máy này lệch") != std::string::npos, skewed.err);
  // The clock fixed, the same single-use token still enrols.
  auto fixed = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address,
                                 "--token", token, "--state-dir", state,
                                 "--ca-fingerprint", collector.caFingerprint});
  CHECK_MESSAGE(fixed.exitCode == 0, fixed.err);
  std::filesystem::remove_all(state);
}

TEST_CASE("an unreachable collector is reported with the IP versions and addresses tried") {
  std::string state = test::makeTempDir("posture-agent-");
  // Port 1 on loopback: nothing listens there. (A pin, or enroll refuses before connecting.)
  std::string pin(64, 'a');
  auto v4 = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", "127.0.0.1:1", "--token",
                              "x", "--state-dir", state, "--ca-fingerprint", pin});
  CHECK(v4.exitCode != 0);
  CHECK_MESSAGE(v4.err.find("(tried IPv4 127.0.0.1)") != std::string::npos, v4.err);
  auto v6 = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", "[::1]:1", "--token", "x",
                              "--state-dir", state, "--ca-fingerprint", pin});
  CHECK(v6.exitCode != 0);
  CHECK_MESSAGE(v6.err.find("(tried IPv6 ::1)") != std::string::npos, v6.err);
  std::filesystem::remove_all(state);
}
