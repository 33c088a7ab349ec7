#pragma once
#include <chrono>
#include <filesystem>
#include <string>

#include "common/uplink/state.h"

namespace posture::uplink {

struct EnrolOptions {
  std::string collector;       // HOST:PORT
  std::string token;
  std::filesystem::path stateDir;
  // Expected SHA-256 of the collector CA (as `posture-collector token create` prints it).
  std::string caFingerprint;
  // Without caFingerprint, enrolment is refused unless this is set: then the CA the
  // collector sends is trusted and the caller should log its fingerprint.
  bool trustOnFirstUse = false;
  bool force = false;          // replace an existing enrolment
  std::chrono::milliseconds timeout{15000};
};

// Refuses before any connection when there is neither a pin nor trust on first use, or
// the pin is not a SHA-256. Then generates the key on this machine and sends only a CSR
// with the token, over a handshake that verified the collector against the pinned CA
// (uplink.h: sendEnrolment); checks what comes back (the CA is the one the handshake
// verified, the certificate is ours and from that CA) and stores the result. Throws
// UplinkError (not retryable when a person must act) or std::runtime_error with the cause.
AgentState enrol(const EnrolOptions& options);

}  // namespace posture::uplink
