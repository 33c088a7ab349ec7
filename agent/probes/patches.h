#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/probes/probe_context.h"

namespace posture::agent {

struct PatchesResult {
  ProbeOutcome outcome;
  std::optional<std::uint32_t> pendingUpdates;
  std::optional<std::uint32_t> pendingSecurityUpdates;
  std::optional<std::int64_t> lastInstallTime;  // Unix seconds
  std::optional<std::int64_t> lastCheckTime;    // Unix seconds
  Tristate rebootRequired = Tristate::Unknown;
  Tristate automaticUpdates = Tristate::Unknown;
  std::string source;         // the command the counts come from
  std::string runningKernel;  // uname -r
  std::string newestKernel;   // newest installed kernel of the same flavour, when newer
  std::optional<std::uint32_t> pendingCriticalUpdates;  // Windows: MSRC severity Critical
  std::vector<std::string> installedUpdates;            // Windows: "KB5031356", ...
};

PatchesResult probePatches(const ProbeContext& context);

}  // namespace posture::agent
