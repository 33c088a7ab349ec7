// The agent's spool against a collector that goes away: reports queue on disk, survive
// kill -9, and arrive once each, in order, when the collector is back.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <thread>

#include "common/db/sqlite.h"
#include "common/util/process.h"
#include "tests/integration/child_process.h"

using namespace posture;
namespace fs = std::filesystem;

namespace {
std::int64_t spooled(const std::string& stateDir) {
  if (!fs::exists(fs::path(stateDir) / "spool.db")) return 0;
  db::Connection conn(fs::path(stateDir) / "spool.db", db::Connection::Mode::ReadOnly);
  // The agent may have created the file and not yet its table (the sanitizer suite read it
  // in between once): nothing is queued yet.
  auto table =
      conn.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'queue'");
  table.step();
  if (table.getInt(0) == 0) return 0;
  auto st = conn.prepare("SELECT count(*) FROM queue");
  st.step();
  return st.getInt(0);
}

// Polls until pred() or the deadline; bounded so a broken agent fails the test, not CI.
template <typename Pred>
bool waitFor(Pred pred, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return pred();
}

// Worker processes (`posture-agent cycle`) running on this state directory.
int workersFor(const std::string& stateDir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find(std::string("cycle") + '\0') != std::string::npos &&
        cmd.find(stateDir + '\0') != std::string::npos)
      ++n;
  }
  return n;
}

// Listening TCP sockets (IPv4 and IPv6) that process `pid` holds: the inodes of the
// sockets in state LISTEN (0A) in /proc/net/tcp{,6} against the process's descriptors.
int listeningSockets(pid_t pid) {
  std::set<std::string> listening;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string sl, local, remote, state, queues, timer, retransmit, uid, timeout, inode;
      fields >> sl >> local >> remote >> state >> queues >> timer >> retransmit >> uid >> timeout >> inode;
      if (state == "0A") listening.insert(inode);
    }
  }
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code linkEc;
    auto target = fs::read_symlink(e.path(), linkEc).string();  // "socket:[INODE]"
    if (target.starts_with("socket:[") && listening.count(target.substr(8, target.size() - 9))) ++n;
  }
  return n;
}

// Whether process `pid` has `file` open.
bool holdsOpen(pid_t pid, const fs::path& file) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code linkEc;
    if (fs::read_symlink(e.path(), linkEc) == file) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("reports queued while the collector is down survive kill -9 and arrive once, in order") {
  test::CollectorProcess collector;
  std::string token = collector.createToken("BS-VP");
  std::string state = test::makeTempDir("posture-agent-");
  auto enrol = util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address,
                                 "--token", token, "--state-dir", state,
                                 "--ca-fingerprint", collector.caFingerprint});
  REQUIRE(enrol.exitCode == 0);
  collector.stop();

  // The agent collects every second while nothing answers.
  std::vector<std::string> run = {POSTURE_AGENT_BIN, "run", "--state-dir", state, "--interval", "1s"};
  {
    test::ChildProcess agent(run);
    REQUIRE_MESSAGE(waitFor([&] { return spooled(state) >= 3; }, std::chrono::seconds(120)),
                    "the agent did not queue 3 reports while the collector was down");
    agent.kill9();
  }
  // The supervisor's worker does not outlive it (PR_SET_PDEATHSIG).
  CHECK_MESSAGE(waitFor([&] { return workersFor(state) == 0; }, std::chrono::seconds(60)),
                "a collection worker outlived its supervisor");
  std::int64_t queuedAtKill = spooled(state);
  CHECK(queuedAtKill >= 3);

  // Another agent on the same state directory is refused while one runs.
  test::ChildProcess agent(run);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto second = util::runProcess({POSTURE_AGENT_BIN, "run", "--state-dir", state, "--once"});
  CHECK(second.exitCode == 1);
  CHECK(second.err.find("another posture-agent") != std::string::npos);

  collector.start();
  auto delivered = [&]() -> std::int64_t {
    db::Connection conn(fs::path(collector.dataDir) / "posture.db", db::Connection::Mode::ReadOnly);
    auto st = conn.prepare("SELECT count(*) FROM reports");
    st.step();
    return st.getInt(0);
  };
  // Back-off between retries is at most a few seconds this early.
  REQUIRE_MESSAGE(waitFor([&] { return delivered() >= queuedAtKill && spooled(state) == 0; },
                          std::chrono::seconds(120)),
                  "the spool did not drain");
  // Idle between cycles, the supervisor holds neither the spool nor a worker.
  CHECK(waitFor([&] { return workersFor(state) == 0; }, std::chrono::seconds(30)));
  CHECK_FALSE(holdsOpen(agent.pid(), fs::path(state) / "spool.db"));
  // Agents expose nothing (issue 18): the running agent holds no listening socket, where
  // the same check finds the collector's.
  CHECK(listeningSockets(collector.process->pid()) > 0);
  CHECK(listeningSockets(agent.pid()) == 0);
  CHECK(agent.stop() == 0);  // SIGTERM: a clean exit

  db::Connection conn(fs::path(collector.dataDir) / "posture.db", db::Connection::Mode::ReadOnly);
  auto st = conn.prepare("SELECT sequence FROM reports ORDER BY id");
  std::vector<std::int64_t> order;
  while (st.step()) order.push_back(st.getInt(0));
  REQUIRE(order.size() >= static_cast<std::size_t>(queuedAtKill));
  for (std::size_t i = 0; i < order.size(); ++i) {
    CHECK(order[i] == static_cast<std::int64_t>(i + 1));  // every number once, in order
  }
  fs::remove_all(state);
}
