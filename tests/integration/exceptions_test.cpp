// Exceptions (issue 17) through the command line and a running collector with a real agent:
// `exceptions add` refuses each bad field by name; a recorded exception removes the alert at
// the next tick and the export carries it in "Ngoại lệ / Exception"; when its day ends
// (00:00 UTC+7) the alert comes back on its own, without a restart. The clock: every program
// runs under libfaketime (Debian's package faketime; the test is skipped without it), which
// reads its offset from a file the test writes. The shifted day ends an hour after the
// collector starts; once the exception is recorded and exported, the test moves every
// program's clock to a few seconds before that midnight, rather than waiting for it.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "common/util/process.h"
#include "common/util/time.h"
#include "tests/integration/child_process.h"
#include "tests/support/faketime.h"

using namespace posture;
namespace fs = std::filesystem;

namespace {
// Seconds from the collector's start to the end of the (shifted) Vietnam day: enrolment, one
// report, the first evaluations and the command line fit well within it, on any machine.
constexpr std::int64_t kMargin = 3600;
// Where the clock is moved once the exception is recorded: this many seconds before midnight.
constexpr std::int64_t kBeforeMidnight = 8;

struct Alert {
  std::string id, status, rule, subject;
};

std::vector<Alert> parseAlerts(const std::string& out) {
  std::vector<Alert> alerts;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> cols;
    std::istringstream fields(line);
    std::string f;
    while (std::getline(fields, f, '\t')) cols.push_back(f);
    if (cols.size() >= 6) alerts.push_back({cols[0], cols[1], cols[4], cols[5]});
  }
  return alerts;
}

template <typename Pred>
bool waitFor(Pred pred, int seconds) {
  for (int i = 0; i < seconds * 2; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return pred();
}
}  // namespace

TEST_CASE(
    "CLI and a running collector: an exception removes the alert, the export shows it, its expiry "
    "brings it back") {
  // libfaketime preloaded straight into each program (not the `faketime` wrapper, which forks:
  // a SIGTERM would stop the wrapper and leave the collector running).
  const std::string lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
  if (!fs::exists(lib)) {
    MESSAGE("skipped: no " << lib << " (apt-get install faketime)");
    return;
  }
  // The shift: the collector starts kMargin seconds before a Vietnam midnight.
  std::int64_t real = util::unixNow();
  std::int64_t end =
      (util::vietnamDay(real + kMargin) + 1) * util::kSecondsPerDay - util::kVietnamOffsetSeconds;
  std::int64_t shift = end - kMargin - real;
  REQUIRE(shift >= 0);
  // libfaketime reads the offset from this file (FAKETIME would take priority over it, so it is
  // not set) and reads it again at most a second after it changes.
  std::string clockDir = test::makeTempDir("posture-clock-");
  const std::string clockFile = clockDir + "/faketimerc";
  auto setShift = [&](std::int64_t seconds) {
    std::ofstream(clockFile + ".tmp") << "+" << seconds << "\n";
    fs::rename(clockFile + ".tmp", clockFile);
  };
  setShift(shift);
  // Under AddressSanitizer a preloaded library needs two options.
  std::string asan = test::asanOptionsUnderFaketime();
  std::vector<std::string> clock = {"/usr/bin/env",
                                    "ASAN_OPTIONS=" + asan,
                                    "LD_PRELOAD=" + lib,
                                    "FAKETIME_TIMESTAMP_FILE=" + clockFile,
                                    "FAKETIME_CACHE_DURATION=1",
                                    "FAKETIME_DONT_FAKE_MONOTONIC=1"};
  auto run = [&](std::vector<std::string> args, int seconds = 30) {
    std::vector<std::string> argv = clock;
    argv.insert(argv.end(), args.begin(), args.end());
    return util::runProcess(argv, std::chrono::seconds(seconds));
  };
  std::int64_t today = util::vietnamDay(real + shift);  // the shifted day, ending at `end`

  test::Launch launch;
  launch.prefix = clock;
  test::CollectorProcess collector({}, {}, launch);  // it evaluates every second
  const std::string dir = collector.dataDir;
  std::string state = test::makeTempDir("posture-agent-");
  auto enrolled = run({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address, "--token",
                       collector.createToken("BS", 1, "48h"), "--state-dir", state,
                       "--ca-fingerprint", collector.caFingerprint},
                      60);
  INFO(enrolled.err);
  REQUIRE(enrolled.exitCode == 0);
  REQUIRE(run({POSTURE_AGENT_BIN, "run", "--state-dir", state, "--once"}, 120).exitCode == 0);

  // An open alert of one of the machine's failing checks under the Bình Sơn plan (which one
  // depends on this machine: no anti-malware, pending updates, IPv6, ...).
  auto openAlerts = [&] {
    return parseAlerts(
        run({POSTURE_COLLECTOR_BIN, "alerts", "list", "--expand", "--data-dir", dir, "--lang", "en"}).out);
  };
  Alert target;
  REQUIRE(waitFor(
      [&] {
        for (const auto& a : openAlerts()) {
          if (a.rule.starts_with("binh-son-2022/") && a.subject.starts_with("endpoint:")) {
            target = a;
            return true;
          }
        }
        return false;
      },
      30));
  std::string agent = target.subject.substr(9);
  auto isOpen = [&] {
    for (const auto& a : openAlerts())
      if (a.rule == target.rule && a.subject == target.subject) return true;
    return false;
  };

  // Bad input: each field refused by name (exit 2), nothing stored.
  const std::string expires = util::formatDate(today);
  std::vector<std::string> good = {POSTURE_COLLECTOR_BIN,
                                   "exceptions",
                                   "add",
                                   "--data-dir",
                                   dir,
                                   "--endpoint",
                                   agent,
                                   "--rule",
                                   target.rule,
                                   "--justification",
                                   "máy điều khiển thiết bị chuyên dụng",
                                   "--approver",
                                   "Chủ tịch UBND xã",
                                   "--document",
                                   "15/QĐ-UBND",
                                   "--expires",
                                   expires};
  // `good` with one option's value replaced, added, or (value "-") left out.
  auto with = [&](const std::string& option, const std::string& value) {
    std::vector<std::string> argv;
    bool seen = false;
    for (std::size_t i = 0; i < good.size(); ++i) {
      if (good[i] == "--" + option) {
        seen = true;
        if (value != "-") {
          argv.push_back(good[i]);
          argv.push_back(value);
        }
        ++i;
      } else {
        argv.push_back(good[i]);
      }
    }
    if (!seen) {
      argv.push_back("--" + option);
      argv.push_back(value);
    }
    return argv;
  };
  const std::pair<std::vector<std::string>, std::string> bad[] = {
      {with("expires", "-"), "--expires"},           // missing
      {with("expires", "2020-01-01"), "--expires"},  // in the past
      {with("expires", "31-12-2099"), "--expires"},  // not a date
      {with("rule", "binh-son-2022/no-such-check"), "--rule"},
      {with("endpoint", "no-such-host"), "--endpoint"},
      {with("unit", "NOPE"), "--unit"},  // both an endpoint and a unit
      {with("approver", " "), "--approver"},
      {with("justification", "-"), "--justification"},
      {with("document", "-"), "--document"},
  };
  for (const auto& entry : bad) {
    // Named, not a structured binding: clang 14 cannot capture one (CAPTURE, INFO).
    const auto& argv = entry.first;
    const auto& field = entry.second;
    auto r = run(argv);
    CAPTURE(field);
    CAPTURE(r.err);
    CHECK(r.exitCode == 2);
    CHECK(r.err.find(field + ":") != std::string::npos);
  }
  CHECK(run({POSTURE_COLLECTOR_BIN, "exceptions", "list", "--data-dir", dir, "--all"}).out.empty());

  // Recorded until the end of today (the shifted day): the alert goes at the next tick.
  REQUIRE_MESSAGE(util::unixNow() + shift < end - 10,
                  "the machine was too slow to record before midnight");
  auto added = run(good);
  INFO(added.err);
  REQUIRE(added.exitCode == 0);
  CHECK(added.out.find("15/QĐ-UBND") != std::string::npos);
  CHECK(waitFor([&] { return !isOpen(); }, 20));
  auto listed =
      run({POSTURE_COLLECTOR_BIN, "exceptions", "list", "--data-dir", dir, "--lang", "en"}).out;
  CHECK(listed.find("active") != std::string::npos);
  CHECK(listed.find(target.rule) != std::string::npos);
  auto audit = run({POSTURE_COLLECTOR_BIN, "audit", "list", "--data-dir", dir}).out;
  CHECK(audit.find("exception.add") != std::string::npos);

  // The auditor's export: the column and the reference.
  std::string csv = dir + "/list.csv";
  auto exported = run(
      {POSTURE_COLLECTOR_BIN, "export", "--data-dir", dir, "--format", "csv", "--out", csv}, 60);
  INFO(exported.err);
  REQUIRE(exported.exitCode == 0);
  std::ifstream in(csv);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("Ngoại lệ / Exception") != std::string::npos);
  CHECK(text.find(target.rule + ": VB 15/QĐ-UBND") != std::string::npos);

  // Still before midnight: the exception holds. Then every clock moves to kBeforeMidnight
  // seconds before midnight.
  REQUIRE_MESSAGE(util::unixNow() + shift < end - 10,
                  "the machine was too slow to export before midnight");
  CHECK_FALSE(isOpen());
  shift = end - kBeforeMidnight - util::unixNow();
  setShift(shift);

  // Midnight in Vietnam: the exception has expired, the alert is back without a restart.
  CHECK_MESSAGE(waitFor([&] { return isOpen(); }, static_cast<int>(kBeforeMidnight) + 30),
                "the alert did not come back after the exception expired");
  CHECK(util::unixNow() + shift >= end);
  auto after =
      run({POSTURE_COLLECTOR_BIN, "exceptions", "list", "--data-dir", dir, "--all", "--lang", "en"})
          .out;
  CHECK(after.find("expired") != std::string::npos);
  CHECK(run({POSTURE_COLLECTOR_BIN, "exceptions", "list", "--data-dir", dir}).out.empty());
  fs::remove_all(state);
  fs::remove_all(clockDir);
}
