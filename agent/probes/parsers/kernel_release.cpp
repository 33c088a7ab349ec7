#include "agent/probes/parsers/kernel_release.h"

#include <cctype>

#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// dpkg's order() of one character of a non-digit run: '~' lowest, end of string (0),
// letters, then every other character after them.
int order(char c) {
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c == '~') return -1;
  if (c) return c + 256;
  return 0;
}

// dpkg's verrevcmp() on one part (upstream version or revision).
int compareParts(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    int firstDiff = 0;
    while ((i < a.size() && !isDigit(a[i])) || (j < b.size() && !isDigit(b[j]))) {
      int ac = i < a.size() ? order(a[i]) : 0;
      int bc = j < b.size() ? order(b[j]) : 0;
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    while (i < a.size() && isDigit(a[i]) && j < b.size() && isDigit(b[j])) {
      if (!firstDiff) firstDiff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && isDigit(a[i])) return 1;
    if (j < b.size() && isDigit(b[j])) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

struct Version {
  unsigned long epoch = 0;
  std::string_view upstream, revision;
};

Version splitVersion(std::string_view v) {
  Version r;
  auto colon = v.find(':');
  if (colon != std::string_view::npos) {
    // A malformed epoch counts as 0, as dpkg would refuse it anyway.
    r.epoch = parseUnsigned(v.substr(0, colon)).value_or(0);
    v = v.substr(colon + 1);
  }
  auto dash = v.rfind('-');
  if (dash != std::string_view::npos) {
    r.revision = v.substr(dash + 1);
    v = v.substr(0, dash);
  }
  r.upstream = v;
  return r;
}

}  // namespace

int compareDebianVersions(std::string_view a, std::string_view b) {
  auto va = splitVersion(trim(a)), vb = splitVersion(trim(b));
  if (va.epoch != vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  if (int c = compareParts(va.upstream, vb.upstream)) return c;
  return compareParts(va.revision, vb.revision);
}

std::optional<KernelRelease> splitKernelRelease(std::string_view release) {
  release = trim(release);
  if (release.empty() || !isDigit(release[0])) return std::nullopt;
  KernelRelease r;
  std::size_t end = 0;
  while (end < release.size()) {
    auto dash = release.find('-', end);
    auto partEnd = dash == std::string_view::npos ? release.size() : dash;
    if (!isDigit(release[end])) break;
    end = partEnd == release.size() ? partEnd : partEnd + 1;
    if (partEnd == release.size()) break;
  }
  if (end < release.size()) {
    r.version = std::string(release.substr(0, end - 1));
    r.flavour = std::string(release.substr(end));
  } else {
    r.version = std::string(release);
  }
  return r;
}

std::vector<std::string> installedKernelsFromDpkgStatus(std::string_view status) {
  std::vector<std::string> out;
  std::string package;
  bool installed = false;
  auto flush = [&] {
    constexpr std::string_view prefix = "linux-image-";
    if (installed && package.starts_with(prefix) && package.size() > prefix.size() &&
        isDigit(package[prefix.size()])) {
      out.push_back(package.substr(prefix.size()));
    }
    package.clear();
    installed = false;
  };
  for (auto line : lines(status)) {
    if (trim(line).empty()) {
      flush();
    } else if (line.starts_with("Package:")) {
      package = std::string(trim(line.substr(8)));
    } else if (line.starts_with("Status:")) {
      installed = trim(line.substr(7)) == "install ok installed";
    }
  }
  flush();
  return out;
}

std::vector<std::string> kernelsFromBootFiles(const std::vector<std::string>& fileNames) {
  std::vector<std::string> out;
  for (const auto& name : fileNames) {
    constexpr std::string_view prefix = "vmlinuz-";
    if (name.starts_with(prefix) && name.size() > prefix.size() && isDigit(name[prefix.size()])) {
      out.push_back(name.substr(prefix.size()));
    }
  }
  return out;
}

std::optional<std::string> newerKernel(std::string_view running,
                                       const std::vector<std::string>& installed) {
  auto run = splitKernelRelease(running);
  if (!run) return std::nullopt;
  std::optional<std::string> newest;
  std::string newestVersion = run->version;
  for (const auto& k : installed) {
    auto s = splitKernelRelease(k);
    // Another flavour (cloud-amd64 beside amd64) is another kernel line, not an update.
    if (!s || s->flavour != run->flavour) continue;
    if (compareDebianVersions(s->version, newestVersion) > 0) {
      newestVersion = s->version;
      newest = k;
    }
  }
  return newest;
}

}  // namespace posture::agent::parsers
