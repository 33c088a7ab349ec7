#pragma once
// Which DNS resolvers the host uses, from resolv.conf and systemd-resolved's state files.
#include <string>
#include <string_view>
#include <vector>

namespace posture::agent::parsers {

// True when resolv.conf sends queries to systemd-resolved's local listener (127.0.0.53 or
// 127.0.0.54): the servers that matter are then resolved's upstreams.
bool sendsToResolved(std::string_view resolvConf);

// IPv6 servers of one /run/systemd/resolve/netif/<ifindex> file ("DNS=" and
// "CURRENT_DNS_SERVER=" lines, space-separated). Entries may carry a port ("[addr]:53"),
// an interface ("addr%3") or a server name ("addr#dns.example"); the address is returned
// with its interface suffix kept when it is link-local.
std::vector<std::string> resolvedLinkServers(std::string_view netifFile);

}  // namespace posture::agent::parsers
