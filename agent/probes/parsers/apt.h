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

// Output of `apt-get -s upgrade` or `dist-upgrade`: one "Inst <pkg> [<old>] (<new> <origins>
// [<arch>])" line per package that would be installed or upgraded.
AptUpgradePlan parseAptUpgradeSimulation(std::string_view output);

// An origin list names a security archive: a "-security" suite (Debian, Ubuntu) or the
// "Debian-Security" label. Used when the Release files cannot be matched (see below).
bool isSecurityOrigin(std::string_view origins);

// The header of an archive's Release or InRelease file (/var/lib/apt/lists/*_InRelease).
struct AptRelease {
  std::string origin, label, suite, codename, version;
};

// Reads the first paragraph of a Release/InRelease file; an InRelease file's PGP armour
// is skipped. nullopt when neither Suite nor Codename is present.
std::optional<AptRelease> parseAptRelease(std::string_view text);

// `apt-get -s` names an origin "<Label>:<Version>/<Suite>" (apt's VerIterator::RelStr):
// the key to find the Release file the candidate comes from.
std::string aptOriginKey(const AptRelease& release);

// Marks the security updates of a plan by the Release file of each origin: its Codename
// (Debian: "bookworm-security") or, for Ubuntu whose Codename is "jammy" in every pocket, its
// Suite ("jammy-security") equals "<osCodename>-security". Debian's suite printed by apt-get
// ("stable-security") moves to the next release over time; the codename does not. An origin without
// a matching Release file, or an empty osCodename (Debian testing/sid has none), falls back to
// isSecurityOrigin. Returns how many origins fell back.
std::size_t classifySecurity(AptUpgradePlan& plan, const std::vector<AptRelease>& releases,
                             std::string_view osCodename);

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
