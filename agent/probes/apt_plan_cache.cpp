#include "agent/probes/apt_plan_cache.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <string_view>
#include <system_error>

namespace posture::agent {
namespace {

constexpr std::string_view kMagic = "posture-apt-plan v1";

std::string describe(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return p.string() + " absent";
  auto ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return p.string() + " " + std::to_string(static_cast<long long>(st.st_size)) + " " +
         std::to_string(ns) + " " + std::to_string(static_cast<unsigned long long>(st.st_ino));
}

template <typename T>
std::optional<T> number(std::string_view s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string optionalText(const std::optional<std::uint32_t>& v) {
  return v ? std::to_string(*v) : std::string("-");
}

const char* tristateText(Tristate t) {
  switch (t) {
    case Tristate::On: return "on";
    case Tristate::Off: return "off";
    case Tristate::Unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace

std::vector<std::string> aptInputFingerprint(const std::vector<std::filesystem::path>& files,
                                             const std::vector<std::filesystem::path>& dirs) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(describe(f));
  for (const auto& d : dirs) {
    out.push_back(describe(d));  // a removed file changes the directory's mtime
    std::error_code ec;
    for (std::filesystem::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code typeEc;
      if (!it->is_regular_file(typeEc)) continue;
      if (it->path().filename() == "lock") continue;  // touched by every apt run
      out.push_back(describe(it->path()));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> aptInputFingerprint() {
  return aptInputFingerprint(
      {"/var/lib/dpkg/status", "/var/lib/apt/extended_states", "/etc/apt/sources.list",
       "/etc/apt/preferences", "/etc/apt/apt.conf", "/etc/os-release",
       "/usr/bin/unattended-upgrade"},
      {"/var/lib/apt/lists", "/etc/apt/sources.list.d", "/etc/apt/preferences.d",
       "/etc/apt/apt.conf.d", "/var/lib/dpkg/updates"});
}

std::string serializeAptPlan(const AptPlan& plan, const std::vector<std::string>& inputs) {
  std::string s(kMagic);
  s += "\ncomputed " + std::to_string(plan.computedAt);
  s += "\npending " + optionalText(plan.pending);
  s += "\nsecurity " + optionalText(plan.security);
  s += std::string("\nautomatic ") + tristateText(plan.automaticUpdates);
  for (const auto& n : plan.notes) {
    std::string line = n;
    std::replace(line.begin(), line.end(), '\n', ' ');
    s += "\nnote " + line;
  }
  for (const auto& i : inputs) s += "\ninput " + i;
  s += "\nend\n";
  return s;
}

std::optional<AptPlan> parseAptPlan(const std::string& text, const std::vector<std::string>& inputs,
                                    std::int64_t now, std::int64_t maxAgeSeconds) {
  AptPlan plan;
  std::vector<std::string> seen;
  bool magic = false, ended = false, computed = false, pending = false, security = false,
       automatic = false;
  std::string_view rest = text;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;  // a torn last line
    auto line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (!magic) {
      if (line != kMagic) return std::nullopt;
      magic = true;
      continue;
    }
    if (ended) return std::nullopt;
    auto sp = line.find(' ');
    auto key = line.substr(0, sp);
    auto value = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    if (key == "end") {
      ended = true;
    } else if (key == "computed") {
      auto v = number<std::int64_t>(value);
      if (!v) return std::nullopt;
      plan.computedAt = *v;
      computed = true;
    } else if (key == "pending" || key == "security") {
      std::optional<std::uint32_t> v;
      if (value != "-") {
        v = number<std::uint32_t>(value);
        if (!v) return std::nullopt;
      }
      (key == "pending" ? plan.pending : plan.security) = v;
      (key == "pending" ? pending : security) = true;
    } else if (key == "automatic") {
      if (value == "on") plan.automaticUpdates = Tristate::On;
      else if (value == "off") plan.automaticUpdates = Tristate::Off;
      else if (value == "unknown") plan.automaticUpdates = Tristate::Unknown;
      else return std::nullopt;
      automatic = true;
    } else if (key == "note") {
      plan.notes.emplace_back(value);
    } else if (key == "input") {
      seen.emplace_back(value);
    } else {
      return std::nullopt;
    }
  }
  if (!ended || !computed || !pending || !security || !automatic) return std::nullopt;
  if (seen != inputs) return std::nullopt;
  if (plan.computedAt > now || now - plan.computedAt > maxAgeSeconds) return std::nullopt;
  return plan;
}

}  // namespace posture::agent
