#include "agent/probes/patches.h"

#include <sys/utsname.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "agent/probes/apt_plan_cache.h"
#include "agent/probes/parsers/apt.h"
#include "agent/probes/parsers/dnf.h"
#include "agent/probes/parsers/kernel_release.h"
#include "agent/probes/parsers/key_value.h"
#include "agent/probes/parsers/text.h"
#include "common/util/deadline.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "common/util/time.h"

namespace posture::agent {
namespace {

using util::failureReason;
using util::succeeded;

// The newest entries are at the end of the logs; their tail is enough.
constexpr std::size_t kLogTail = 4 * 1024 * 1024;
// Origin, Label, Suite, Codename and Version come before the (long) checksum lists.
constexpr std::size_t kReleaseHead = 16 * 1024;

using Clock = std::chrono::steady_clock;

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

std::vector<std::filesystem::path> listDir(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// apt updates the success stamp only when APT::Periodic runs; a manual `apt update`
// refreshes the list files instead.
std::optional<std::int64_t> aptLastCheckTime() {
  if (auto t = mtime("/var/lib/apt/periodic/update-success-stamp")) return t;
  std::optional<std::int64_t> newest;
  for (const auto& p : listDir("/var/lib/apt/lists")) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec) || p.filename() == "lock") continue;
    auto t = mtime(p);
    if (t && (!newest || *t > *newest)) newest = t;
  }
  return newest;
}

std::optional<std::int64_t> aptLastInstallTime() {
  std::optional<parsers::LocalDateTime> newest;
  auto consider = [&](std::optional<parsers::LocalDateTime> t) {
    if (t && (!newest || *t > *newest)) newest = t;
  };
  if (auto h = util::readTail("/var/log/apt/history.log", kLogTail))
    consider(parsers::newestAptHistoryEnd(*h));
  if (auto d = util::readTail("/var/log/dpkg.log", kLogTail))
    consider(parsers::newestDpkgInstall(*d));
  if (!newest) return std::nullopt;
  return localToUnix(*newest);
}

std::vector<parsers::AptRelease> aptReleases() {
  std::vector<parsers::AptRelease> out;
  for (const auto& p : listDir("/var/lib/apt/lists")) {
    auto name = p.filename().string();
    if (!name.ends_with("_InRelease") && !name.ends_with("_Release")) continue;
    auto text = util::readFile(p, kReleaseHead);
    if (!text) continue;
    if (auto r = parsers::parseAptRelease(*text)) out.push_back(std::move(*r));
  }
  return out;
}

std::string osCodename() {
  for (const char* path : {"/etc/os-release", "/usr/lib/os-release"}) {
    if (auto text = util::readFile(path, 64 * 1024)) {
      auto kv = parsers::parseKeyValue(*text);
      auto it = kv.find("VERSION_CODENAME");
      // Ubuntu also names it UBUNTU_CODENAME; both agree when present.
      if (it == kv.end() || it->second.empty()) it = kv.find("UBUNTU_CODENAME");
      return it == kv.end() ? std::string() : it->second;
    }
  }
  return {};
}

// /var/run/reboot-required is Debian's own signal (update-notifier, needrestart and the
// kernel packages' hooks write it); a kernel newer than the running one is the signal every
// distribution shares.
void readRebootRequired(PatchesResult& r) {
  struct utsname u {};
  if (::uname(&u) == 0) r.runningKernel = u.release;
  std::error_code ec;
  bool flagged = std::filesystem::exists("/var/run/reboot-required", ec);

  std::vector<std::string> installed;
  if (auto status = util::readFile("/var/lib/dpkg/status", 64 * 1024 * 1024)) {
    installed = parsers::installedKernelsFromDpkgStatus(*status);
  }
  std::vector<std::string> bootFiles;
  for (const auto& p : listDir("/boot")) bootFiles.push_back(p.filename().string());
  for (auto& k : parsers::kernelsFromBootFiles(bootFiles)) installed.push_back(std::move(k));

  if (!r.runningKernel.empty()) {
    if (auto newer = parsers::newerKernel(r.runningKernel, installed)) r.newestKernel = *newer;
  }
  if (flagged) {
    r.rebootRequired = Tristate::On;
  } else if (!r.newestKernel.empty()) {
    r.rebootRequired = Tristate::On;
    r.outcome.note("running kernel " + r.runningKernel + " is older than installed " +
                   r.newestKernel);
  } else {
    r.rebootRequired = Tristate::Off;
  }
}

// The expensive part of the apt probe: the upgrade simulation and apt's configuration.
// Returns nullopt (with the reason in r.outcome) when the simulation failed.
std::optional<AptPlan> computeAptPlan(Clock::time_point deadline, PatchesResult& r) {
  // dist-upgrade, not upgrade: Debian and Ubuntu ship kernel security fixes as new
  // linux-image-<abi> packages, which `upgrade` keeps back. A simulation never changes the
  // system, and NoLocking lets it run beside a running apt and without root.
  auto sim = util::runProcess({"apt-get", "-s", "-o", "Debug::NoLocking=1", "dist-upgrade"},
                              util::remaining(deadline));
  if (!sim.started || sim.timedOut || sim.exitCode != 0) {
    r.outcome.fail(ProbeStatus::Error, "apt-get -s dist-upgrade failed: " + failureReason(sim));
    return std::nullopt;
  }
  AptPlan plan;
  plan.computedAt = util::unixNow();
  auto parsed = parsers::parseAptUpgradeSimulation(sim.out);
  plan.pending = static_cast<std::uint32_t>(parsed.packages.size() + parsed.malformed.size());
  auto codename = osCodename();
  auto fallbacks = parsers::classifySecurity(parsed, aptReleases(), codename);
  if (!parsed.malformed.empty()) {
    plan.notes.push_back("security updates not counted: unrecognised line '" +
                         parsed.malformed.front() + "'");
  } else {
    std::uint32_t security = 0;
    for (const auto& p : parsed.packages) security += p.security ? 1 : 0;
    plan.security = security;
    if (codename.empty() && !parsed.packages.empty()) {
      plan.notes.push_back(
          "no VERSION_CODENAME in os-release; security origins told by label and suite");
    } else if (fallbacks > 0) {
      plan.notes.push_back(
          std::to_string(fallbacks) +
          " origin(s) without a Release file in /var/lib/apt/lists; told by label and suite");
    }
  }

  auto remaining = util::remaining(deadline);
  if (remaining.count() <= 0) {
    plan.notes.push_back("automatic updates unknown: time budget spent before apt-config dump");
    return plan;
  }
  auto conf = util::runProcess({"apt-config", "dump"}, remaining);
  if (!conf.started || conf.timedOut || conf.exitCode != 0) {
    plan.notes.push_back("automatic updates unknown: apt-config dump failed: " +
                         failureReason(conf));
  } else {
    auto kv = parsers::parseAptConfigDump(conf.out);
    auto it = kv.find("APT::Periodic::Unattended-Upgrade");
    bool configured = it != kv.end() && !it->second.empty() && it->second != "0";
    bool installed = !util::findExecutable("unattended-upgrade").empty();
    plan.automaticUpdates = configured && installed ? Tristate::On : Tristate::Off;
  }
  return plan;
}

// A cached plan is reused for a day at most, even with every input unchanged.
constexpr std::int64_t kPlanMaxAge = util::kSecondsPerDay;

void probeApt(const ProbeContext& context, Clock::time_point deadline, PatchesResult& r) {
  r.source = "apt-get -s dist-upgrade";
  std::optional<AptPlan> plan;
  std::vector<std::string> inputs;
  std::filesystem::path cacheFile;
  if (!context.cacheDir.empty()) {
    cacheFile = context.cacheDir / "apt-plan.cache";
    inputs = aptInputFingerprint();
    if (auto text = util::readFile(cacheFile, 1024 * 1024)) {
      plan = parseAptPlan(*text, inputs, util::unixNow(), kPlanMaxAge);
      if (plan) r.source += " (cached: apt state unchanged since " + util::formatIso8601(plan->computedAt) + ")";
    }
  }
  if (!plan) {
    plan = computeAptPlan(deadline, r);
    if (plan && !cacheFile.empty()) {
      // The inputs are read again: a package manager that ran during the simulation
      // must not have its change hidden behind a plan computed from the old state.
      if (aptInputFingerprint() == inputs) {
        try {
          util::writeFileAtomic(cacheFile, serializeAptPlan(*plan, inputs), 0600);
        } catch (const std::exception& e) {
          r.outcome.note(std::string("upgrade plan not cached: ") + e.what());
        }
      }
    }
  }
  if (plan) {
    r.pendingUpdates = plan->pending;
    r.pendingSecurityUpdates = plan->security;
    r.automaticUpdates = plan->automaticUpdates;
    for (const auto& n : plan->notes) r.outcome.note(n);
  }

  r.lastInstallTime = aptLastInstallTime();
  if (!r.lastInstallTime)
    r.outcome.note("no install found in /var/log/apt/history.log or /var/log/dpkg.log");
  r.lastCheckTime = aptLastCheckTime();
  if (!r.lastCheckTime) r.outcome.note("package lists have never been downloaded");
  readRebootRequired(r);
}

void probeDnf(Clock::time_point deadline, PatchesResult& r) {
  // -C (cache only): like apt-get -s, read what the last metadata refresh knew, offline.
  r.source = "dnf -C check-update";
  auto check = util::runProcess({"dnf", "-q", "-C", "check-update"}, util::remaining(deadline));
  // check-update exits 100 when updates are available, 0 when none, 1 on error.
  if (!check.started || check.timedOut || (check.exitCode != 0 && check.exitCode != 100)) {
    r.outcome.fail(ProbeStatus::Error, "dnf check-update failed: " + failureReason(check));
  } else {
    auto list = parsers::parseDnfCheckUpdate(check.exitCode == 0 ? std::string() : check.out);
    r.pendingUpdates = static_cast<std::uint32_t>(list.updates.size() + list.malformed.size());
    if (!list.malformed.empty()) {
      r.outcome.note("unrecognised dnf check-update line '" + list.malformed.front() + "'");
    }
    auto sec =
        util::runProcess({"dnf", "-q", "-C", "updateinfo", "list", "--security"}, util::remaining(deadline));
    if (!sec.started || sec.timedOut || sec.exitCode != 0) {
      r.outcome.note("security updates not counted: dnf updateinfo failed: " + failureReason(sec));
    } else {
      // Advisories can name packages that a newer pending build already supersedes; only
      // the pending ones count, so the security count never exceeds the pending count.
      std::uint32_t security = 0;
      for (const auto& key : parsers::parseDnfSecurityPackages(sec.out)) {
        for (const auto& u : list.updates) {
          if (u.name + "." + u.arch == key) {
            ++security;
            break;
          }
        }
      }
      r.pendingSecurityUpdates = security;
    }
  }
  r.outcome.note("last install and check times and automatic updates are not read on dnf systems");
  readRebootRequired(r);
}

}  // namespace

PatchesResult probePatches(const ProbeContext& context) {
  PatchesResult r;
  auto deadline = util::deadlineIn(context.budget);
  if (!util::findExecutable("apt-get").empty()) {
    probeApt(context, deadline, r);
  } else if (!util::findExecutable("dnf").empty()) {
    probeDnf(deadline, r);
  } else {
    r.outcome.fail(ProbeStatus::Unavailable, "neither apt-get nor dnf found");
  }
  return r;
}

}  // namespace posture::agent
