// Runs the IPv6 probe once in the current network namespace and prints what it found as
// "key<TAB>value" lines, for the lab test to read back from another namespace.
// Usage: ipv6_probe_helper <collector host> <collector port>
#include <cstdlib>
#include <iostream>
#include <string>

#include "agent/probes/ipv6.h"

namespace {

const char* statusName(posture::agent::ProbeStatus s) {
  switch (s) {
    case posture::agent::ProbeStatus::Ok: return "ok";
    case posture::agent::ProbeStatus::Unavailable: return "unavailable";
    case posture::agent::ProbeStatus::Error: return "error";
  }
  return "?";
}

const char* tristateName(posture::agent::Tristate t) {
  switch (t) {
    case posture::agent::Tristate::On: return "on";
    case posture::agent::Tristate::Off: return "off";
    case posture::agent::Tristate::Unknown: return "unknown";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace posture::agent;
  if (argc != 3) {
    std::cerr << "usage: ipv6_probe_helper <collector host> <collector port>\n";
    return 2;
  }
  ProbeContext context;
  context.budget = std::chrono::seconds(8);
  context.collectorHost = argv[1];
  context.collectorPort = static_cast<std::uint16_t>(std::atoi(argv[2]));
  auto r = probeIpv6(context);
  std::cout << "status\t" << statusName(r.outcome.status) << "\n"
            << "message\t" << r.outcome.message << "\n"
            << "source\t" << r.source << "\n"
            << "enabled\t" << tristateName(r.enabled) << "\n"
            << "default_route\t" << tristateName(r.defaultRoute) << "\n"
            << "default_gateway\t" << r.defaultGateway << "\n"
            << "default_route_device\t" << r.defaultRouteDevice << "\n"
            << "default_route_origin\t" << r.defaultRouteOrigin << "\n";
  for (const auto& i : r.interfaces) {
    std::cout << "interface\t" << i.name << " " << tristateName(i.enabled) << "\n";
    for (const auto& a : i.addresses) {
      std::cout << "address\t" << i.name << " " << a.address << "/" << a.prefixLength << " scope "
                << static_cast<int>(a.scope) << " origin " << static_cast<int>(a.origin)
                << (a.deprecated ? " deprecated" : "") << (a.tentative ? " tentative" : "")
                << (a.dadFailed ? " dadfailed" : "") << " proto " << a.kernelProto << "\n";
    }
  }
  for (const auto& s : r.resolvers) std::cout << "resolver\t" << s << "\n";
  for (const auto& a : r.collectorAaaa.addresses) std::cout << "aaaa\t" << a << "\n";
  std::cout << "aaaa_status\t" << statusName(r.collectorAaaa.status) << " " << r.collectorAaaa.message << "\n"
            << "connect_status\t" << statusName(r.collectorConnect.status) << " " << r.collectorConnect.message
            << "\n"
            << "level\t" << r.readiness.level << "\n"
            << "best_scope\t" << static_cast<int>(r.readiness.bestScope) << "\n";
  for (const auto& s : r.readiness.reasons) std::cout << "reason\t" << s << "\n";
  return 0;
}
