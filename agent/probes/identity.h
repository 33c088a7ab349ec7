#pragma once
#include <string>

#include "agent/probes/probe_context.h"

namespace posture::agent {

// Who this endpoint is. Empty strings are values that could not be read; the outcome
// says why.
struct IdentityResult {
  ProbeOutcome outcome;
  std::string hostname;
  std::string osName;
  std::string osVersion;
  std::string osBuild;
  std::string kernel;
  std::string architecture;
  std::string agentVersion;
};

IdentityResult probeIdentity(const ProbeContext& context);

}  // namespace posture::agent
