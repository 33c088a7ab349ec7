// Where the enrolment token lives: agent.conf loses it once the agent has enrolled (every
// other line stays, the file ends up 0600); the service refuses agent.conf without a pin
// unless trust_on_first_use=yes; `enroll` takes the token from a file or standard input.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/integration/child_process.h"

using namespace posture;
using posture::test::CollectorProcess;
namespace fs = std::filesystem;

namespace {
unsigned modeOf(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

util::ProcessResult runOnce(const std::string& state, const fs::path& config) {
  return util::runProcess({POSTURE_AGENT_BIN, "run", "--state-dir", state, "--config", config.string(), "--once"},
                          std::chrono::seconds(120));
}
}  // namespace

TEST_CASE("enrolled from agent.conf, the agent removes the token and keeps every other line") {
  CollectorProcess collector;
  std::string token = collector.createToken("BS-VP");
  std::string dir = test::makeTempDir("posture-conf-");
  fs::path config = fs::path(dir) / "agent.conf";
  std::string head = "# agent.conf written by the deployment script\r\n# token=EXAMPLE stays: a comment\n";
  std::string tail = "ca_fingerprint=" + collector.caFingerprint + "\n\ninterval = 1h\n# the end\n";
  util::writeFileAtomic(config,
                        head + "collector=" + collector.address + "\n  token = " + token + "\r\n" + tail,
                        0644);
  std::string state = test::makeTempDir("posture-agent-");

  auto r = runOnce(state, config);
  INFO(r.err);
  REQUIRE(r.exitCode == 0);
  CHECK(contains(r.err, "enrolled: agent"));
  // It was readable by others while it held the token: said so.
  CHECK(contains(r.err, "chmod 600 " + config.string()));
  CHECK(contains(r.err, "removed the enrolment token from " + config.string()));
  auto after = util::readFile(config).value_or("");
  CHECK(after == head + "collector=" + collector.address + "\n" + tail);
  CHECK_FALSE(contains(after, token));
  CHECK(modeOf(config) == 0600);

  // The next start does not miss the token: enrolled, it only reports.
  auto again = runOnce(state, config);
  INFO(again.err);
  CHECK(again.exitCode == 0);
  CHECK_FALSE(contains(again.err, "enrolled: agent"));
  CHECK(util::readFile(config).value_or("") == after);
  fs::remove_all(state);
  fs::remove_all(dir);
}

TEST_CASE("agent.conf without ca_fingerprint is refused with the reason, unless trust_on_first_use=yes") {
  CollectorProcess collector;
  std::string token = collector.createToken("BS-VP");
  std::string dir = test::makeTempDir("posture-conf-");
  fs::path config = fs::path(dir) / "agent.conf";
  std::string settings = "collector=" + collector.address + "\ntoken=" + token + "\n";
  util::writeFileAtomic(config, settings, 0600);
  std::string state = test::makeTempDir("posture-agent-");

  auto refused = runOnce(state, config);
  INFO(refused.err);
  CHECK(refused.exitCode == 3);  // a person must act: the unit does not restart
  CHECK(contains(refused.err, "không đăng ký: chưa có dấu vân tay CA"));
  CHECK(contains(refused.err, "ca_fingerprint="));
  CHECK(contains(refused.err, "trust_on_first_use=yes"));
  CHECK_FALSE(fs::exists(fs::path(state) / "agent.conf"));
  CHECK(contains(util::readFile(config).value_or(""), "token=" + token));  // kept to try again

  util::writeFileAtomic(config, settings + "trust_on_first_use=yes\n", 0600);
  auto tofu = runOnce(state, config);
  INFO(tofu.err);
  REQUIRE(tofu.exitCode == 0);
  CHECK(contains(tofu.err, "trusted the collector CA on first use: " + collector.caFingerprint));
  CHECK(util::readFile(config).value_or("") == "collector=" + collector.address + "\ntrust_on_first_use=yes\n");
  fs::remove_all(state);
  fs::remove_all(dir);
}

TEST_CASE("enroll takes the token from a file or from standard input") {
  CollectorProcess collector;
  std::string dir = test::makeTempDir("posture-token-");
  fs::path file = fs::path(dir) / "token";
  std::string state = test::makeTempDir("posture-agent-");
  auto enrollWithFile = [&] {
    fs::remove_all(state);
    return util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address, "--token-file",
                             file.string(), "--state-dir", state, "--ca-fingerprint", collector.caFingerprint},
                            std::chrono::seconds(60));
  };

  SUBCASE("a file only its owner can read") {
    util::writeFileAtomic(file, collector.createToken("BS-VP") + "\n", 0600);
    auto r = enrollWithFile();
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK(contains(r.out, "in unit BS-VP"));
    CHECK_FALSE(contains(r.err, "readable by other users"));
  }
  SUBCASE("a file others can read: used, with a warning") {
    util::writeFileAtomic(file, collector.createToken("BS-VP"), 0644);
    auto r = enrollWithFile();
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK(contains(r.err, file.string() + " is readable by other users of this machine (chmod 600"));
    CHECK(contains(r.err, "người dùng khác trên máy này đọc được " + file.string()));
  }
  SUBCASE("an empty file") {
    util::writeFileAtomic(file, "\n", 0600);
    auto r = enrollWithFile();
    CHECK(r.exitCode == 1);
    CHECK(contains(r.err, "is empty"));
  }
  SUBCASE("standard input, with --token -") {
    util::writeFileAtomic(file, collector.createToken("BS-VP") + "\n", 0600);
    auto r = util::runProcess({"sh", "-c", "exec \"$0\" enroll --collector \"$1\" --state-dir \"$2\" "
                                           "--ca-fingerprint \"$3\" --token - < \"$4\"",
                               POSTURE_AGENT_BIN, collector.address, state, collector.caFingerprint, file.string()},
                              std::chrono::seconds(60));
    INFO(r.err);
    CHECK(r.exitCode == 0);
    CHECK(contains(r.out, "in unit BS-VP"));
  }
  SUBCASE("both --token and --token-file") {
    util::writeFileAtomic(file, "x", 0600);
    auto r = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address, "--token", "x",
                               "--token-file", file.string(), "--state-dir", state, "--ca-fingerprint",
                               collector.caFingerprint});
    CHECK(r.exitCode == 2);
    CHECK(contains(r.err, "not both"));
  }
  fs::remove_all(state);
  fs::remove_all(dir);
}
