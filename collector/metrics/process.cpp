#include "collector/metrics/process.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "common/util/files.h"

namespace posture::collector::metrics {

std::optional<ProcStat> parseProcStat(std::string_view text) {
  auto close = text.rfind(')');
  if (close == std::string_view::npos || close + 2 > text.size()) return std::nullopt;
  std::istringstream in(std::string(text.substr(close + 2)));
  // Field 3 (state) is the first after the name; see proc(5).
  std::string field;
  ProcStat s;
  int got = 0;
  for (int i = 3; i <= 24 && in >> field; ++i) {
    try {
      switch (i) {
        case 14: s.utimeTicks = std::stoull(field); ++got; break;
        case 15: s.stimeTicks = std::stoull(field); ++got; break;
        case 22: s.startTicks = std::stoull(field); ++got; break;
        case 23: s.virtualBytes = std::stoull(field); ++got; break;
        case 24: s.residentPages = std::stoull(field); ++got; break;
        default: break;
      }
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (got != 5) return std::nullopt;
  return s;
}

namespace {
std::optional<ProcStat> selfStat() {
  auto text = util::readFile("/proc/self/stat", 1 << 16);
  if (!text) return std::nullopt;
  return parseProcStat(*text);
}

double ticksPerSecond() {
  long t = ::sysconf(_SC_CLK_TCK);
  return t > 0 ? static_cast<double>(t) : 100.0;
}

// The boot time (btime of /proc/stat), once.
std::optional<double> bootTime() {
  static const std::optional<double> boot = []() -> std::optional<double> {
    auto text = util::readFile("/proc/stat", 1 << 20);
    if (!text) return std::nullopt;
    auto at = text->find("\nbtime ");
    if (at == std::string::npos) return std::nullopt;
    try {
      return std::stod(text->substr(at + 7, 24));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }();
  return boot;
}
}  // namespace

void addProcessMetrics(Registry& r) {
  r.callback(Type::Counter, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
             {}, []() -> std::optional<double> {
               auto s = selfStat();
               if (!s) return std::nullopt;
               return static_cast<double>(s->utimeTicks + s->stimeTicks) / ticksPerSecond();
             });
  r.callback(Type::Gauge, "process_resident_memory_bytes", "Resident memory size in bytes.", {},
             []() -> std::optional<double> {
               auto s = selfStat();
               if (!s) return std::nullopt;
               return static_cast<double>(s->residentPages) * static_cast<double>(::sysconf(_SC_PAGESIZE));
             });
  r.callback(Type::Gauge, "process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
             []() -> std::optional<double> {
               auto s = selfStat();
               if (!s) return std::nullopt;
               return static_cast<double>(s->virtualBytes);
             });
  r.callback(Type::Gauge, "process_open_fds", "Number of open file descriptors.", {},
             []() -> std::optional<double> {
               std::error_code ec;
               double n = 0;
               for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
                    it.increment(ec)) {
                 ++n;
               }
               if (ec) return std::nullopt;
               return n;
             });
  r.callback(Type::Gauge, "process_max_fds", "Maximum number of open file descriptors.", {},
             []() -> std::optional<double> {
               rlimit l{};
               if (::getrlimit(RLIMIT_NOFILE, &l) != 0 || l.rlim_cur == RLIM_INFINITY) return std::nullopt;
               return static_cast<double>(l.rlim_cur);
             });
  r.callback(Type::Gauge, "process_start_time_seconds",
             "Start time of the process since unix epoch in seconds.", {},
             []() -> std::optional<double> {
               auto s = selfStat();
               auto boot = bootTime();
               if (!s || !boot) return std::nullopt;
               return *boot + static_cast<double>(s->startTicks) / ticksPerSecond();
             });
}

}  // namespace posture::collector::metrics
