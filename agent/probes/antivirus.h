#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/probes/probe_context.h"

namespace posture::agent {

struct AntivirusProduct {
  std::string name;
  std::string vendor;
  Tristate realTimeProtection = Tristate::Unknown;
  std::string signatureVersion;              // empty: unknown
  std::optional<std::int64_t> signatureTime;  // Unix seconds
  Tristate upToDate = Tristate::Unknown;
  Tristate managed = Tristate::Unknown;       // managed by a central console
  std::string source;                         // what the agent read
};

struct AntivirusResult {
  ProbeOutcome outcome;
  std::vector<AntivirusProduct> products;
};

AntivirusResult probeAntivirus(const ProbeContext& context);

}  // namespace posture::agent
