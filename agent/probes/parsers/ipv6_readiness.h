#pragma once
// IPv6 readiness level (shared/domain.md), a pure function of what the probe collected.
#include "agent/probes/ipv6.h"

namespace posture::agent::parsers {

// Level 0 disabled · 1 link-local only · 2 a routable (global or unique-local, not
// tentative, not DAD-failed) address · 3 level 2 + default route + an IPv6 resolver
// address configured (with a default route every resolver address has a route, so
// "reachable over IPv6" needs nothing more) · 4 level 3 + the
// collector's AAAA resolved + a TCP connection to it over IPv6. Reasons say, in English,
// why the next level was not reached (all missing conditions of that level).
Ipv6Readiness computeReadiness(const Ipv6Result& result);

}  // namespace posture::agent::parsers
