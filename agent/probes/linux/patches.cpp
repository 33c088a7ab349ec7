#include "agent/probes/patches.h"

#include <ctime>
#include <filesystem>
#include <system_error>

#include "common/util/files.h"
#include "agent/probes/parsers/apt.h"
#include "agent/probes/parsers/text.h"
#include "common/util/process.h"

namespace posture::agent {
namespace {

// The newest entries are at the end of the logs; their tail is enough.
constexpr std::size_t kLogTail = 4 * 1024 * 1024;

std::optional<std::int64_t> localToUnix(const parsers::LocalDateTime& t) {
  std::tm tm{};
  tm.tm_year = t.year - 1900;
  tm.tm_mon = t.month - 1;
  tm.tm_mday = t.day;
  tm.tm_hour = t.hour;
  tm.tm_min = t.minute;
  tm.tm_sec = t.second;
  tm.tm_isdst = -1;  // the logs write local wall time; let the zone rules decide
  std::time_t v = std::mktime(&tm);
  if (v == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

std::optional<std::int64_t> mtime(const std::filesystem::path& p) {
  std::error_code ec;
  auto t = std::filesystem::last_write_time(p, ec);
  if (ec) return std::nullopt;
  auto sys = std::chrono::file_clock::to_sys(t);
  return std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
}

// apt updates the success stamp only when APT::Periodic runs; a manual `apt update`
// refreshes the list files instead.
std::optional<std::int64_t> lastCheckTime() {
  if (auto t = mtime("/var/lib/apt/periodic/update-success-stamp")) return t;
  std::optional<std::int64_t> newest;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/var/lib/apt/lists", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->path().filename() == "lock") continue;
    auto t = mtime(it->path());
    if (t && (!newest || *t > *newest)) newest = t;
  }
  return newest;
}

std::optional<std::int64_t> lastInstallTime() {
  std::optional<parsers::LocalDateTime> newest;
  auto consider = [&](std::optional<parsers::LocalDateTime> t) {
    if (t && (!newest || *t > *newest)) newest = t;
  };
  if (auto h = util::readTail("/var/log/apt/history.log", kLogTail)) consider(parsers::newestAptHistoryEnd(*h));
  if (auto d = util::readTail("/var/log/dpkg.log", kLogTail)) consider(parsers::newestDpkgInstall(*d));
  if (!newest) return std::nullopt;
  return localToUnix(*newest);
}

std::string firstLine(const std::string& text) {
  auto l = parsers::lines(text);
  for (auto line : l) {
    if (!parsers::trim(line).empty()) return std::string(parsers::trim(line));
  }
  return {};
}

}  // namespace

PatchesResult probePatches(const ProbeContext& context) {
  PatchesResult r;
  if (util::findExecutable("apt-get").empty()) {
    r.outcome.fail(ProbeStatus::Unavailable, "apt-get not found");
    return r;
  }
  r.source = "apt-get -s upgrade";

  auto deadline = std::chrono::steady_clock::now() + context.budget;
  auto remaining = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  };
  // Simulation only: it never changes the system, and NoLocking lets it run beside a
  // running apt and without root.
  auto sim = util::runProcess({"apt-get", "-s", "-o", "Debug::NoLocking=1", "upgrade"}, context.budget);
  if (!sim.started || sim.timedOut || sim.exitCode != 0) {
    std::string why = !sim.error.empty() ? sim.error : firstLine(sim.err);
    if (why.empty()) why = "exit code " + std::to_string(sim.exitCode);
    r.outcome.fail(ProbeStatus::Error, "apt-get -s upgrade failed: " + why);
  } else {
    auto plan = parsers::parseAptUpgradeSimulation(sim.out);
    r.pendingUpdates = static_cast<std::uint32_t>(plan.packages.size() + plan.malformed.size());
    if (plan.malformed.empty()) {
      std::uint32_t security = 0;
      for (const auto& p : plan.packages) security += p.security ? 1 : 0;
      r.pendingSecurityUpdates = security;
    } else {
      r.outcome.note("security updates not counted: unrecognised line '" + plan.malformed.front() + "'");
    }
  }

  r.lastInstallTime = lastInstallTime();
  if (!r.lastInstallTime) {
    r.outcome.note("no install found in /var/log/apt/history.log or /var/log/dpkg.log");
  }
  r.lastCheckTime = lastCheckTime();
  if (!r.lastCheckTime) r.outcome.note("package lists have never been downloaded");

  std::error_code ec;
  r.rebootRequired = std::filesystem::exists("/var/run/reboot-required", ec) ? Tristate::On : Tristate::Off;

  auto left = remaining();
  if (left.count() <= 0) {
    r.outcome.note("automatic updates unknown: time budget spent before apt-config dump");
    return r;
  }
  auto conf = util::runProcess({"apt-config", "dump"}, left);
  if (!conf.started || conf.timedOut || conf.exitCode != 0) {
    r.outcome.note("automatic updates unknown: apt-config dump failed" +
                   (conf.error.empty() ? std::string() : ": " + conf.error));
  } else {
    auto kv = parsers::parseAptConfigDump(conf.out);
    auto it = kv.find("APT::Periodic::Unattended-Upgrade");
    bool configured = it != kv.end() && !it->second.empty() && it->second != "0";
    bool installed = !util::findExecutable("unattended-upgrade").empty();
    r.automaticUpdates = configured && installed ? Tristate::On : Tristate::Off;
  }
  return r;
}

}  // namespace posture::agent
