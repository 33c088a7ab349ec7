#pragma once
// Which client a login attempt counts against. Throttling by the exact address would let
// one IPv6 host walk through its whole /64 (SLAAC and privacy addresses give every host
// 2^64 addresses to choose from), so addresses are grouped: IPv4 per address, IPv6 per /64.
// The one place that decides it (collector/auth/README.md).
#include <string>
#include <string_view>

namespace posture::collector::auth {

// The address part of net::Request::remote: "203.0.113.9:51234" → "203.0.113.9",
// "2001:db8::1:443" → "2001:db8::1" (the port is always the last ':' field), "[2001:db8::1]:443"
// → "2001:db8::1". Text without any ':' is returned as is.
std::string remoteAddress(std::string_view remote);

// The group an address is throttled as:
//   "203.0.113.9"                    IPv4: the address itself
//   "2001:db8:1:2::/64"              IPv6: its /64, in the canonical text form
//   "203.0.113.9"                    IPv4-mapped IPv6 (::ffff:203.0.113.9): as IPv4
// A zone ("fe80::1%eth0") is ignored. Text that is no address at all is one group,
// "invalid", so garbage cannot make up fresh groups.
std::string sourceGroup(std::string_view address);

}  // namespace posture::collector::auth
