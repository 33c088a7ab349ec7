#include "agent/probes/parsers/windows_updates.h"

#include <algorithm>
#include <cctype>

#include "agent/probes/parsers/text.h"
#include "agent/probes/parsers/windows_time.h"
#include "common/util/time.h"

namespace posture::agent::parsers {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool allDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::optional<std::int64_t> dateAt(std::optional<std::uint64_t> y, std::optional<std::uint64_t> m,
                                   std::optional<std::uint64_t> d) {
  if (!y || !m || !d || *y > 9999 || *m > 12 || *d > 31) return std::nullopt;
  return util::unixFromCivil(static_cast<std::int64_t>(*y), static_cast<std::int64_t>(*m),
                             static_cast<std::int64_t>(*d));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    auto next = s.find(sep, pos);
    out.push_back(
        s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

std::string normaliseGuid(std::string_view id) {
  auto t = trim(id);
  if (!t.empty() && t.front() == '{') t.remove_prefix(1);
  if (!t.empty() && t.back() == '}') t.remove_suffix(1);
  return upper(t);
}

}  // namespace

std::optional<std::int64_t> parseQfeInstalledOn(std::string_view text) {
  auto t = trim(text);
  if (t.empty()) return std::nullopt;
  if (t.find('/') != std::string_view::npos) {
    auto p = split(t, '/');
    if (p.size() != 3 || p[2].size() != 4 || p[0].empty() || p[0].size() > 2 || p[1].empty() ||
        p[1].size() > 2) {
      return std::nullopt;
    }
    return dateAt(parseUnsigned(p[2]), parseUnsigned(p[0]), parseUnsigned(p[1]));
  }
  if (t.find('-') != std::string_view::npos) {
    auto p = split(t, '-');
    if (p.size() != 3 || p[0].size() != 4 || p[1].size() != 2 || p[2].size() != 2)
      return std::nullopt;
    return dateAt(parseUnsigned(p[0]), parseUnsigned(p[1]), parseUnsigned(p[2]));
  }
  if (t.size() == 8 && allDigits(t)) {
    return dateAt(parseUnsigned(t.substr(0, 4)), parseUnsigned(t.substr(4, 2)),
                  parseUnsigned(t.substr(6, 2)));
  }
  if (t.size() == 16) {
    auto v = parseUnsigned(t, 16);
    if (!v) return std::nullopt;
    auto unix = fileTimeToUnix(*v);
    // A FILETIME before 1990 or after 2100 is not an install date.
    if (!unix || *unix < 631152000 || *unix > 4102444800) return std::nullopt;
    return unix;
  }
  return std::nullopt;
}

std::optional<std::string> normaliseHotFixId(std::string_view id) {
  auto t = upper(trim(id));
  std::string_view digits = t;
  if (digits.starts_with("KB")) digits.remove_prefix(2);
  if (!allDigits(digits) || digits.size() > 9) return std::nullopt;
  return "KB" + std::string(digits);
}

std::vector<std::string> normaliseHotFixIds(const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids) {
    if (auto n = normaliseHotFixId(id)) out.push_back(std::move(*n));
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    // Same prefix, digits only: shorter is smaller, then lexicographic.
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

UpdateClass classifyUpdate(const std::vector<WuaCategory>& categories,
                           std::string_view msrcSeverity) {
  UpdateClass c;
  auto mark = [&c](const char* name) {
    if (c.classification.empty()) c.classification = name;
  };
  for (const auto& cat : categories) {
    auto id = normaliseGuid(cat.id);
    auto name = upper(trim(cat.name));
    // Category names are localised; they decide only when the GUID is missing.
    auto is = [&](std::string_view guid, std::string_view englishName) {
      return id.empty() ? name == englishName : id == guid;
    };
    if (is(kCategorySecurityUpdates, "SECURITY UPDATES")) {
      c.security = true;
      mark("Security Updates");
    } else if (is(kCategoryCriticalUpdates, "CRITICAL UPDATES")) {
      c.criticalClassification = true;
      mark("Critical Updates");
    } else if (is(kCategoryDefinitionUpdates, "DEFINITION UPDATES")) {
      c.definition = true;
      mark("Definition Updates");
    } else if (is(kCategoryUpdateRollups, "UPDATE ROLLUPS")) {
      c.rollup = true;
      mark("Update Rollups");
    } else if (is(kCategoryDrivers, "DRIVERS")) {
      c.driver = true;
      mark("Drivers");
    } else if (is(kCategoryUpgrades, "UPGRADES")) {
      c.upgrade = true;
      mark("Upgrades");
    } else if (is(kCategoryUpdates, "UPDATES")) {
      mark("Updates");
    } else if (is(kCategoryServicePacks, "SERVICE PACKS")) {
      mark("Service Packs");
    } else if (is(kCategoryFeaturePacks, "FEATURE PACKS")) {
      mark("Feature Packs");
    } else if (is(kCategoryTools, "TOOLS")) {
      mark("Tools");
    }
  }
  auto severity = upper(trim(msrcSeverity));
  // Only security bulletins carry an MSRC severity, so any severity makes it security.
  if (!severity.empty()) c.security = true;
  if (severity == "CRITICAL") c.critical = true;
  return c;
}

PendingSummary summarisePending(const std::vector<UpdateClass>& updates) {
  PendingSummary s;
  for (const auto& u : updates) {
    ++s.total;
    if (u.security) ++s.security;
    if (u.critical) ++s.critical;
    if (u.definition) ++s.definition;
  }
  return s;
}

std::optional<std::int64_t> lastSuccessfulInstall(const std::vector<HistoryEntry>& entries) {
  std::optional<std::int64_t> best;
  for (const auto& e : entries) {
    if (e.operation != 1 || (e.resultCode != 2 && e.resultCode != 3)) continue;
    auto t = oleDateToUnix(e.date);
    if (t && (!best || *t > *best)) best = t;
  }
  return best;
}

AutomaticUpdates decodeAutomaticUpdates(std::optional<std::uint32_t> noAutoUpdate,
                                        std::optional<std::uint32_t> auOptions,
                                        std::optional<std::uint32_t> localAuOptions,
                                        bool wuauservDisabled, bool server) {
  if (wuauservDisabled) return {Tristate::Off, "the Windows Update service (wuauserv) is disabled"};
  if (noAutoUpdate && *noAutoUpdate == 1) {
    return {Tristate::Off, "Group Policy turns automatic updates off (NoAutoUpdate=1)"};
  }
  auto decode = [](std::uint32_t v, const std::string& where) -> AutomaticUpdates {
    switch (v) {
      case 1:
        return {Tristate::Off, where + " AUOptions=1: never check for updates"};
      case 2:
        return {Tristate::Off, where + " AUOptions=2: notify before downloading"};
      case 3:
        return {Tristate::Off, where + " AUOptions=3: download and notify to install"};
      case 4:
        return {Tristate::On, ""};
      case 5:
        return {Tristate::Unknown, where + " AUOptions=5: the local administrator chooses"};
      case 7:
        return {Tristate::Off, where + " AUOptions=7: download and notify to install and restart"};
      default:
        return {Tristate::Unknown, "unrecognised " + where + " AUOptions=" + std::to_string(v)};
    }
  };
  if (auOptions) {
    auto r = decode(*auOptions, "policy");
    // 1 is not a policy value; as policy it means nothing documented.
    if (*auOptions == 1) r = {Tristate::Unknown, "unrecognised policy AUOptions=1"};
    return r;
  }
  if (localAuOptions) return decode(*localAuOptions, "local");
  if (server)
    return {Tristate::Unknown, "no Windows Update policy or AUOptions set on this server"};
  return {Tristate::On, ""};
}

RebootState decodeRebootRequired(const RebootMarks& m) {
  RebootState r;
  std::string why;
  auto add = [&why](const char* s) {
    if (!why.empty()) why += ", ";
    why += s;
  };
  if (m.cbsRebootPending) add("Component Based Servicing RebootPending");
  if (m.wuRebootRequired) add("Windows Update RebootRequired");
  if (m.wuaRebootRequired && *m.wuaRebootRequired) add("Windows Update Agent RebootRequired");
  if (!why.empty()) {
    r.state = Tristate::On;
    r.reason = "reboot pending: " + why;
  } else if (!m.registryRead) {
    r.state = m.wuaRebootRequired ? Tristate::Off : Tristate::Unknown;
    r.reason = "reboot-pending registry keys could not be read";
  } else {
    r.state = Tristate::Off;
  }
  if (m.pendingFileRenameOperations && r.state != Tristate::On) {
    if (!r.reason.empty()) r.reason += "; ";
    r.reason +=
        "PendingFileRenameOperations is set (not counted: installers and anti-malware updates "
        "leave it set)";
  }
  return r;
}

}  // namespace posture::agent::parsers
