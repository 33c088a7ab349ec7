#pragma once
// The usual process metrics (process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds), read from /proc/self at each scrape as Prometheus' own
// client libraries do.
#include <cstdint>
#include <optional>
#include <string_view>

#include "collector/metrics/registry.h"

namespace posture::collector::metrics {

struct ProcStat {
  std::uint64_t utimeTicks = 0, stimeTicks = 0;
  std::uint64_t startTicks = 0;  // after boot
  std::uint64_t virtualBytes = 0;
  std::uint64_t residentPages = 0;
};
// /proc/PID/stat's text; nullopt when it cannot be read as such. The command name in
// parentheses may hold spaces and parentheses: fields start after the last ')'.
std::optional<ProcStat> parseProcStat(std::string_view text);

void addProcessMetrics(Registry& registry);

}  // namespace posture::collector::metrics
