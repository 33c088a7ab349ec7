#include "agent/probes/parsers/windows_version.h"

#include <cctype>

#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {
namespace {

// "Windows Server " followed by a four-digit year.
bool hasServerYear(const std::string& name) {
  auto pos = name.find("Windows Server ");
  if (pos == std::string::npos) return false;
  pos += 15;
  if (pos + 4 > name.size()) return false;
  for (std::size_t i = pos; i < pos + 4; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  }
  return true;
}

const char* serverYear(std::uint32_t build) {
  switch (build) {
    case 14393:
      return "2016";
    case 17763:
      return "2019";
    case 20348:
      return "2022";
    case 26100:
      return "2025";
    default:
      return nullptr;
  }
}

}  // namespace

WindowsVersion describeWindows(const WindowsVersionValues& v) {
  WindowsVersion out;
  std::string name(trim(v.productName));
  if (name.starts_with("Microsoft ")) name.erase(0, 10);
  auto type = std::string(trim(v.installationType));
  out.server = type.empty() ? name.find("Server") != std::string::npos : type != "Client";
  if (auto b = parseUnsigned(trim(v.currentBuildNumber)))
    out.buildNumber = static_cast<std::uint32_t>(*b);

  if (!out.server && out.buildNumber >= 22000 && name.starts_with("Windows 10")) {
    name.replace(0, 10, "Windows 11");
  }
  if (out.server && !hasServerYear(name)) {
    if (const char* year = serverYear(out.buildNumber)) {
      auto pos = name.find("Windows Server");
      if (pos != std::string::npos) {
        // Two inserts, not " " + year: GCC 12 at -O3 reports a false overlap in the
        // temporary's append (-Wrestrict, GCC bug 105651).
        name.insert(pos + 14, year);
        name.insert(pos + 14, 1, ' ');
      } else if (name.empty()) {
        name = "Windows Server ";
        name += year;
      }
    }
  }
  if (name.empty())
    name = out.server ? "Windows Server" : out.buildNumber >= 22000 ? "Windows 11" : "Windows";
  out.name = name;

  out.version = std::string(trim(v.displayVersion));
  if (out.version.empty()) out.version = std::string(trim(v.releaseId));
  if (out.version.empty()) out.version = std::string(trim(v.currentVersion));

  out.build = std::string(trim(v.currentBuildNumber));
  if (!out.build.empty() && v.ubr) {
    out.build += '.';
    out.build += std::to_string(*v.ubr);
  }
  return out;
}

std::string architectureName(std::uint16_t a) {
  switch (a) {
    case 0:
      return "x86";
    case 5:
      return "arm";
    case 6:
      return "ia64";
    case 9:
      return "x86_64";
    case 12:
      return "aarch64";
    default: {
      std::string s = "unknown (";
      s += std::to_string(a);
      s += ')';
      return s;
    }
  }
}

}  // namespace posture::agent::parsers
