#include "agent/probes/parsers/resolver.h"

#include <algorithm>

#include "agent/probes/parsers/proc_net_ipv6.h"
#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {
namespace {

// "[2001:db8::1]:53%2#name", "2001:db8::1%2#name" -> "2001:db8::1%2"; "" when not IPv6.
std::string serverAddress(std::string_view entry) {
  auto hash = entry.find('#');
  if (hash != std::string_view::npos) entry = entry.substr(0, hash);
  std::string zone;
  if (!entry.empty() && entry.front() == '[') {
    auto close = entry.find(']');
    if (close == std::string_view::npos) return {};
    auto rest = entry.substr(close + 1);
    if (auto pct = rest.find('%'); pct != std::string_view::npos) zone = std::string(rest.substr(pct));
    entry = entry.substr(1, close - 1);
  }
  std::string text(entry);
  if (zone.size() > 1 && text.find('%') == std::string::npos) text += zone;
  return isIpv6Literal(text) ? text : std::string();
}

}  // namespace

bool sendsToResolved(std::string_view resolvConf) {
  for (auto raw : lines(resolvConf)) {
    auto w = words(trim(raw));
    if (w.size() >= 2 && w[0] == "nameserver" && (w[1] == "127.0.0.53" || w[1] == "127.0.0.54")) return true;
  }
  return false;
}

std::vector<std::string> resolvedLinkServers(std::string_view netifFile) {
  std::vector<std::string> out;
  for (auto raw : lines(netifFile)) {
    auto line = trim(raw);
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = line.substr(0, eq);
    if (key != "DNS" && key != "CURRENT_DNS_SERVER") continue;
    for (auto entry : words(line.substr(eq + 1))) {
      auto addr = serverAddress(entry);
      if (!addr.empty() && std::find(out.begin(), out.end(), addr) == out.end()) out.push_back(std::move(addr));
    }
  }
  return out;
}

}  // namespace posture::agent::parsers
