#include "agent/probes/parsers/dnf.h"

#include <algorithm>
#include <array>

#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {
namespace {

constexpr std::array<std::string_view, 12> kArches = {"x86_64", "noarch",  "aarch64", "i686",
                                                      "i386",   "ppc64le", "s390x",   "armv7hl",
                                                      "ppc64",  "src",     "riscv64", "x86_64_v2"};

// "<name>.<arch>" with a known architecture.
std::optional<std::pair<std::string_view, std::string_view>> splitNameArch(std::string_view s) {
  auto dot = s.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  auto arch = s.substr(dot + 1);
  if (std::find(kArches.begin(), kArches.end(), arch) == kArches.end()) return std::nullopt;
  return std::pair{s.substr(0, dot), arch};
}

}  // namespace

DnfUpdateList parseDnfCheckUpdate(std::string_view output) {
  DnfUpdateList out;
  std::string pending;  // a name.arch printed alone, waiting for its version and repo
  auto add = [&](std::string_view nameArch, std::string_view version, std::string_view repo,
                 std::string_view line) {
    auto na = splitNameArch(nameArch);
    if (!na) {
      out.malformed.emplace_back(line);
      return;
    }
    out.updates.push_back(
        {std::string(na->first), std::string(na->second), std::string(version), std::string(repo)});
  };
  for (auto raw : lines(output)) {
    auto line = trim(raw);
    if (line.empty()) continue;
    if (line.starts_with("Obsoleting Packages")) break;
    // Notices dnf prints around the list, even with -q on some versions.
    if (line.starts_with("Security:") || line.starts_with("Last metadata expiration check"))
      continue;
    auto w = words(line);
    if (!pending.empty()) {
      // The continuation is "<version> <repo>"; a version starts with its epoch or digits.
      if (w.size() == 2 && w[0][0] >= '0' && w[0][0] <= '9') {
        add(pending, w[0], w[1], pending + " " + std::string(line));
        pending.clear();
        continue;
      }
      out.malformed.push_back(pending);
      pending.clear();
    }
    if (w.size() == 3) {
      add(w[0], w[1], w[2], line);
    } else if (w.size() == 1 && splitNameArch(w[0])) {
      pending = std::string(w[0]);
    } else {
      out.malformed.emplace_back(line);
    }
  }
  if (!pending.empty()) out.malformed.push_back(pending);
  return out;
}

std::optional<DnfUpdate> parseNevra(std::string_view nevra) {
  auto na = splitNameArch(nevra);
  if (!na) return std::nullopt;
  auto nvr = na->first;
  auto relDash = nvr.rfind('-');
  if (relDash == std::string_view::npos || relDash == 0) return std::nullopt;
  auto verDash = nvr.rfind('-', relDash - 1);
  if (verDash == std::string_view::npos || verDash == 0) return std::nullopt;
  return DnfUpdate{std::string(nvr.substr(0, verDash)), std::string(na->second),
                   std::string(nvr.substr(verDash + 1)), ""};
}

std::vector<std::string> parseDnfSecurityPackages(std::string_view output) {
  std::vector<std::string> out;
  for (auto raw : lines(output)) {
    auto w = words(trim(raw));
    // The advisory id comes first; the package is the first later word that is a NEVRA
    // (dnf5's header "Name Type Severity Package Issued" has none).
    for (std::size_t i = 1; i < w.size(); ++i) {
      auto p = parseNevra(w[i]);
      if (!p) continue;
      auto key = p->name + "." + p->arch;
      if (std::find(out.begin(), out.end(), key) == out.end()) out.push_back(key);
      break;
    }
  }
  return out;
}

}  // namespace posture::agent::parsers
