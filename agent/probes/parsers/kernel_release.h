#pragma once
// Debian version ordering and kernel releases, to tell whether the running kernel is older
// than the newest installed one.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posture::agent::parsers {

// dpkg's ordering (deb-version(7)): epoch, then upstream version and Debian revision, each
// compared as alternating non-digit runs ('~' sorts before everything, even the end;
// letters before other characters) and numbers. <0, 0, >0 like strcmp.
int compareDebianVersions(std::string_view a, std::string_view b);

// A kernel release as uname -r prints it, split into its version ("6.1.0-26",
// "5.15.0-91", "5.14.0-362.8.1.el9_3.x86_64") and flavour ("amd64", "cloud-amd64",
// "generic", ""): the leading '-'-separated parts that start with a digit are the version.
struct KernelRelease {
  std::string version;
  std::string flavour;
};
std::optional<KernelRelease> splitKernelRelease(std::string_view release);

// Kernel releases of the installed linux-image-<release> packages in /var/lib/dpkg/status
// (Status "install ok installed"); metapackages such as linux-image-amd64 are skipped
// because their suffix does not start with a digit.
std::vector<std::string> installedKernelsFromDpkgStatus(std::string_view status);

// Kernel releases from /boot file names ("vmlinuz-6.1.0-26-amd64", "vmlinuz-5.14.0-...").
std::vector<std::string> kernelsFromBootFiles(const std::vector<std::string>& fileNames);

// The newest release among `installed` of the running kernel's flavour, if it is newer
// than `running`; nullopt when the running kernel is the newest or no installed kernel of
// its flavour is known.
std::optional<std::string> newerKernel(std::string_view running,
                                       const std::vector<std::string>& installed);

}  // namespace posture::agent::parsers
