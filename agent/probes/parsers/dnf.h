#pragma once
// dnf (RHEL, Rocky, Alma, Fedora) outputs: pending and security updates.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posture::agent::parsers {

struct DnfUpdate {
  std::string name;     // "openssl"
  std::string arch;     // "x86_64"
  std::string version;  // "1:3.0.7-25.el9_3"
  std::string repo;
};

struct DnfUpdateList {
  std::vector<DnfUpdate> updates;
  std::vector<std::string> malformed;
};

// `dnf -q check-update` (dnf 4 and dnf5's check-upgrade): "<name>.<arch> <version> <repo>"
// per package; a long name is printed alone with the rest on the next line. The
// "Obsoleting Packages" section that follows repeats packages and is not counted, nor are
// "Security: ... is an installed security update" notices.
DnfUpdateList parseDnfCheckUpdate(std::string_view output);

// Splits "openssl-libs-1:3.0.7-25.el9_3.x86_64" into name and arch; nullopt if it has no
// known architecture suffix or no version-release.
std::optional<DnfUpdate> parseNevra(std::string_view nevra);

// `dnf -q updateinfo list --security` (dnf 4: "<advisory> <type/severity> <nevra>";
// dnf5 adds a header line and an "Issued" date column): the distinct "<name>.<arch>" of
// the packages that security advisories update, in order of appearance.
std::vector<std::string> parseDnfSecurityPackages(std::string_view output);

}  // namespace posture::agent::parsers
