#include "agent/probes/parsers/proc_net_ipv6.h"

#include <doctest/doctest.h>

#include <optional>

#include "tests/agent/test_data.h"

#include "common/util/files.h"

using namespace posture::agent;
using namespace posture::agent::parsers;

TEST_CASE("parseIfInet6 reads a recorded VM: loopback, link-local and a static ULA") {
  auto text = std::optional<std::string>(posture::test::agentData("if_inet6.txt"));
  REQUIRE(text);
  auto r = parseIfInet6(*text);
  CHECK(r.malformed.empty());
  REQUIRE(r.entries.size() == 3);
  CHECK(r.entries[0].interface == "lo");
  CHECK(r.entries[0].address.address == "::1");
  CHECK(r.entries[0].address.prefixLength == 128);
  CHECK(r.entries[0].address.scope == AddressScope::Loopback);
  CHECK(r.entries[1].address.address == "fe80::fc:ff:fe00:1");
  CHECK(r.entries[1].address.scope == AddressScope::LinkLocal);
  CHECK(r.entries[1].address.origin == AddressOrigin::LinkLayer);
  CHECK(r.entries[2].interface == "eth0");
  CHECK(r.entries[2].address.address == "fd00::2");
  CHECK(r.entries[2].address.prefixLength == 64);
  CHECK(r.entries[2].address.scope == AddressScope::UniqueLocal);
  CHECK(r.entries[2].address.origin == AddressOrigin::Static);
  CHECK_FALSE(r.entries[2].address.tentative);
}

TEST_CASE("parseIfInet6 maps kernel flags to origin, deprecated and tentative") {
  auto r = parseIfInet6(
      "20010db8000000011c2d3e4f5a6b7c8d 02 40 00 01     wlan0\n"   // temporary
      "20010db800000001021122fffe334455 02 40 00 00     wlan0\n"   // SLAAC or DHCPv6
      "20010db800000001021122fffe334466 02 40 00 20     wlan0\n"   // deprecated
      "20010db800000001021122fffe334477 02 40 00 c0     wlan0\n"); // tentative, permanent
  REQUIRE(r.entries.size() == 4);
  CHECK(r.entries[0].address.origin == AddressOrigin::Temporary);
  CHECK(r.entries[0].address.scope == AddressScope::Global);
  CHECK(r.entries[1].address.origin == AddressOrigin::Dynamic);
  CHECK(r.entries[2].address.deprecated);
  CHECK(r.entries[2].address.origin == AddressOrigin::Dynamic);
  CHECK(r.entries[3].address.tentative);
  CHECK(r.entries[3].address.origin == AddressOrigin::Static);
  CHECK(r.entries[0].address.address == "2001:db8:0:1:1c2d:3e4f:5a6b:7c8d");
}

TEST_CASE("parseIfInet6 reports malformed lines and keeps the good ones") {
  auto r = parseIfInet6("zz000000000000000000000000000001 01 80 10 80 lo\n"
                        "00000000000000000000000000000001 01 81 10 80 lo\n"
                        "0000000000000000000000000000001 01 80 10 80 lo\n"
                        "00000000000000000000000000000001 01 80 10\n"
                        "\n"
                        "00000000000000000000000000000001 01 80 10 80 lo\n");
  CHECK(r.entries.size() == 1);
  CHECK(r.malformed.size() == 4);
  CHECK(parseIfInet6("").entries.empty());
}

TEST_CASE("classifyScope covers every range the readiness levels use") {
  auto scope = [](const char* hex) { return classifyScope(*parseHexAddress(hex)); };
  CHECK(scope("00000000000000000000000000000001") == AddressScope::Loopback);
  CHECK(scope("fe800000000000000000000000000001") == AddressScope::LinkLocal);
  CHECK(scope("febf0000000000000000000000000001") == AddressScope::LinkLocal);
  CHECK(scope("fec00000000000000000000000000001") == AddressScope::Other);
  CHECK(scope("fc000000000000000000000000000001") == AddressScope::UniqueLocal);
  CHECK(scope("fdff0000000000000000000000000001") == AddressScope::UniqueLocal);
  CHECK(scope("20010db8000000000000000000000001") == AddressScope::Global);
  CHECK(scope("3fff0000000000000000000000000001") == AddressScope::Global);
  CHECK(scope("40000000000000000000000000000001") == AddressScope::Other);
  CHECK(scope("ff020000000000000000000000000001") == AddressScope::Other);
  CHECK(scope("00000000000000000000000000000000") == AddressScope::Other);
}

TEST_CASE("findDefaultRoute picks the usable default route from a recorded table") {
  auto text = std::optional<std::string>(posture::test::agentData("ipv6_route.txt"));
  REQUIRE(text);
  auto r = findDefaultRoute(*text);
  REQUIRE(r);
  CHECK(r->gateway == "fd00::1");
  CHECK(r->device == "eth0");
}

TEST_CASE("findDefaultRoute ignores reject routes, lo, non-default and malformed lines") {
  const char* reject =
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
  const char* rejectEth =
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 ffffffff 00000001 00000000 00000200     eth0\n";
  const char* prefix =
      "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n";
  CHECK_FALSE(findDefaultRoute(std::string(reject) + rejectEth + prefix + "garbage line\n"));
  CHECK_FALSE(findDefaultRoute(""));
  auto onLink = findDefaultRoute(
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 00000400 00000002 00000000 00000001   ppp0\n");
  REQUIRE(onLink);
  CHECK(onLink->gateway.empty());
  CHECK(onLink->device == "ppp0");
}

TEST_CASE("ipv6Nameservers keeps IPv6 resolvers only, in order, once") {
  auto ns = ipv6Nameservers("# generated\nnameserver 10.255.255.53\nnameserver 2001:4860:4860::8888\n"
                            "  nameserver\tfe80::1%eth0\n;nameserver ::1\nnameserver 2001:4860:4860::8888\n"
                            "nameserver fe80::1%\nnameserver not-an-address\nnameserver\nsearch example.vn\n");
  REQUIRE(ns.size() == 2);
  CHECK(ns[0] == "2001:4860:4860::8888");
  CHECK(ns[1] == "fe80::1%eth0");
  CHECK(ipv6Nameservers("nameserver 10.255.255.53\n").empty());
  CHECK(ipv6Nameservers("").empty());
}

TEST_CASE("classifyOrigin follows IFA_FLAGS, IFA_PROTO and the prefix length") {
  // Values as the kernel sends them: IFA_F_TEMPORARY 0x01, IFA_F_DADFAILED 0x08,
  // IFA_F_PERMANENT 0x80, IFA_F_MANAGETEMPADDR 0x100; IFA_PROTO 1 lo, 2 RA, 3 link-local.
  const auto G = AddressScope::Global;
  CHECK(classifyOrigin(AddressScope::LinkLocal, kIfaPermanent, kIfaProtoKernelLl, 64) == AddressOrigin::LinkLayer);
  CHECK(classifyOrigin(AddressScope::LinkLocal, kIfaPermanent, -1, 64) == AddressOrigin::LinkLayer);
  CHECK(classifyOrigin(G, kIfaTemporary, 0, 64) == AddressOrigin::Temporary);
  CHECK(classifyOrigin(G, kIfaTemporary, -1, 64) == AddressOrigin::Temporary);
  CHECK(classifyOrigin(G, 0, kIfaProtoKernelRa, 64) == AddressOrigin::Slaac);
  CHECK(classifyOrigin(G, kIfaManageTempAddr, kIfaProtoKernelRa, 64) == AddressOrigin::Slaac);
  CHECK(classifyOrigin(G, kIfaPermanent, 0, 64) == AddressOrigin::Static);
  CHECK(classifyOrigin(G, kIfaPermanent, -1, 128) == AddressOrigin::Static);
  CHECK(classifyOrigin(AddressScope::Loopback, kIfaPermanent, kIfaProtoKernelLo, 128) == AddressOrigin::Static);
  // Dynamic /128 not from an RA: a DHCPv6 lease (dhclient, NetworkManager, networkd).
  CHECK(classifyOrigin(G, 0, 0, 128) == AddressOrigin::Dhcpv6);
  CHECK(classifyOrigin(G, 0, -1, 128) == AddressOrigin::Dhcpv6);
  // User-space SLAAC owns temporaries (mngtmpaddr); without it a dynamic /64 is ambiguous.
  CHECK(classifyOrigin(G, kIfaManageTempAddr, 0, 64) == AddressOrigin::Slaac);
  CHECK(classifyOrigin(G, 0, 0, 64) == AddressOrigin::Dynamic);
  CHECK(classifyOrigin(G, 0, -1, 64) == AddressOrigin::Dynamic);
}

TEST_CASE("parseIfInet6 reports DAD failure") {
  auto r = parseIfInet6("20010db800000001021122fffe334488 02 40 00 48     eth0\n");
  REQUIRE(r.entries.size() == 1);
  CHECK(r.entries[0].address.dadFailed);
  CHECK(r.entries[0].address.tentative);
  CHECK(r.entries[0].address.kernelFlags == 0x48);
}
