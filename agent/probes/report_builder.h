#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "posture/v1/report.pb.h"

namespace posture::agent {

struct CollectOptions {
  std::string agentId;        // empty before enrolment
  std::string unitCode;       // empty before enrolment
  std::string collectorHost;  // empty: IPv6 AAAA/connect checks report UNAVAILABLE "no collector configured"
  std::uint16_t collectorPort = 0;
  std::chrono::milliseconds probeBudget{10000};  // time budget per probe
  std::filesystem::path cacheDir;  // the agent's state directory; empty: no probe caches
};

// Runs every probe; never throws for system failures: a failing probe is reported with
// status ERROR/UNAVAILABLE and a reason, and the rest of the report is still filled.
// Fills everything except `sequence` (the caller numbers reports). Sets collected_at.
posture::v1::Report collectReport(const CollectOptions& options);

}  // namespace posture::agent
