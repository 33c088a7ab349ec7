#include "common/log/log.h"

#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "common/util/time.h"
#include "common/util/utf8.h"

namespace posture::log {
namespace {
std::atomic<Level> g_level{Level::Info};
std::mutex g_mutex;
// The optional log file (a Windows service has no stderr anyone reads).
std::FILE* g_file = nullptr;
std::filesystem::path g_filePath;
std::uintmax_t g_fileMax = 0;

bool stderrIsTerminal() {
#ifdef _WIN32
  return ::_isatty(::_fileno(stderr)) != 0;
#else
  return ::isatty(STDERR_FILENO) != 0;
#endif
}

// Keeps one previous file (PATH.1) when the current one outgrows its limit.
void rotateIfFull() {
  if (!g_file || g_fileMax == 0) return;
  long size = std::ftell(g_file);
  if (size < 0 || static_cast<std::uintmax_t>(size) < g_fileMax) return;
  std::fclose(g_file);
  std::error_code ec;
  auto old = g_filePath;
  old += ".1";
  std::filesystem::rename(g_filePath, old, ec);
  g_file = std::fopen(g_filePath.string().c_str(), "ab");
}
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

bool setFile(const std::filesystem::path& path, std::uintmax_t maxBytes) {
  std::lock_guard lock(g_mutex);
  if (g_file) std::fclose(g_file);
  g_file = std::fopen(path.string().c_str(), "ab");
  g_filePath = path;
  g_fileMax = maxBytes;
  return g_file != nullptr;
}

std::string escapeLine(std::string_view message) {
  std::string clean = util::sanitizeUtf8(message);
  std::string out;
  out.reserve(clean.size());
  for (char c : clean) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

struct RateLimiter::Impl {
  struct Entry {
    std::chrono::steady_clock::time_point windowStart;
    std::size_t written = 0;
    std::uint64_t suppressed = 0;
  };
  std::size_t burst;
  std::chrono::seconds interval;
  std::size_t maxKeys;
  mutable std::mutex mutex;
  std::unordered_map<std::string, Entry> entries;
  std::uint64_t total = 0;
};

RateLimiter::RateLimiter(std::size_t burst, std::chrono::seconds interval, std::size_t maxKeys)
    : impl_(new Impl{burst, interval, maxKeys, {}, {}, 0}) {}

RateLimiter::~RateLimiter() { delete impl_; }

bool RateLimiter::allow(const std::string& key, std::uint64_t* suppressed) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->entries.find(key);
  if (it == impl_->entries.end()) {
    if (impl_->entries.size() >= impl_->maxKeys) {
      // Forget every key whose window is over; if none is, the oldest one.
      std::erase_if(impl_->entries, [&](const auto& e) {
        return now - e.second.windowStart >= impl_->interval && e.second.suppressed == 0;
      });
      if (impl_->entries.size() >= impl_->maxKeys) {
        auto oldest = impl_->entries.begin();
        for (auto e = impl_->entries.begin(); e != impl_->entries.end(); ++e)
          if (e->second.windowStart < oldest->second.windowStart) oldest = e;
        impl_->entries.erase(oldest);
      }
    }
    it = impl_->entries.emplace(key, Impl::Entry{now, 0, 0}).first;
  }
  auto& e = it->second;
  if (now - e.windowStart >= impl_->interval) {
    e.windowStart = now;
    e.written = 0;
  }
  if (e.written >= impl_->burst) {
    ++e.suppressed;
    ++impl_->total;
    return false;
  }
  ++e.written;
  if (suppressed) *suppressed = e.suppressed;
  e.suppressed = 0;
  return true;
}

std::uint64_t RateLimiter::suppressedTotal() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->total;
}

void write(Level lvl, std::string_view raw) {
  std::string line = escapeLine(raw);
  std::string_view message = line;
  // sd-daemon priority prefixes: journald stores the level, a terminal shows it.
  static const char* const kPrefix[] = {"<7>debug", "<6>info", "<4>warn", "<3>error"};
  const char* prefix = kPrefix[static_cast<int>(lvl)];
  static const bool terminal = stderrIsTerminal();
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  util::utcTime(t, tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "%s %s: %.*s\n", terminal ? prefix + 3 : prefix, stamp,
               static_cast<int>(message.size()), message.data());
  if (g_file) {
    std::fprintf(g_file, "%s %s: %.*s\n", prefix + 3, stamp, static_cast<int>(message.size()),
                 message.data());
    std::fflush(g_file);
    rotateIfFull();
  }
}

}  // namespace posture::log
