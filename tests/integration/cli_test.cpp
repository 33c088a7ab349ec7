// The command line as a new user meets it: --version on both programs, --help on every
// command of their usage (answered without doing anything), and a --state-dir that does
// not exist yet.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/integration/child_process.h"

using namespace posture;
namespace fs = std::filesystem;

namespace {
// The words of every command line of a usage text: "  PROGRAM WORDS [OPTIONS|ARGS]".
std::vector<std::vector<std::string>> commandsOf(const std::string& usage, const std::string& program) {
  std::vector<std::vector<std::string>> out;
  std::istringstream lines(usage);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("  " + program + " ")) continue;
    std::istringstream words(line.substr(program.size() + 3));
    std::vector<std::string> cmd;
    std::string w;
    while (words >> w && !w.empty() && std::islower(static_cast<unsigned char>(w[0]))) {
      cmd.push_back(w.substr(0, w.find('|')));  // "add|set": the first alternative
    }
    if (!cmd.empty()) out.push_back(cmd);
  }
  return out;
}
}  // namespace

TEST_CASE("--version on both programs; --help on every command of their usage") {
  for (std::string bin : {POSTURE_COLLECTOR_BIN, POSTURE_AGENT_BIN}) {
    std::string program = fs::path(bin).filename().string();
    CAPTURE(program);
    auto version = util::runProcess({bin, "--version"});
    CHECK(version.exitCode == 0);
    CHECK(version.out.starts_with(program + " "));
    auto help = util::runProcess({bin, "--help"});
    REQUIRE(help.exitCode == 0);
    auto commands = commandsOf(help.out, program);
    CHECK(commands.size() >= (program == "posture-collector" ? 25u : 3u));
    for (const auto& words : commands) {
      if (words[0] == "service") continue;  // the Windows service entry point (Wine tests)
      std::vector<std::string> argv{bin};
      argv.insert(argv.end(), words.begin(), words.end());
      argv.push_back("--help");
      std::string name;
      for (const auto& w : words) name += " " + w;
      CAPTURE(name);
      // `serve --help` and `run --help` must answer, not start serving.
      auto r = util::runProcess(argv, std::chrono::seconds(20));
      CHECK_FALSE(r.timedOut);
      CHECK(r.exitCode == 0);
      CHECK(r.out.find(program + name) != std::string::npos);
    }
  }
}

TEST_CASE("collect --json --state-dir DIR makes DIR (0700) and keeps its apt plan cache there") {
  std::string parent = test::makeTempDir("posture-cli-");
  fs::path dir = fs::path(parent) / "new" / "state";
  ::umask(0);
  auto r = util::runProcess({POSTURE_AGENT_BIN, "collect", "--json", "--state-dir", dir.string()},
                            std::chrono::seconds(120));
  ::umask(022);
  INFO(r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.err.find("cannot create") == std::string::npos);
  REQUIRE(fs::is_directory(dir));
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  if (fs::exists("/usr/bin/apt-get")) CHECK(fs::exists(dir / "apt-plan.cache"));
  fs::remove_all(parent);
}

TEST_CASE("a command that reads a collector's data refuses a data directory without it") {
  std::string parent = test::makeTempDir("posture-cli-");
  std::string missing = parent + "/typo";
  for (std::vector<std::string> cmd : {std::vector<std::string>{"status"}, {"alerts", "list"},
                                       {"agent", "list"}, {"audit", "list"}, {"token", "list"}}) {
    std::vector<std::string> argv{POSTURE_COLLECTOR_BIN};
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    argv.insert(argv.end(), {"--data-dir", missing, "--policies", POSTURE_SOURCE_DIR "/policies"});
    if (cmd[0] != "status") argv.resize(argv.size() - 2);
    auto r = util::runProcess(argv, std::chrono::seconds(30));
    CAPTURE(cmd[0]);
    CHECK(r.exitCode == 1);
    CHECK(r.err.find("posture.db is missing") != std::string::npos);
    CHECK_FALSE(fs::exists(missing));
  }
  fs::remove_all(parent);
}

TEST_CASE("status without --policies evaluates with the policies the collector on that data directory serves") {
  // Only one policy of the shipped ones, so that the default location cannot pass for it.
  std::string policies = test::makeTempDir("posture-policies-");
  fs::copy_file(POSTURE_SOURCE_DIR "/policies/binh-son-2022.yaml", policies + "/binh-son-2022.yaml");
  test::CollectorProcess collector({}, policies);
  collector.stop();
  auto recorded = util::readFile(fs::path(collector.dataDir) / "policy-dir");
  REQUIRE(recorded);
  CHECK(*recorded == fs::path(policies).lexically_normal().string() + "\n");
  auto r = util::runProcess({POSTURE_COLLECTOR_BIN, "status", "--data-dir", collector.dataDir,
                             "--lang", "en"},
                            std::chrono::seconds(60));
  INFO(r.err);
  CHECK(r.exitCode == 0);
  CHECK(r.out.find("Policy binh-son-2022") != std::string::npos);
  CHECK(r.out.find("Policy an-khuong") == std::string::npos);
  fs::remove_all(policies);
}
