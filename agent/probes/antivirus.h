#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/probes/probe_context.h"

namespace posture::agent {

struct AntivirusProduct {
  std::string name;
  std::string vendor;
  Tristate realTimeProtection = Tristate::Unknown;
  std::string signatureVersion;              // empty: unknown
  std::optional<std::int64_t> signatureTime;  // Unix seconds
  Tristate upToDate = Tristate::Unknown;
  Tristate managed = Tristate::Unknown;       // managed by a central console
  std::string source;                         // what the agent read
  std::string productVersion;                 // empty: unknown
  Tristate serviceRunning = Tristate::Unknown;    // its scanning daemon (clamd, wdavdaemon, ...)
  Tristate updatesScheduled = Tristate::Unknown;  // signature updates run by a daemon or timer
  Tristate passiveMode = Tristate::Unknown;  // Microsoft Defender passive beside another product
};

struct AntivirusResult {
  ProbeOutcome outcome;
  std::vector<AntivirusProduct> products;
};

// Where the probe looks; the defaults are the real system paths, tests point them at
// temporary files.
struct AntivirusOptions {
  // Read in order; the first that sets DatabaseDirectory wins.
  std::vector<std::filesystem::path> clamavConfigs = {
      "/etc/clamav/clamd.conf", "/etc/clamav/freshclam.conf", "/etc/clamd.d/scan.conf",
      "/etc/freshclam.conf"};
  std::filesystem::path clamavDefaultDatabaseDir = "/var/lib/clamav";
  std::filesystem::path procDir = "/proc";
  std::filesystem::path dpkgStatus = "/var/lib/dpkg/status";
  // Files, or directories whose files are read, that may schedule freshclam.
  std::vector<std::filesystem::path> schedules = {
      "/etc/crontab", "/etc/cron.d", "/etc/cron.hourly", "/etc/cron.daily",
      "/etc/systemd/system/timers.target.wants"};
  bool otherProducts = true;  // false: ClamAV only (tests)
};

AntivirusResult probeAntivirus(const ProbeContext& context);
AntivirusResult probeAntivirus(const ProbeContext& context, const AntivirusOptions& options);

}  // namespace posture::agent
