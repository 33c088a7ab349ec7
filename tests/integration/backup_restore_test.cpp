// Backup during ingest (issue 18): the fleet simulator enrols agents and reports to a real
// collector; while a second run is sending, `posture-collector backup` copies the live
// data directory; `restore` puts it in a new directory and a collector started there (new
// port, same CA) takes the same agents' reports with no enrolment — the simulator is given
// no token — and holds every report acknowledged before the backup began.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <set>
#include <thread>
#include <utility>

#include "common/db/sqlite.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/integration/child_process.h"
#include "tests/support/temp_dir.h"

using namespace posture;
namespace fs = std::filesystem;

namespace {
constexpr const char* kPass = "sao lưu hằng đêm 2026";
constexpr int kEndpoints = 12;

using Acked = std::set<std::pair<std::string, std::int64_t>>;

Acked storedReports(const fs::path& dataDir) {
  db::Connection c(dataDir / "posture.db", db::Connection::Mode::ReadOnly);
  Acked out;
  auto st = c.prepare("SELECT agent_id, sequence FROM reports");
  while (st.step()) out.emplace(st.getText(0), st.getInt(1));
  return out;
}

std::int64_t count(const fs::path& dataDir, const char* sql) {
  db::Connection c(dataDir / "posture.db", db::Connection::Mode::ReadOnly);
  auto st = c.prepare(sql);
  REQUIRE(st.step());
  return st.getInt(0);
}

std::string field(const std::string& out, const std::string& key) {
  auto at = out.find(key + ": ");
  if (at == std::string::npos) return "";
  auto end = out.find('\n', at);
  return out.substr(at + key.size() + 2, end - at - key.size() - 2);
}

util::ProcessResult sim(const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {POSTURE_FLEET_SIM_BIN, "--endpoints", std::to_string(kEndpoints),
                                   "--concurrency", "4", "--seed", "18"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return util::runProcess(argv, std::chrono::seconds(90));
}
}  // namespace

TEST_CASE("a backup taken while agents report restores into a collector the same agents report to") {
  test::TempDir work("posture-backup-it-");
  auto pass = work.write("pass", std::string(kPass) + "\n");
  fs::permissions(pass, fs::perms::owner_read | fs::perms::owner_write);
  auto conf = work.write("collector.conf", "POSTURE_COLLECTOR_ARGS=--listen 127.0.0.1:8443\n");
  auto state = work.path() / "fleet.state";
  auto file = work.path() / "backup.p7m";

  test::CollectorProcess first;
  const std::string fingerprint = first.caFingerprint;
  // Run 1: enrolment and a first round of reports, all acknowledged.
  auto run1 = sim({"--collector", first.address, "--ca-fingerprint", fingerprint, "--unit",
                   "BS-VP=" + first.createToken("BS-VP", kEndpoints), "--reports", "2",
                   "--state-file", state.string(), "--quiet"});
  INFO(run1.err);
  REQUIRE(run1.exitCode == 0);
  REQUIRE(field(run1.out, "reports_acknowledged") == std::to_string(2 * kEndpoints));
  Acked afterRun1 = storedReports(first.dataDir);
  REQUIRE(afterRun1.size() == 2 * kEndpoints);

  // Run 2 sends for a while; the backup runs in the middle of it.
  auto run2 = std::async(std::launch::async, [&] {
    return sim({"--collector", first.address, "--ca-fingerprint", fingerprint, "--duration", "20s",
                "--state-file", state.string(), "--quiet"});
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (storedReports(first.dataDir).size() < afterRun1.size() + kEndpoints) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Committed before the backup starts: every report acknowledged so far is among them.
  Acked beforeBackup = storedReports(first.dataDir);
  auto started = std::chrono::steady_clock::now();
  auto backup = util::runProcess({POSTURE_COLLECTOR_BIN, "backup", "--data-dir", first.dataDir, "--out",
                                  file.string(), "--passphrase-file", pass.string(), "--config", conf.string()},
                                 std::chrono::seconds(90));
  auto backupMs = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  INFO(backup.err);
  REQUIRE(backup.exitCode == 0);
  MESSAGE("backup during ingest: " << backupMs.count() << " ms, " << field(backup.out, "reports") << " reports, "
                                   << field(backup.out, "bytes") << " bytes");
  Acked afterBackup = storedReports(first.dataDir);
  // Ingest went on while the backup ran (the simulator was still sending).
  CHECK(run2.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
  CHECK(afterBackup.size() > beforeBackup.size());
  auto sent = run2.get();
  INFO(sent.err);
  CHECK(sent.exitCode == 0);
  CHECK(field(sent.out, "errors") == "0");
  first.stop();

  auto verify = util::runProcess(
      {POSTURE_COLLECTOR_BIN, "backup", "verify", file.string(), "--passphrase-file", pass.string()},
      std::chrono::seconds(60));
  INFO(verify.err);
  REQUIRE(verify.exitCode == 0);
  CHECK(field(verify.out, "ca_fingerprint") == fingerprint);
  CHECK(field(verify.out, "agents") == std::to_string(kEndpoints));
  auto backedUp = std::stoll(field(verify.out, "reports"));
  CHECK(backedUp >= static_cast<long long>(beforeBackup.size()));

  fs::path restored = work.path() / "restored";
  auto restore = util::runProcess({POSTURE_COLLECTOR_BIN, "restore", "--in", file.string(), "--data-dir",
                                   restored.string(), "--passphrase-file", pass.string()},
                                  std::chrono::seconds(60));
  INFO(restore.err);
  REQUIRE(restore.exitCode == 0);
  CHECK(restore.err.find("/etc/posture/collector.conf") != std::string::npos);
  CHECK(*util::readFile(restored / "collector.conf") == *util::readFile(conf));
  // Every report acknowledged before the backup began is in the restored database.
  Acked held = storedReports(restored);
  for (const auto& r : beforeBackup) {
    CAPTURE(r.first);
    CAPTURE(r.second);
    CHECK(held.count(r) == 1);
  }
  CHECK(static_cast<long long>(held.size()) == backedUp);
  // Restoring again into the same (now full) directory is refused.
  auto again = util::runProcess({POSTURE_COLLECTOR_BIN, "restore", "--in", file.string(), "--data-dir",
                                 restored.string(), "--passphrase-file", pass.string()},
                                std::chrono::seconds(60));
  CHECK(again.exitCode == 1);
  CHECK(again.err.find(restored.string()) != std::string::npos);

  // A collector on the restored directory, on a new port, with the same CA.
  test::Launch launch;
  launch.dataDir = restored.string();
  test::CollectorProcess second({}, (restored / "policies").string(), launch);
  CHECK(second.caFingerprint == fingerprint);
  CHECK(second.address != first.address);
  // Run 3: no token at all; every agent reports with the credentials it kept.
  auto run3 = sim({"--collector", second.address, "--ca-fingerprint", fingerprint, "--reports", "1",
                   "--state-file", state.string()});
  INFO(run3.err);
  REQUIRE(run3.exitCode == 0);
  CHECK(run3.err.find("(0 enrolled") != std::string::npos);
  CHECK(field(run3.out, "reports_acknowledged") == std::to_string(kEndpoints));
  CHECK(count(restored, "SELECT count(*) FROM agents") == kEndpoints);
  CHECK(static_cast<long long>(storedReports(restored).size()) == backedUp + kEndpoints);
}
