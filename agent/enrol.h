#pragma once
#include <chrono>
#include <filesystem>
#include <string>

#include "agent/state.h"

namespace posture::agent {

struct EnrolOptions {
  std::string collector;       // HOST:PORT
  std::string token;
  std::filesystem::path stateDir;
  std::string caFingerprint;   // expected SHA-256 of the collector CA; empty: trust on first use
  bool force = false;          // replace an existing enrolment
  std::chrono::milliseconds timeout{15000};
};

// Generates the key on this machine, sends only a CSR with the token, checks what comes
// back (the CA signed our key; the server we talked to holds a certificate from that CA;
// the CA matches the expected fingerprint) and stores the result. Throws UplinkError or
// std::runtime_error with the cause.
AgentState enrol(const EnrolOptions& options);

}  // namespace posture::agent
