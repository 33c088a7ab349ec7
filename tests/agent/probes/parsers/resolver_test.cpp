#include "agent/probes/parsers/resolver.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace posture::agent::parsers;

TEST_CASE("sendsToResolved recognises systemd-resolved's local listener addresses") {
  CHECK(sendsToResolved("# managed by systemd-resolved\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n"));
  CHECK(sendsToResolved("nameserver 127.0.0.54\n"));
  CHECK_FALSE(sendsToResolved("nameserver 10.0.0.53\nnameserver 2001:db8::53\n"));
  CHECK_FALSE(sendsToResolved("# nameserver 127.0.0.53\n"));
  CHECK_FALSE(sendsToResolved(""));
}

TEST_CASE("resolvedLinkServers reads IPv6 servers of a netif state file") {
  // The shape systemd-resolved writes to /run/systemd/resolve/netif/<ifindex>.
  auto servers = resolvedLinkServers(
      "# This is private data. Do not parse.\n"
      "LLMNR=yes\n"
      "MDNS=no\n"
      "DNSSEC=no\n"
      "DNSOVERTLS=no\n"
      "SERVERS=192.0.2.53\n"
      "DNS=2001:db8::53 192.0.2.53 [2001:db8::54]:5353 fe80::1%2 2001:db8::55#dns.example.vn\n"
      "CURRENT_DNS_SERVER=2001:db8::53\n"
      "DOMAINS=example.vn\n");
  CHECK(servers == std::vector<std::string>{"2001:db8::53", "2001:db8::54", "fe80::1%2", "2001:db8::55"});
  CHECK(resolvedLinkServers("DNS=192.0.2.1\nLLMNR=yes\n").empty());
  CHECK(resolvedLinkServers("DNS=[fe80::1]:53%3\n") == std::vector<std::string>{"fe80::1%3"});
  CHECK(resolvedLinkServers("DNS=[2001:db8::1\nDNS=not-an-address\n").empty());
}
