#include "agent/probes/parsers/windows_network.h"

#include <doctest/doctest.h>

#include <vector>

#include "agent/probes/parsers/ipv6_readiness.h"

using namespace posture::agent;
using namespace posture::agent::parsers;

namespace {

Ipv6Bytes bytes(std::initializer_list<int> v) {
  Ipv6Bytes b{};
  std::size_t i = 0;
  for (int x : v) b[i++] = static_cast<std::uint8_t>(x);
  return b;
}

}  // namespace

TEST_CASE("windowsAddressOrigin maps prefix and suffix origins") {
  CHECK(windowsAddressOrigin(AddressScope::LinkLocal, kPrefixOriginWellKnown,
                             kSuffixOriginLinkLayerAddress) == AddressOrigin::LinkLayer);
  CHECK(windowsAddressOrigin(AddressScope::Global, kPrefixOriginRouterAdvertisement,
                             kSuffixOriginLinkLayerAddress) == AddressOrigin::Slaac);
  CHECK(windowsAddressOrigin(AddressScope::Global, kPrefixOriginRouterAdvertisement,
                             kSuffixOriginRandom) == AddressOrigin::Temporary);
  CHECK(windowsAddressOrigin(AddressScope::Global, kPrefixOriginDhcp, kSuffixOriginDhcp) ==
        AddressOrigin::Dhcpv6);
  CHECK(windowsAddressOrigin(AddressScope::Global, kPrefixOriginRouterAdvertisement,
                             kSuffixOriginDhcp) == AddressOrigin::Dhcpv6);
  CHECK(windowsAddressOrigin(AddressScope::Global, kPrefixOriginManual, kSuffixOriginManual) ==
        AddressOrigin::Static);
  CHECK(windowsAddressOrigin(AddressScope::Loopback, kPrefixOriginWellKnown,
                             kSuffixOriginWellKnown) == AddressOrigin::Static);
  CHECK(windowsAddressOrigin(AddressScope::Global, kPrefixOriginOther, kSuffixOriginOther) ==
        AddressOrigin::Unknown);
  // The numeric values of nldef.h.
  CHECK(windowsAddressOrigin(AddressScope::Global, 4, 5) == AddressOrigin::Temporary);
  CHECK(windowsAddressOrigin(AddressScope::UniqueLocal, 1, 1) == AddressOrigin::Static);
}

TEST_CASE("decodeDadState") {
  CHECK(decodeDadState(kDadStatePreferred).tentative == false);
  CHECK(decodeDadState(kDadStatePreferred).invalid == false);
  CHECK(decodeDadState(kDadStateTentative).tentative);
  CHECK(decodeDadState(kDadStateDuplicate).dadFailed);
  CHECK(decodeDadState(kDadStateDeprecated).deprecated);
  CHECK(decodeDadState(kDadStateInvalid).invalid);
  CHECK(decodeDadState(99).invalid);
}

TEST_CASE("Windows addresses reach the same readiness as Linux ones") {
  Ipv6Result r;
  r.enabled = Tristate::On;
  Ipv6Interface eth{"Ethernet", {}, Tristate::On};
  auto add = [&eth](const Ipv6Bytes& b, int prefixOrigin, int suffixOrigin, int dad) {
    Ipv6Address a;
    a.address = formatAddress(b);
    a.scope = classifyScope(b);
    a.origin = windowsAddressOrigin(a.scope, prefixOrigin, suffixOrigin);
    auto f = decodeDadState(dad);
    a.tentative = f.tentative;
    a.dadFailed = f.dadFailed;
    a.deprecated = f.deprecated;
    eth.addresses.push_back(a);
  };
  add(bytes({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 1}), 2, 4, 4);
  // A global address that is still tentative does not count.
  add(bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}), 4, 4,
      kDadStateTentative);
  r.interfaces.push_back(eth);
  CHECK(computeReadiness(r).level == 1);
  r.interfaces[0].addresses[1].tentative = decodeDadState(kDadStatePreferred).tentative;
  CHECK(computeReadiness(r).level == 2);
  CHECK(r.interfaces[0].addresses[1].address == "2001:db8::10");
  CHECK(r.interfaces[0].addresses[1].origin == AddressOrigin::Slaac);
}

TEST_CASE("finiteLifetime") {
  CHECK_FALSE(finiteLifetime(0xffffffffu));
  CHECK(finiteLifetime(86400) == 86400u);
}

TEST_CASE("routeOriginName") {
  CHECK(routeOriginName(0) == "static");
  CHECK(routeOriginName(1) == "kernel");
  CHECK(routeOriginName(2) == "dhcp");
  CHECK(routeOriginName(3) == "ra");
  CHECK(routeOriginName(4) == "6to4");
  CHECK(routeOriginName(9) == "origin 9");
}

TEST_CASE("pickDefaultRoute takes the lowest-metric ::/0") {
  std::vector<RouteRow> rows(4);
  rows[0].destination = bytes({0x20, 0x01, 0x0d, 0xb8});
  rows[0].prefixLength = 64;
  rows[1].prefixLength = 0;
  rows[1].metric = 256;
  rows[1].interfaceIndex = 12;
  rows[1].origin = 3;
  rows[2].prefixLength = 0;
  rows[2].metric = 16;
  rows[2].loopback = true;
  rows[3].prefixLength = 0;
  rows[3].metric = 256;
  auto best = pickDefaultRoute(rows);
  REQUIRE(best);
  CHECK(*best == 1);
  rows[3].metric = 10;
  CHECK(pickDefaultRoute(rows) == std::optional<std::size_t>(3));
  CHECK_FALSE(pickDefaultRoute({rows[0], rows[2]}));
  CHECK_FALSE(pickDefaultRoute({}));
}

TEST_CASE("decodeDisabledComponents") {
  CHECK(decodeDisabledComponents(std::nullopt).state == Tristate::On);
  CHECK(decodeDisabledComponents(0u).reason.empty());
  auto all = decodeDisabledComponents(0xffu);
  CHECK(all.state == Tristate::Off);
  CHECK(all.reason ==
        "IPv6 is disabled on all non-tunnel interfaces (Tcpip6 DisabledComponents 0xFF)");
  CHECK(decodeDisabledComponents(0x10u).state == Tristate::Off);
  CHECK(decodeDisabledComponents(0x11u).state == Tristate::Off);
  auto tunnels = decodeDisabledComponents(0x01u);
  CHECK(tunnels.state == Tristate::On);
  CHECK(tunnels.reason == "IPv6 is disabled on tunnel interfaces (Tcpip6 DisabledComponents 0x01)");
  auto prefer = decodeDisabledComponents(0x20u);
  CHECK(prefer.state == Tristate::On);
  CHECK(prefer.reason == "IPv4 is preferred over IPv6 (Tcpip6 DisabledComponents 0x20)");
}

TEST_CASE("isWindowsPlaceholderDns recognises fec0:0:0:ffff::1-3") {
  CHECK(
      isWindowsPlaceholderDns(bytes({0xfe, 0xc0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1})));
  CHECK(
      isWindowsPlaceholderDns(bytes({0xfe, 0xc0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 3})));
  CHECK_FALSE(
      isWindowsPlaceholderDns(bytes({0xfe, 0xc0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 4})));
  CHECK_FALSE(
      isWindowsPlaceholderDns(bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})));
}
