#include "agent/probes/parsers/ipv6_readiness.h"

namespace posture::agent::parsers {
namespace {

std::string checkReason(const LookupCheck& check, const std::string& what) {
  if (!check.message.empty()) return what + ": " + check.message;
  return what;
}

}  // namespace

Ipv6Readiness computeReadiness(const Ipv6Result& r) {
  Ipv6Readiness out;
  if (r.enabled != Tristate::On) {
    out.reasons.push_back(r.enabled == Tristate::Off ? "IPv6 is disabled on the host"
                                                     : "whether IPv6 is enabled could not be read");
    return out;
  }
  out.level = 1;

  for (const auto& iface : r.interfaces) {
    for (const auto& a : iface.addresses) {
      // A tentative or DAD-failed address cannot be used as a source; a deprecated one
      // still can when nothing better exists, so it counts.
      if (a.tentative || a.dadFailed) continue;
      if (a.scope == AddressScope::Global) out.bestScope = AddressScope::Global;
      if (a.scope == AddressScope::UniqueLocal && out.bestScope != AddressScope::Global) {
        out.bestScope = AddressScope::UniqueLocal;
      }
    }
  }
  if (out.bestScope == AddressScope::Unspecified) {
    out.reasons.push_back("no routable IPv6 address (global 2000::/3 or unique-local fc00::/7)");
    return out;
  }
  out.level = 2;

  if (r.defaultRoute != Tristate::On) out.reasons.push_back("no IPv6 default route");
  if (r.resolvers.empty()) out.reasons.push_back("no IPv6 DNS resolver configured");
  if (!out.reasons.empty()) return out;
  out.level = 3;

  if (r.collectorAaaa.status != ProbeStatus::Ok || r.collectorAaaa.addresses.empty()) {
    out.reasons.push_back(checkReason(r.collectorAaaa, "collector AAAA lookup failed"));
  } else if (r.collectorConnect.status != ProbeStatus::Ok) {
    out.reasons.push_back(checkReason(r.collectorConnect, "no TCP connection to the collector over IPv6"));
  }
  if (!out.reasons.empty()) return out;
  out.level = 4;
  return out;
}

}  // namespace posture::agent::parsers
