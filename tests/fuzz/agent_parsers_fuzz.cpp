// The agent's parsers of command outputs and system files (agent/probes/parsers/), the
// rtnetlink decoders (agent/probes/linux/netlink.h) and the upgrade-plan cache reader.
// The first byte picks the parser (an index into kParsers), the rest is its input. These
// are pure functions that never throw: a probe turns what they return into its report.
//
// kParsers is append-only, like wire fields: the corpus files start with these indexes.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "agent/probes/apt_plan_cache.h"
#include "agent/probes/linux/netlink.h"
#include "agent/probes/parsers/apt.h"
#include "agent/probes/parsers/av_dpkg.h"
#include "agent/probes/parsers/av_kesl.h"
#include "agent/probes/parsers/av_mdatp.h"
#include "agent/probes/parsers/clamav.h"
#include "agent/probes/parsers/dnf.h"
#include "agent/probes/parsers/firewall_rules.h"
#include "agent/probes/parsers/kernel_release.h"
#include "agent/probes/parsers/key_value.h"
#include "agent/probes/parsers/proc_net_ipv6.h"
#include "agent/probes/parsers/resolver.h"
#include "agent/probes/parsers/text.h"
#include "tests/fuzz/invariant.h"

using namespace posture::agent;
using namespace posture::agent::parsers;

namespace {
constexpr std::int64_t kNow = 1748736000;  // 2025-06-01

// "first\nrest": two inputs from one.
std::pair<std::string_view, std::string_view> splitFirstLine(std::string_view s) {
  auto nl = s.find('\n');
  if (nl == std::string_view::npos) return {s, {}};
  return {s.substr(0, nl), s.substr(nl + 1)};
}

std::vector<std::string> lineStrings(std::string_view s) {
  std::vector<std::string> out;
  for (auto l : lines(s)) out.emplace_back(l);
  return out;
}

int sign(int v) { return (v > 0) - (v < 0); }

void aptSimulation(std::string_view s) {
  auto plan = parseAptUpgradeSimulation(s);
  for (const auto& p : plan.packages) isSecurityOrigin(p.origins);
  std::vector<AptRelease> releases = {
      {"Debian", "Debian-Security", "stable-security", "bookworm-security", "12"}};
  classifySecurity(plan, releases, "bookworm");
}
void aptRelease(std::string_view s) {
  if (auto r = parseAptRelease(s)) aptOriginKey(*r);
}
void aptConfigDump(std::string_view s) { parseAptConfigDump(s); }
void aptHistory(std::string_view s) { newestAptHistoryEnd(s); }
void dpkgLog(std::string_view s) { newestDpkgInstall(s); }
void localDateTime(std::string_view s) { parseLocalDateTime(s); }
void dpkgStatus(std::string_view s) {
  dpkgInstalledPackages(s);
  installedKernelsFromDpkgStatus(s);
}
void keslAppInfo(std::string_view s) {
  std::string error;
  parseKeslAppInfo(s, &error);
}
void keslTaskState(std::string_view s) { parseKeslTaskState(s); }
void keslCivilTime(std::string_view s) { parseKeslCivilTime(s); }
void mdatpHealth(std::string_view s) {
  std::string error;
  parseMdatpHealth(s, &error);
}
void cvdHeader(std::string_view s) {
  std::string error;
  parseCvdHeader(s, &error);
  parseCvdBuildTime(s);
}
void clamavConfig(std::string_view s) { clamavDatabaseDirectory(s); }
void freshclamSchedule(std::string_view s) { scheduleRunsFreshclam(s); }
void dnfCheckUpdate(std::string_view s) { parseDnfCheckUpdate(s); }
void dnfNevra(std::string_view s) { parseNevra(s); }
void dnfSecurity(std::string_view s) { parseDnfSecurityPackages(s); }
void nftRuleset(std::string_view s) { parseNftRuleset(s); }
void iptablesSave(std::string_view s) { parseIptablesSave(s); }
void ufwStatus(std::string_view s) { parseUfwStatus(s); }
void firewalldZone(std::string_view s) {
  if (auto target = parseFirewalldZoneTarget(s)) firewalldTargetDenies(*target);
}
// An order: reflexive and antisymmetric.
void debianVersions(std::string_view s) {
  auto [a, b] = splitFirstLine(s);
  FUZZ_CHECK(compareDebianVersions(a, a) == 0);
  FUZZ_CHECK(sign(compareDebianVersions(a, b)) == -sign(compareDebianVersions(b, a)));
}
void kernelRelease(std::string_view s) {
  auto [running, rest] = splitFirstLine(s);
  splitKernelRelease(running);
  auto names = lineStrings(rest);
  kernelsFromBootFiles(names);
  newerKernel(running, names);
}
void keyValue(std::string_view s) { parseKeyValue(s); }
void ifInet6(std::string_view s) { parseIfInet6(s); }
void ipv6Route(std::string_view s) { findDefaultRoute(s); }
// The Windows build formats and recognises addresses without inet_ntop/inet_pton; they
// must agree with glibc's.
void ipv6Text(std::string_view s) {
  if (auto bytes = parseHexAddress(s)) classifyScope(*bytes);
  if (s.size() >= 16) {
    Ipv6Bytes raw;
    std::memcpy(raw.data(), s.data(), 16);
    char glibc[INET6_ADDRSTRLEN];
    FUZZ_CHECK(inet_ntop(AF_INET6, raw.data(), glibc, sizeof glibc) != nullptr);
    FUZZ_CHECK(formatAddress(raw) == glibc);
  }
  std::string text(s);
  if (text.find('%') == std::string::npos && text.find('\0') == std::string::npos) {
    unsigned char parsed[16];
    FUZZ_CHECK(isIpv6Literal(text) == (inet_pton(AF_INET6, text.c_str(), parsed) == 1));
  }
}
void resolvConf(std::string_view s) {
  ipv6Nameservers(s);
  sendsToResolved(s);
}
void resolvedLink(std::string_view s) { resolvedLinkServers(s); }
netlink::Bytes bytesOf(std::string_view s) { return netlink::Bytes(s.begin(), s.end()); }
void netlinkAddresses(std::string_view s) { netlink::decodeAddresses(bytesOf(s)); }
void netlinkRoutes(std::string_view s) {
  auto routes = netlink::decodeRoutes(bytesOf(s));
  for (const auto& r : routes) netlink::routeOrigin(r.protocol);
  netlink::findDefaultRoute(routes);
}
void netlinkLinks(std::string_view s) { netlink::decodeLinks(bytesOf(s)); }
// A damaged apt-plan.cache is read back as nullopt, never as a plan for other inputs.
void aptPlanCache(std::string_view s) {
  std::vector<std::string> inputs = {"/var/lib/dpkg/status 100 1 2",
                                     "/etc/apt/sources.list absent"};
  parseAptPlan(std::string(s), inputs, kNow, 86400);
}

struct Parser {
  const char* name;
  void (*run)(std::string_view);
};
// Append only (see above).
constexpr Parser kParsers[] = {
    {"apt-simulation", aptSimulation},
    {"apt-release", aptRelease},
    {"apt-config-dump", aptConfigDump},
    {"apt-history", aptHistory},
    {"dpkg-log", dpkgLog},
    {"local-datetime", localDateTime},
    {"dpkg-status", dpkgStatus},
    {"kesl-app-info", keslAppInfo},
    {"kesl-task-state", keslTaskState},
    {"kesl-civil-time", keslCivilTime},
    {"mdatp-health", mdatpHealth},
    {"cvd-header", cvdHeader},
    {"clamav-config", clamavConfig},
    {"freshclam-schedule", freshclamSchedule},
    {"dnf-check-update", dnfCheckUpdate},
    {"dnf-nevra", dnfNevra},
    {"dnf-security", dnfSecurity},
    {"nft-ruleset", nftRuleset},
    {"iptables-save", iptablesSave},
    {"ufw-status", ufwStatus},
    {"firewalld-zone", firewalldZone},
    {"debian-versions", debianVersions},
    {"kernel-release", kernelRelease},
    {"key-value", keyValue},
    {"if-inet6", ifInet6},
    {"ipv6-route", ipv6Route},
    {"ipv6-text", ipv6Text},
    {"resolv-conf", resolvConf},
    {"resolved-link", resolvedLink},
    {"netlink-addresses", netlinkAddresses},
    {"netlink-routes", netlinkRoutes},
    {"netlink-links", netlinkLinks},
    {"apt-plan-cache", aptPlanCache},
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || data[0] >= std::size(kParsers)) return 0;
  const auto& parser = kParsers[data[0]];
  parser.run(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
