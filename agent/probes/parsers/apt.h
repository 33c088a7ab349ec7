#pragma once
// Debian package manager outputs and logs.
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posture::agent::parsers {

struct PendingPackage {
  std::string name;
  std::string currentVersion;  // empty for a package newly pulled in
  std::string newVersion;
  std::string origins;  // e.g. "Debian:12.7/stable, Debian-Security:12/stable-security"
  bool security = false;
};

struct AptUpgradePlan {
  std::vector<PendingPackage> packages;
  // "Inst " lines whose shape was not recognised. They are still pending updates, but
  // whether they are security updates cannot be told.
  std::vector<std::string> malformed;
};

// Output of `apt-get -s upgrade`: one "Inst <pkg> [<old>] (<new> <origins> [<arch>])"
// line per package that would be installed or upgraded.
AptUpgradePlan parseAptUpgradeSimulation(std::string_view output);

// An origin list names a security archive: a "-security" suite (Debian, Ubuntu) or the
// "Debian-Security" label.
bool isSecurityOrigin(std::string_view origins);

// Output of `apt-config dump`: `Key::Sub "value";` lines. Keys that appear more than once
// (lists) keep their last value.
std::map<std::string, std::string> parseAptConfigDump(std::string_view output);

// Wall-clock time without a zone, as the apt and dpkg logs write it.
struct LocalDateTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  auto operator<=>(const LocalDateTime&) const = default;
};

// "2024-05-01 10:12:33" (any run of blanks between date and time); nullopt if malformed.
std::optional<LocalDateTime> parseLocalDateTime(std::string_view text);

// Newest "End-Date:" of /var/log/apt/history.log.
std::optional<LocalDateTime> newestAptHistoryEnd(std::string_view historyLog);

// Newest "<date> <time> status installed <pkg> <version>" line of /var/log/dpkg.log.
std::optional<LocalDateTime> newestDpkgInstall(std::string_view dpkgLog);

}  // namespace posture::agent::parsers
