#include "agent/probes/antivirus.h"

#include <time.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

#include "agent/probes/clamav_database.h"
#include "agent/probes/parsers/av_dpkg.h"
#include "agent/probes/parsers/av_kesl.h"
#include "agent/probes/parsers/av_mdatp.h"
#include "agent/probes/parsers/clamav.h"
#include "agent/probes/parsers/text.h"
#include "common/util/deadline.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "common/util/time.h"

namespace posture::agent {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct RunningProcess {
  std::string comm;
  std::string exe;  // empty when /proc/<pid>/exe is not readable (another user's process)
};

struct Processes {
  std::vector<RunningProcess> list;
  bool someExeUnreadable = false;

  bool hasComm(std::string_view comm) const {
    return std::any_of(list.begin(), list.end(), [&](const auto& p) { return p.comm == comm; });
  }
  // On when a process runs a program under dir; Unknown when none does but some
  // executables could not be read (the agent is not root), since one of those may.
  Tristate runsUnder(const std::string& dir) const {
    for (const auto& p : list) {
      if (p.exe.starts_with(dir + "/")) return Tristate::On;
    }
    return someExeUnreadable ? Tristate::Unknown : Tristate::Off;
  }
};

// comm is world-readable; exe needs the same user or root, so it is best effort.
Processes readProcesses(const fs::path& procDir) {
  Processes out;
  std::error_code ec;
  for (fs::directory_iterator it(procDir, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto text = util::readFile(it->path() / "comm", 256);
    if (!text) continue;
    RunningProcess p;
    p.comm = std::string(parsers::trim(*text));
    std::error_code linkEc;
    auto exe = fs::read_symlink(it->path() / "exe", linkEc);
    if (linkEc) {
      // Kernel threads have no exe at all (ENOENT); only a refusal hides a program.
      if (linkEc == std::errc::permission_denied) out.someExeUnreadable = true;
    } else {
      p.exe = exe.string();
    }
    out.list.push_back(std::move(p));
  }
  return out;
}

Tristate fromBool(std::optional<bool> b) {
  if (!b) return Tristate::Unknown;
  return *b ? Tristate::On : Tristate::Off;
}

// Runs a vendor status command within what is left of the probe budget. On failure,
// returns nullopt and notes why, naming the command.
std::optional<std::string> runStatus(const std::vector<std::string>& argv, Clock::time_point deadline,
                                     ProbeOutcome& outcome) {
  std::string shown;
  for (const auto& a : argv) shown += (shown.empty() ? "" : " ") + a;
  auto left = util::remaining(deadline);
  if (left.count() == 0) {
    outcome.note("time budget spent before " + shown);
    return std::nullopt;
  }
  auto r = util::runProcess(argv, left, 1024 * 1024);
  if (!r.started || r.timedOut || r.exitCode != 0) {
    std::string why = r.timedOut ? "timed out" : !r.error.empty() ? r.error : "exit code " + std::to_string(r.exitCode);
    auto lines = parsers::lines(r.err.empty() ? r.out : r.err);
    if (!lines.empty()) why += ": " + std::string(parsers::trim(lines.front())).substr(0, 160);
    outcome.note(shown + " failed (" + why + ")");
    return std::nullopt;
  }
  return r.out;
}

bool freshclamScheduled(const std::vector<fs::path>& places) {
  std::error_code ec;
  auto check = [](const fs::path& file) {
    if (file.filename().string().find("freshclam") != std::string::npos) return true;
    auto text = util::readFile(file, 1024 * 1024);
    return text && parsers::scheduleRunsFreshclam(*text);
  };
  for (const auto& place : places) {
    if (fs::is_directory(place, ec)) {
      for (fs::directory_iterator it(place, ec), end; !ec && it != end; it.increment(ec)) {
        if (check(it->path())) return true;
      }
    } else if (fs::exists(place, ec) && check(place)) {
      return true;
    }
  }
  return false;
}

std::string firstInstalled(const std::map<std::string, std::string>& packages,
                           std::initializer_list<const char*> names, std::string* version) {
  for (const char* n : names) {
    auto it = packages.find(n);
    if (it != packages.end()) {
      if (version) *version = it->second;
      return n;
    }
  }
  return "";
}

std::string firstExisting(std::initializer_list<const char*> paths) {
  std::error_code ec;
  for (const char* p : paths) {
    if (fs::exists(p, ec)) return p;
  }
  return "";
}

void probeClamav(const AntivirusOptions& options, const std::map<std::string, std::string>& packages,
                 const Processes& procs, AntivirusResult& r) {
  std::string version;
  auto package = firstInstalled(packages, {"clamav", "clamav-daemon", "clamav-freshclam"}, &version);
  std::string exe;
  for (const char* name : {"clamscan", "clamd", "freshclam", "clamdscan"}) {
    exe = util::findExecutable(name);
    if (!exe.empty()) break;
  }
  if (package.empty() && exe.empty()) return;

  fs::path dir = options.clamavDefaultDatabaseDir;
  std::string configUsed;
  for (const auto& conf : options.clamavConfigs) {
    auto text = util::readFile(conf, 1024 * 1024);
    if (!text) continue;
    if (auto d = parsers::clamavDatabaseDirectory(*text)) {
      dir = *d;
      configUsed = conf.string();
      break;
    }
  }

  bool clamd = procs.hasComm("clamd");
  bool clamonacc = procs.hasComm("clamonacc");
  // clamonacc only watches files; clamd scans them, so on-access needs both.
  Tristate realTime = clamonacc && clamd ? Tristate::On : Tristate::Off;
  if (clamonacc && !clamd) r.outcome.note("clamonacc is running but clamd is not: no on-access scanning");

  auto product = clamavProduct(readClamavDatabases(dir), dir, util::unixNow(), realTime, r.outcome);
  product.productVersion = version;
  product.serviceRunning = clamd ? Tristate::On : Tristate::Off;
  product.updatesScheduled =
      procs.hasComm("freshclam") || freshclamScheduled(options.schedules) ? Tristate::On : Tristate::Off;
  if (!configUsed.empty()) product.source += " (DatabaseDirectory from " + configUsed + ")";
  if (product.signatureVersion.empty()) r.outcome.note("ClamAV is installed without signatures: not protected");
  r.products.push_back(std::move(product));
}

void probeDefender(const std::map<std::string, std::string>& packages, const Processes& procs,
                   Clock::time_point deadline, AntivirusResult& r) {
  std::string version;
  bool installed = !firstInstalled(packages, {"mdatp"}, &version).empty();
  auto cli = util::findExecutable("mdatp");
  if (!installed && cli.empty() && firstExisting({"/opt/microsoft/mdatp"}).empty()) return;
  AntivirusProduct p;
  p.name = "Microsoft Defender for Endpoint";
  p.vendor = "Microsoft";
  p.productVersion = version;
  p.serviceRunning = procs.hasComm("wdavdaemon") ? Tristate::On : Tristate::Off;
  p.source = "mdatp health";
  std::optional<std::string> out;
  if (cli.empty()) {
    r.outcome.note("Microsoft Defender for Endpoint is installed but mdatp is not in PATH");
  } else {
    out = runStatus({cli, "health"}, deadline, r.outcome);
  }
  std::string error;
  auto h = out ? parsers::parseMdatpHealth(*out, &error) : std::nullopt;
  if (out && !h) r.outcome.note("mdatp health: " + error);
  if (h) {
    if (!h->appVersion.empty()) p.productVersion = h->appVersion;
    p.realTimeProtection = fromBool(h->realTimeProtectionEnabled);
    // In passive mode Defender scans but never blocks: it is not the protection.
    if (h->passiveModeEnabled == true && p.realTimeProtection == Tristate::On) {
      p.realTimeProtection = Tristate::Off;
      r.outcome.note("Microsoft Defender for Endpoint is in passive mode");
    }
    p.signatureVersion = h->definitionsVersion;
    if (h->definitionsMinutesAgo) p.signatureTime = util::unixNow() - *h->definitionsMinutesAgo * 60;
    if (h->definitionsStatus == "up_to_date") {
      p.upToDate = Tristate::On;
    } else if (!h->definitionsStatus.empty()) {
      p.upToDate = Tristate::Off;
    } else if (p.signatureTime) {
      p.upToDate = util::unixNow() - *p.signatureTime <= kClamavMaxAgeSeconds ? Tristate::On : Tristate::Off;
    }
    // An org_id means the device is onboarded to the organisation's Defender portal.
    if (h->orgId) p.managed = h->orgId->empty() ? Tristate::Off : Tristate::On;
    p.updatesScheduled = fromBool(h->automaticDefinitionUpdateEnabled);
    if (h->healthy == false) r.outcome.note("mdatp health reports healthy: false");
  }
  r.products.push_back(std::move(p));
}

void probeKaspersky(const std::map<std::string, std::string>& packages, const Processes& procs,
                    Clock::time_point deadline, AntivirusResult& r) {
  std::string version;
  bool installed = !firstInstalled(packages, {"kesl"}, &version).empty();
  auto dir = firstExisting({"/opt/kaspersky/kesl"});
  if (!installed && dir.empty()) return;
  AntivirusProduct p;
  p.name = "Kaspersky Endpoint Security for Linux";
  p.vendor = "Kaspersky";
  p.productVersion = version;
  p.serviceRunning = procs.hasComm("kesl") ? Tristate::On : Tristate::Off;
  p.source = "kesl-control --app-info";
  auto cli = util::findExecutable("kesl-control");
  if (cli.empty()) cli = firstExisting({"/opt/kaspersky/kesl/bin/kesl-control"});
  if (cli.empty()) {
    r.outcome.note("Kaspersky Endpoint Security is installed but kesl-control was not found");
  } else if (auto out = runStatus({cli, "--app-info"}, deadline, r.outcome)) {
    std::string error;
    if (auto info = parsers::parseKeslAppInfo(*out, &error)) {
      if (!info->version.empty()) p.productVersion = info->version;
      if (!info->name.empty()) p.name = info->name;
      if (auto civil = parsers::parseKeslCivilTime(info->databaseReleaseDate)) {
        // kesl-control prints the host's local time; timegm/mktime undo it.
        std::time_t t = static_cast<std::time_t>(*civil);
        std::tm tm{};
        gmtime_r(&t, &tm);
        tm.tm_isdst = -1;
        auto local = mktime(&tm);
        if (local != static_cast<std::time_t>(-1)) p.signatureTime = local;
        p.signatureVersion = info->databaseReleaseDate;
      } else if (!info->databaseReleaseDate.empty()) {
        r.outcome.note("unrecognised Kaspersky database release date '" + info->databaseReleaseDate + "'");
      }
      if (info->databasesLoaded == false) {
        p.upToDate = Tristate::Off;
        r.outcome.note("Kaspersky anti-virus databases are not loaded");
      } else if (p.signatureTime) {
        p.upToDate = util::unixNow() - *p.signatureTime <= kClamavMaxAgeSeconds ? Tristate::On : Tristate::Off;
      }
    } else {
      r.outcome.note("kesl-control --app-info: " + error);
    }
    if (auto state = runStatus({cli, "--get-task-state", "File_Threat_Protection"}, deadline, r.outcome)) {
      p.realTimeProtection = fromBool(parsers::parseKeslTaskState(*state));
      if (p.realTimeProtection == Tristate::Unknown) r.outcome.note("no State in kesl-control --get-task-state output");
    }
  }
  // Kaspersky Security Center manages the endpoint through its Network Agent.
  std::string agentVersion;
  bool agent = !firstInstalled(packages, {"klnagent64", "klnagent"}, &agentVersion).empty() ||
               !firstExisting({"/opt/kaspersky/klnagent64", "/opt/kaspersky/klnagent"}).empty();
  if (!agent) {
    p.managed = Tristate::Off;
    r.outcome.note("Kaspersky Network Agent (klnagent) is not installed: not managed by Kaspersky Security Center");
  } else if (procs.hasComm("klnagent")) {
    p.managed = Tristate::On;
  } else {
    p.managed = Tristate::Off;
    r.outcome.note("Kaspersky Network Agent is installed but klnagent is not running");
  }
  r.products.push_back(std::move(p));
}

// Products whose state is not read from a status tool: presence, version and service.
struct PresenceProduct {
  const char* name;
  const char* vendor;
  std::initializer_list<const char*> packages;
  std::initializer_list<const char*> dirs;
  const char* comm;        // daemon process name, or nullptr
  const char* installDir;  // processes running from here are its service, or nullptr
};

void probePresence(const PresenceProduct& d, const std::map<std::string, std::string>& packages,
                   const Processes& procs, AntivirusResult& r) {
  std::string version;
  auto package = firstInstalled(packages, d.packages, &version);
  auto dir = firstExisting(d.dirs);
  if (package.empty() && dir.empty()) return;
  AntivirusProduct p;
  p.name = d.name;
  p.vendor = d.vendor;
  p.productVersion = version;
  p.source = package.empty() ? dir : "dpkg package " + package;
  if (d.comm && procs.hasComm(d.comm)) {
    p.serviceRunning = Tristate::On;
  } else if (d.installDir) {
    p.serviceRunning = procs.runsUnder(d.installDir);
  } else if (d.comm) {
    p.serviceRunning = Tristate::Off;
  }
  r.outcome.note(std::string(d.name) + " found (" + p.source +
                 "); its real-time protection and signature state are not read");
  r.products.push_back(std::move(p));
}

std::map<std::string, std::string> bkavPackages(const std::map<std::string, std::string>& packages) {
  std::map<std::string, std::string> out;
  for (const auto& [name, version] : packages) {
    if (name.starts_with("bkav")) out[name] = version;
  }
  return out;
}

}  // namespace

AntivirusResult probeAntivirus(const ProbeContext& context) {
  return probeAntivirus(context, AntivirusOptions{});
}

AntivirusResult probeAntivirus(const ProbeContext& context, const AntivirusOptions& options) {
  AntivirusResult r;
  auto deadline = util::deadlineIn(context.budget);
  std::map<std::string, std::string> packages;
  if (auto status = util::readFile(options.dpkgStatus, 64 * 1024 * 1024)) {
    packages = parsers::dpkgInstalledPackages(*status);
  }
  auto procs = readProcesses(options.procDir);

  probeClamav(options, packages, procs, r);
  if (options.otherProducts) {
    probeDefender(packages, procs, deadline, r);
    probeKaspersky(packages, procs, deadline, r);
    static const PresenceProduct kOthers[] = {
        {"ESET Endpoint Antivirus for Linux", "ESET", {"eea"}, {"/opt/eset/eea"}, nullptr, "/opt/eset/eea"},
        {"ESET Server Security for Linux", "ESET", {"efs"}, {"/opt/eset/efs"}, nullptr, "/opt/eset/efs"},
        {"ESET NOD32 for Linux", "ESET", {"esets"}, {"/opt/eset/esets"}, "esets_daemon", nullptr},
        {"Sophos Protection for Linux", "Sophos", {}, {"/opt/sophos-spl"}, nullptr, "/opt/sophos-spl"},
        {"Trend Micro Deep Security Agent", "Trend Micro", {"ds-agent"}, {"/opt/ds_agent"}, "ds_agent", nullptr},
    };
    for (const auto& d : kOthers) probePresence(d, packages, procs, r);
    // Bkav ships no documented Linux package name; any bkav* package or /opt/bkav counts.
    auto bkav = bkavPackages(packages);
    auto bkavDir = firstExisting({"/opt/bkav", "/opt/Bkav"});
    if (!bkav.empty() || !bkavDir.empty()) {
      AntivirusProduct p;
      p.name = "Bkav";
      p.vendor = "Bkav";
      p.productVersion = bkav.empty() ? "" : bkav.begin()->second;
      p.source = bkav.empty() ? bkavDir : "dpkg package " + bkav.begin()->first;
      if (!bkavDir.empty()) p.serviceRunning = procs.runsUnder(bkavDir);
      r.outcome.note("Bkav found (" + p.source + "); its real-time protection and signature state are not read");
      r.products.push_back(std::move(p));
    }
  }
  if (r.products.empty()) r.outcome.note("no known anti-malware product found");
  return r;
}

}  // namespace posture::agent
