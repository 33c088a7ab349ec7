#include "agent/probes/parsers/apt.h"

#include <chrono>

#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {

bool isSecurityOrigin(std::string_view origins) {
  return origins.find("-security") != std::string_view::npos ||
         origins.find("Debian-Security:") != std::string_view::npos;
}

AptUpgradePlan parseAptUpgradeSimulation(std::string_view output) {
  AptUpgradePlan plan;
  for (auto line : lines(output)) {
    if (!line.starts_with("Inst ")) continue;
    auto rest = trim(line.substr(5));
    auto bad = [&] { plan.malformed.emplace_back(line); };
    auto nameEnd = rest.find_first_of(" \t");
    if (nameEnd == std::string_view::npos || nameEnd == 0) {
      bad();
      continue;
    }
    PendingPackage p;
    p.name = std::string(rest.substr(0, nameEnd));
    rest = trim(rest.substr(nameEnd));
    if (rest.starts_with("[")) {
      auto close = rest.find(']');
      if (close == std::string_view::npos) {
        bad();
        continue;
      }
      p.currentVersion = std::string(rest.substr(1, close - 1));
      rest = trim(rest.substr(close + 1));
    }
    // The candidate group is the first parenthesised part; anything after it (e.g. "[]"
    // for broken dependencies) is not needed.
    if (!rest.starts_with("(")) {
      bad();
      continue;
    }
    auto close = rest.find(')');
    if (close == std::string_view::npos) {
      bad();
      continue;
    }
    auto group = trim(rest.substr(1, close - 1));
    auto verEnd = group.find(' ');
    if (verEnd == std::string_view::npos) {
      bad();
      continue;
    }
    p.newVersion = std::string(group.substr(0, verEnd));
    auto origins = trim(group.substr(verEnd + 1));
    auto arch = origins.rfind(" [");
    if (arch != std::string_view::npos && origins.ends_with("]"))
      origins = trim(origins.substr(0, arch));
    p.origins = std::string(origins);
    p.security = isSecurityOrigin(origins);
    plan.packages.push_back(std::move(p));
  }
  return plan;
}

std::optional<AptRelease> parseAptRelease(std::string_view text) {
  AptRelease r;
  bool seen = false;
  bool armoured = false;  // inside "-----BEGIN PGP SIGNED MESSAGE-----" headers
  for (auto line : lines(text)) {
    if (line.starts_with("-----BEGIN PGP SIGNED MESSAGE")) {
      armoured = true;
      continue;
    }
    if (armoured) {
      // The armour headers ("Hash: SHA512") end at the first empty line.
      if (trim(line).empty()) armoured = false;
      continue;
    }
    if (line.starts_with("-----BEGIN PGP SIGNATURE")) break;
    if (trim(line).empty()) {
      if (seen) break;
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') continue;  // continuation of a multi-line field
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    seen = true;
    auto key = line.substr(0, colon);
    auto value = std::string(trim(line.substr(colon + 1)));
    if (key == "Origin")
      r.origin = value;
    else if (key == "Label")
      r.label = value;
    else if (key == "Suite")
      r.suite = value;
    else if (key == "Codename")
      r.codename = value;
    else if (key == "Version")
      r.version = value;
  }
  if (r.suite.empty() && r.codename.empty()) return std::nullopt;
  return r;
}

std::string aptOriginKey(const AptRelease& release) {
  // apt prints the Label (if any) and ':', then "<Version>/<Suite>" or the Suite alone.
  std::string key = release.label.empty() ? std::string() : release.label + ":";
  if (!release.version.empty()) key += release.version + "/";
  return key + release.suite;
}

std::size_t classifySecurity(AptUpgradePlan& plan, const std::vector<AptRelease>& releases,
                             std::string_view osCodename) {
  std::size_t fallbacks = 0;
  std::string securityCodename =
      osCodename.empty() ? std::string() : std::string(osCodename) + "-security";
  for (auto& p : plan.packages) {
    bool security = false;
    std::string_view rest = p.origins;
    while (!rest.empty()) {
      auto comma = rest.find(", ");
      auto origin = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
      const AptRelease* match = nullptr;
      for (const auto& r : releases) {
        if (aptOriginKey(r) == origin) {
          match = &r;
          break;
        }
      }
      if (match && !securityCodename.empty()) {
        // Debian names the pocket in Codename ("bookworm-security"); Ubuntu keeps Codename
        // "jammy" for every pocket and names it in Suite, which for Ubuntu never moves.
        security =
            security || match->codename == securityCodename || match->suite == securityCodename;
      } else {
        ++fallbacks;
        security = security || isSecurityOrigin(origin);
      }
    }
    p.security = security;
  }
  return fallbacks;
}

std::map<std::string, std::string> parseAptConfigDump(std::string_view output) {
  std::map<std::string, std::string> out;
  for (auto raw : lines(output)) {
    auto line = trim(raw);
    auto sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 0) continue;
    auto value = trim(line.substr(sp + 1));
    if (!value.ends_with(";")) continue;
    value.remove_suffix(1);
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') continue;
    out[std::string(line.substr(0, sp))] = std::string(value.substr(1, value.size() - 2));
  }
  return out;
}

std::optional<LocalDateTime> parseLocalDateTime(std::string_view text) {
  auto w = words(trim(text));
  if (w.size() != 2) return std::nullopt;
  auto d = w[0], t = w[1];
  if (d.size() != 10 || d[4] != '-' || d[7] != '-' || t.size() != 8 || t[2] != ':' || t[5] != ':') {
    return std::nullopt;
  }
  auto num = [](std::string_view s) -> int {
    auto v = parseUnsigned(s);
    return v && *v < 100000 ? static_cast<int>(*v) : -1;
  };
  LocalDateTime r{num(d.substr(0, 4)), num(d.substr(5, 2)), num(d.substr(8, 2)),
                  num(t.substr(0, 2)), num(t.substr(3, 2)), num(t.substr(6, 2))};
  std::chrono::year_month_day ymd{std::chrono::year{r.year},
                                  std::chrono::month{static_cast<unsigned>(r.month)},
                                  std::chrono::day{static_cast<unsigned>(r.day)}};
  if (r.year < 0 || r.month < 0 || r.day < 0 || !ymd.ok() || r.hour < 0 || r.hour > 23 ||
      r.minute < 0 || r.minute > 59 || r.second < 0 || r.second > 60) {
    return std::nullopt;
  }
  return r;
}

std::optional<LocalDateTime> newestAptHistoryEnd(std::string_view historyLog) {
  std::optional<LocalDateTime> newest;
  for (auto line : lines(historyLog)) {
    if (!line.starts_with("End-Date:")) continue;
    auto t = parseLocalDateTime(line.substr(9));
    if (t && (!newest || *t > *newest)) newest = t;
  }
  return newest;
}

std::optional<LocalDateTime> newestDpkgInstall(std::string_view dpkgLog) {
  std::optional<LocalDateTime> newest;
  for (auto line : lines(dpkgLog)) {
    auto w = words(line);
    if (w.size() < 5 || w[2] != "status" || w[3] != "installed") continue;
    auto t = parseLocalDateTime(
        line.substr(0, static_cast<std::size_t>(w[1].data() + w[1].size() - line.data())));
    if (t && (!newest || *t > *newest)) newest = t;
  }
  return newest;
}

}  // namespace posture::agent::parsers
