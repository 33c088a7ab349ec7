#include "tests/bench/fleet_generator.h"

#include <cctype>
#include <cstdio>

namespace posture::bench {
namespace {

namespace pb = posture::v1;

constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 24 * kHour;
// The name an agent would have been configured with; level 3 and 4 checks look it up.
constexpr const char* kCollectorName = "posture.example.gov.vn";

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  Rng r(a ^ (b * 0x9e3779b97f4a7c15ULL));
  r.next();
  return r.next();
}

std::string hex4(std::uint64_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%x", static_cast<unsigned>(v & 0xffff));
  return buf;
}

std::string formatDate(std::int64_t unix, const char* pattern) {
  // Civil date from Unix days (Howard Hinnant's algorithm): no locale, no time zone.
  std::int64_t days = unix / kDay;
  std::int64_t secs = unix % kDay;
  days += 719468;
  std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  std::int64_t doe = days - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[64];
  std::snprintf(buf, sizeof buf, pattern, static_cast<int>(y), static_cast<int>(m),
                static_cast<int>(d), static_cast<int>(secs / kHour));
  return buf;
}

void setProbe(pb::ProbeResult* p, bool ok, const std::string& whyNot, std::uint32_t ms,
              pb::ProbeStatus notOk = pb::PROBE_STATUS_UNAVAILABLE) {
  p->set_status(ok ? pb::PROBE_STATUS_OK : notOk);
  if (!ok) p->set_message(whyNot);
  p->set_duration_ms(ms);
}

void fillIdentity(pb::Identity* id, const EndpointProfile& e, const std::string& agentId) {
  id->set_agent_id(agentId);
  id->set_unit_code(e.unitCode);
  id->set_hostname(e.hostname);
  id->set_agent_version("0.1.0");
  switch (e.os) {
    case OsKind::Windows10:
      id->set_os_name("Windows 10 Pro");
      id->set_os_version("22H2");
      id->set_os_build("19045." + e.osBuildRevision);
      id->set_kernel("10.0.19045");
      break;
    case OsKind::Windows11:
      id->set_os_name("Windows 11 Pro");
      id->set_os_version("23H2");
      id->set_os_build("22631." + e.osBuildRevision);
      id->set_kernel("10.0.22631");
      break;
    case OsKind::Server2019:
      id->set_os_name("Windows Server 2019 Standard");
      id->set_os_version("1809");
      id->set_os_build("17763." + e.osBuildRevision);
      id->set_kernel("10.0.17763");
      break;
    case OsKind::Server2022:
      id->set_os_name("Windows Server 2022 Standard");
      id->set_os_version("21H2");
      id->set_os_build("20348." + e.osBuildRevision);
      id->set_kernel("10.0.20348");
      break;
    case OsKind::Ubuntu:
      id->set_os_name("Ubuntu");
      id->set_os_version("22.04");
      id->set_os_build("jammy");
      id->set_kernel("5.15.0-" + e.osBuildRevision + "-generic");
      break;
    case OsKind::Debian:
      id->set_os_name("Debian GNU/Linux");
      id->set_os_version("12");
      id->set_os_build("bookworm");
      id->set_kernel("6.1.0-" + e.osBuildRevision + "-amd64");
      break;
  }
  id->set_architecture(isWindows(e.os) ? "AMD64" : "x86_64");
  setProbe(id->mutable_probe(), true, {}, 3);
}

void fillProduct(pb::AntivirusProduct* p, const AvProfile& av, std::uint64_t sequence,
                 std::int64_t now) {
  // A healthy product refreshes its signatures several times a day, so its age wanders
  // within two days; a stale one stopped updating and only gets older.
  std::int64_t age = av.stale ? av.signatureAgeSeconds + static_cast<std::int64_t>(sequence) * 60
                              : (av.signatureAgeSeconds + static_cast<std::int64_t>(sequence) * 1800) %
                                    (2 * kDay);
  std::int64_t sigTime = now - age;
  auto tri = [](bool b) { return b ? pb::TRISTATE_ON : pb::TRISTATE_OFF; };
  switch (av.kind) {
    case AvKind::Bkav:
      p->set_name("BKAV Pro Internet Security");
      p->set_vendor("BKAV");
      p->set_signature_version(formatDate(sigTime, "%04d.%02d.%02d.%02d"));
      p->set_source("root\\SecurityCenter2 AntiVirusProduct");
      break;
    case AvKind::Kaspersky:
      p->set_name("Kaspersky Endpoint Security for Windows");
      p->set_vendor("Kaspersky");
      p->set_signature_version(formatDate(sigTime, "%04d-%02d-%02d %02d:00"));
      p->set_source("root\\SecurityCenter2 AntiVirusProduct");
      break;
    case AvKind::Defender:
      p->set_name("Microsoft Defender Antivirus");
      p->set_vendor("Microsoft");
      p->set_signature_version("1.4" + std::to_string(10 + (sigTime / kDay) % 90) + "." +
                               std::to_string((sigTime / kHour) % 1000) + ".0");
      p->set_source("root\\Microsoft\\Windows\\Defender MSFT_MpComputerStatus");
      break;
    case AvKind::ClamAv:
      p->set_name("ClamAV");
      p->set_vendor("Cisco Talos");
      p->set_signature_version("daily " + std::to_string(27000 + (sigTime / kDay) % 1000));
      p->set_source("/var/lib/clamav/daily.cld");
      break;
    case AvKind::KasperskyLinux:
      p->set_name("Kaspersky Endpoint Security for Linux");
      p->set_vendor("Kaspersky");
      p->set_signature_version(formatDate(sigTime, "%04d-%02d-%02d %02d:00"));
      p->set_source("kesl-control --app-info");
      break;
  }
  p->set_real_time_protection(tri(av.realTime));
  p->mutable_signature_time()->set_seconds(sigTime);
  p->set_up_to_date(tri(!av.stale));
  p->set_managed(tri(av.managed));
}

void fillIpv6(pb::Ipv6* v6, const EndpointProfile& e, std::uint64_t unitHash) {
  setProbe(v6->mutable_probe(), e.ipv6ProbeOk,
           isWindows(e.os) ? "the IPv6 protocol is not installed on this host"
                           : "/proc/net/if_inet6 cannot be read",
           12);
  if (!e.ipv6ProbeOk) return;
  bool win = isWindows(e.os);
  std::string ifname = win ? "Ethernet0" : (e.os == OsKind::Ubuntu ? "ens18" : "eth0");
  std::uint64_t host = mix(unitHash, e.index);
  std::string iid = hex4(host >> 48 | 0x200) + ":" + hex4(host >> 32) + ":" + hex4(host >> 16) +
                    ":" + hex4(host);
  std::string unitTag = hex4(unitHash);
  // fd00::/8 with a 40-bit global ID taken from the unit, like RFC 4193 asks.
  char ula[32];
  std::snprintf(ula, sizeof ula, "fd%02x:%x:%s:10", static_cast<unsigned>((unitHash >> 16) & 0xff),
                static_cast<unsigned>((unitHash >> 24) & 0xffff), unitTag.c_str());
  std::string prefix = e.ipv6UniqueLocal ? std::string(ula) : "2001:db8:" + unitTag + ":10";
  auto tri = [](bool b) { return b ? pb::TRISTATE_ON : pb::TRISTATE_OFF; };

  v6->set_enabled(tri(e.ipv6Level > 0));
  v6->set_readiness_level(e.ipv6Level);
  if (e.ipv6Level == 0) {
    v6->set_default_route(pb::TRISTATE_OFF);
    v6->add_readiness_reasons("IPv6 is disabled on the host");
  } else {
    auto* iface = v6->add_interfaces();
    iface->set_name(ifname);
    auto* ll = iface->add_addresses();
    ll->set_address("fe80::" + iid);
    ll->set_prefix_length(64);
    ll->set_scope(pb::ADDRESS_SCOPE_LINK_LOCAL);
    ll->set_origin(pb::ADDRESS_ORIGIN_LINK_LAYER);
    if (e.ipv6Level == 1) {
      v6->set_default_route(pb::TRISTATE_OFF);
      v6->add_readiness_reasons(
          "no routable IPv6 address (global 2000::/3 or unique-local fc00::/7)");
    } else {
      auto* a = iface->add_addresses();
      a->set_address(prefix + "::" + hex4(host >> 8) + ":" + hex4(host));
      a->set_prefix_length(64);
      a->set_scope(e.ipv6UniqueLocal ? pb::ADDRESS_SCOPE_UNIQUE_LOCAL : pb::ADDRESS_SCOPE_GLOBAL);
      a->set_origin(isServer(e.os) ? pb::ADDRESS_ORIGIN_STATIC
                                   : (win ? pb::ADDRESS_ORIGIN_DHCPV6 : pb::ADDRESS_ORIGIN_SLAAC));
      if (win && !isServer(e.os)) {
        auto* t = iface->add_addresses();
        t->set_address(prefix + ":" + hex4(host >> 40) + ":" + hex4(host >> 24) + ":" +
                       hex4(host >> 12) + ":" + hex4(host >> 4));
        t->set_prefix_length(64);
        t->set_scope(a->scope());
        t->set_origin(pb::ADDRESS_ORIGIN_TEMPORARY);
      }
      v6->set_best_scope(a->scope());
      bool route = e.ipv6Level >= 3 || (host & 1);
      bool resolver = e.ipv6Level >= 3 || !route;
      v6->set_default_route(tri(route));
      if (route) v6->set_default_gateway("fe80::1");
      if (resolver) v6->add_resolvers(prefix + "::53");
      if (e.ipv6Level == 2) {
        if (!route) v6->add_readiness_reasons("no IPv6 default route");
        if (!resolver) v6->add_readiness_reasons("no IPv6 DNS resolver configured");
      }
    }
  }

  auto* aaaa = v6->mutable_collector_aaaa();
  auto* conn = v6->mutable_collector_connect();
  aaaa->set_name(kCollectorName);
  conn->set_name(kCollectorName);
  if (e.ipv6Level >= 3 && (e.ipv6Level == 4 || (host & 2))) {
    aaaa->set_status(pb::PROBE_STATUS_OK);
    aaaa->add_addresses("2001:db8:ffff::10");
  } else if (e.ipv6Level >= 1) {
    aaaa->set_status(pb::PROBE_STATUS_ERROR);
    aaaa->set_message("no AAAA record for " + std::string(kCollectorName));
  } else {
    aaaa->set_status(pb::PROBE_STATUS_UNAVAILABLE);
    aaaa->set_message("IPv6 is disabled on the host");
  }
  if (e.ipv6Level == 4) {
    conn->set_status(pb::PROBE_STATUS_OK);
  } else if (aaaa->status() == pb::PROBE_STATUS_OK) {
    conn->set_status(pb::PROBE_STATUS_ERROR);
    conn->set_message("Connection timed out");
    v6->add_readiness_reasons("no TCP connection to the collector over IPv6: Connection timed out");
  } else {
    conn->set_status(pb::PROBE_STATUS_UNAVAILABLE);
    conn->set_message("no IPv6 address to connect to");
    if (e.ipv6Level == 3) {
      v6->add_readiness_reasons("collector AAAA lookup failed: " + aaaa->message());
    }
  }
}

}  // namespace

std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t Rng::below(std::uint64_t n) { return next() % n; }

std::int64_t Rng::between(std::int64_t lo, std::int64_t hi) {
  return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo + 1)));
}

bool Rng::chance(double percent) {
  return static_cast<double>(next() >> 11) * 0x1.0p-53 * 100.0 < percent;
}

bool isWindows(OsKind os) {
  return os == OsKind::Windows10 || os == OsKind::Windows11 || os == OsKind::Server2019 ||
         os == OsKind::Server2022;
}

bool isServer(OsKind os) { return os == OsKind::Server2019 || os == OsKind::Server2022; }

std::string hostnameFor(const std::string& unitCode, std::size_t numberInUnit, bool server) {
  std::string out;
  for (char c : unitCode) {
    auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::toupper(u)) : '-';
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, server ? "-SV%02zu" : "-PC%03zu", numberInUnit);
  return out + buf;
}

FleetGenerator::FleetGenerator(std::uint64_t seed, std::vector<std::string> units)
    : seed_(seed), units_(std::move(units)) {
  if (units_.empty()) units_.push_back("UNIT");
}

EndpointProfile FleetGenerator::profile(std::size_t index) const {
  Rng r(mix(seed_, index));
  EndpointProfile e;
  e.index = index;
  e.unitCode = units_[index % units_.size()];

  std::uint64_t os = r.below(100);
  e.os = os < 45   ? OsKind::Windows10
         : os < 70 ? OsKind::Windows11
         : os < 75 ? OsKind::Server2019
         : os < 80 ? OsKind::Server2022
         : os < 92 ? OsKind::Ubuntu
                   : OsKind::Debian;
  bool win = isWindows(e.os);
  e.hostname = hostnameFor(e.unitCode, index / units_.size() + 1, isServer(e.os));
  e.osBuildRevision = win ? std::to_string(r.between(3000, 4600)) : std::to_string(r.between(90, 110));

  // Protection: about 8% of machines have none, about 7% of the rest run with real-time
  // protection switched off, about 10% have signatures that stopped updating.
  e.antivirusProbeOk = !r.chance(0.5);
  if (e.antivirusProbeOk && !r.chance(8)) {
    AvProfile av;
    std::uint64_t pick = r.below(100);
    if (win) {
      av.kind = pick < 35 ? AvKind::Bkav : pick < 65 ? AvKind::Kaspersky : AvKind::Defender;
    } else {
      av.kind = pick < 75 ? AvKind::ClamAv : AvKind::KasperskyLinux;
    }
    // Kaspersky is usually deployed through Security Center; BKAV sometimes through
    // BKAV Endpoint; Defender and ClamAV here are stand-alone.
    if (av.kind == AvKind::Kaspersky || av.kind == AvKind::KasperskyLinux) av.managed = r.chance(85);
    if (av.kind == AvKind::Bkav) av.managed = r.chance(40);
    // ClamAV without on-access scanning (clamonacc) is more common; fleet-wide the
    // real-time-off share stays near 7%.
    av.realTime = !r.chance(av.kind == AvKind::ClamAv ? 15 : 6);
    av.stale = r.chance(10);
    av.signatureAgeSeconds = av.stale ? r.between(8 * kDay, 60 * kDay) : r.between(0, 2 * kDay);
    e.antivirus.push_back(av);
    // With a third-party product registered, Windows keeps Defender in passive mode.
    if (win && av.kind != AvKind::Defender && r.chance(20)) {
      AvProfile passive;
      passive.kind = AvKind::Defender;
      passive.realTime = false;
      passive.stale = av.stale;
      passive.signatureAgeSeconds = av.signatureAgeSeconds;
      e.antivirus.push_back(passive);
    }
  }

  e.patchesProbeOk = !(win && r.chance(2));
  e.pendingSecurity = r.chance(70) ? 0 : static_cast<std::uint32_t>(r.between(1, 40));
  e.pendingOther = static_cast<std::uint32_t>(r.between(0, win ? 3 : 25));
  e.lastInstallAgeSeconds = r.chance(85) ? r.between(0, 30 * kDay) : r.between(60 * kDay, 200 * kDay);
  e.rebootRequired = r.chance(15);
  e.automaticUpdates = win ? r.chance(80) : r.chance(50);

  std::uint64_t lvl = r.below(100);
  e.ipv6Level = lvl < 12 ? 0 : lvl < 35 ? 1 : lvl < 60 ? 2 : lvl < 80 ? 3 : 4;
  e.ipv6UniqueLocal = r.chance(30);
  e.ipv6ProbeOk = !r.chance(1);

  // Server Core has no Windows Firewall service the agent can query.
  e.firewallProbeOk = !(isServer(e.os) && r.chance(30));
  e.firewallEnabled = win ? r.chance(90) : r.chance(70);
  e.firewallDefaultDeny = e.firewallEnabled && r.chance(85);
  e.firewallRules = static_cast<std::uint32_t>(win ? r.between(250, 600) : r.between(0, 40));
  return e;
}

pb::Report FleetGenerator::report(const EndpointProfile& e, const std::string& agentId,
                                  std::uint64_t sequence, std::int64_t nowUnix) const {
  Rng r(mix(mix(seed_, e.index), sequence));
  pb::Report rep;
  rep.set_sequence(sequence);
  rep.mutable_collected_at()->set_seconds(nowUnix);
  fillIdentity(rep.mutable_identity(), e, agentId);

  auto* av = rep.mutable_antivirus();
  setProbe(av->mutable_probe(), e.antivirusProbeOk,
           "WMI query of root\\SecurityCenter2 failed: 0x80041003 (access denied)",
           static_cast<std::uint32_t>(r.between(20, 400)), pb::PROBE_STATUS_ERROR);
  for (const auto& p : e.antivirus) fillProduct(av->add_products(), p, sequence, nowUnix);

  auto* pt = rep.mutable_patches();
  setProbe(pt->mutable_probe(), e.patchesProbeOk,
           "the Windows Update service (wuauserv) is disabled",
           static_cast<std::uint32_t>(r.between(300, 4000)));
  if (e.patchesProbeOk) {
    // Between reports an update may arrive or get installed.
    std::uint32_t security = e.pendingSecurity;
    if (sequence > 1 && r.chance(10)) security = security > 0 ? security - 1 : 1;
    pt->set_pending_security_updates(security);
    pt->set_pending_updates(security + e.pendingOther);
    pt->mutable_last_install_time()->set_seconds(nowUnix - e.lastInstallAgeSeconds);
    pt->mutable_last_check_time()->set_seconds(nowUnix - r.between(0, 2 * kDay));
    pt->set_reboot_required(e.rebootRequired ? pb::TRISTATE_ON : pb::TRISTATE_OFF);
    pt->set_automatic_updates(e.automaticUpdates ? pb::TRISTATE_ON : pb::TRISTATE_OFF);
    pt->set_source(isWindows(e.os) ? "Windows Update Agent (IUpdateSearcher)"
                                   : "apt-get -s upgrade");
  }

  std::uint64_t unitHash = 0xcbf29ce484222325ULL;
  for (unsigned char c : e.unitCode) unitHash = (unitHash ^ c) * 0x100000001b3ULL;
  fillIpv6(rep.mutable_ipv6(), e, unitHash);

  auto* fw = rep.mutable_firewall();
  setProbe(fw->mutable_probe(), e.firewallProbeOk, "no firewall service found",
           static_cast<std::uint32_t>(r.between(5, 80)));
  if (e.firewallProbeOk) {
    fw->set_enabled(e.firewallEnabled ? pb::TRISTATE_ON : pb::TRISTATE_OFF);
    if (isWindows(e.os)) {
      fw->set_backend("windows");
    } else {
      fw->set_backend(e.os == OsKind::Ubuntu ? "ufw" : "nftables");
    }
    fw->set_default_deny_input(e.firewallDefaultDeny ? pb::TRISTATE_ON : pb::TRISTATE_OFF);
    fw->set_rule_count(e.firewallEnabled ? e.firewallRules : 0);
  }
  return rep;
}

}  // namespace posture::bench
