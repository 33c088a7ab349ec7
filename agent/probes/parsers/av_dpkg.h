#pragma once
// The dpkg status database (/var/lib/dpkg/status, deb-control(5) paragraphs): which
// packages are installed and their versions, to detect anti-malware installed as .deb.
#include <map>
#include <string>
#include <string_view>

namespace posture::agent::parsers {

// Package name to version, for paragraphs whose Status ends in "installed" (so removed
// packages with leftover configuration, "deinstall ok config-files", are not counted).
// Continuation lines and malformed paragraphs are skipped.
std::map<std::string, std::string> dpkgInstalledPackages(std::string_view status);

}  // namespace posture::agent::parsers
