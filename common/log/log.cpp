#include "common/log/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace posture::log {
namespace {
std::atomic<Level> g_level{Level::Info};
std::mutex g_mutex;
}  // namespace

void setLevel(Level lvl) { g_level.store(lvl); }
Level level() { return g_level.load(std::memory_order_relaxed); }

bool parseLevel(std::string_view text, Level& out) {
  if (text == "debug") out = Level::Debug;
  else if (text == "info") out = Level::Info;
  else if (text == "warn" || text == "warning") out = Level::Warn;
  else if (text == "error") out = Level::Error;
  else return false;
  return true;
}

void write(Level lvl, std::string_view message) {
  // sd-daemon priority prefixes: journald stores the level, a terminal shows it.
  static const char* const kPrefix[] = {"<7>debug", "<6>info", "<4>warn", "<3>error"};
  const char* prefix = kPrefix[static_cast<int>(lvl)];
  if (isatty(STDERR_FILENO)) prefix += 3;  // no <N> on a terminal
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "%s %s: %.*s\n", prefix, stamp, static_cast<int>(message.size()),
               message.data());
}

}  // namespace posture::log
