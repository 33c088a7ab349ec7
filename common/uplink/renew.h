#pragma once
// Certificate renewal of a collector's client: an agent, or a district's link to its
// province (collector/upstream/link.cpp). A new key is made here and only its CSR goes out,
// over mTLS with the current certificate (POST /v1/renew).
#include <chrono>

#include "common/uplink/state.h"

namespace posture::uplink {

// How long before its expiry the certificate is renewed, by default.
inline constexpr std::chrono::seconds kRenewBefore = std::chrono::days{30};

// Renews the certificate if it expires within `before`. Returns true when renewed; throws
// UplinkError when the collector could not be reached or refused (the old one stays), or
// answered with a certificate that is not for the new key under the pinned CA.
bool renewIfDue(AgentState& state, std::chrono::seconds before, std::chrono::milliseconds timeout);

}  // namespace posture::uplink
