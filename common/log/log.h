#pragma once
// Levelled logging to stderr (journald picks it up with the level prefix <N>) and,
// optionally, to a file (the Windows service, whose stderr nobody reads).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>

namespace posture::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void setLevel(Level level);
Level level();
// Parses "debug", "info", "warn", "error"; returns false on anything else.
bool parseLevel(std::string_view text, Level& out);
// One line per message: control characters (a newline, ESC, DEL...) are written as \xNN
// and invalid UTF-8 as U+FFFD, so text from the network (a hostname, a URL) cannot forge
// a line or a journald priority.
void write(Level level, std::string_view message);
// The message as write() prints it.
std::string escapeLine(std::string_view message);
// Also appends every line to PATH; when it grows past maxBytes it becomes PATH.1 (the one
// before is dropped). Returns false when PATH cannot be opened (stderr still works).
bool setFile(const std::filesystem::path& path, std::uintmax_t maxBytes = 10 * 1024 * 1024);

// Failure lines from untrusted peers (TLS handshakes, malformed requests), limited per
// key (a client address group): at most `burst` lines per `interval` for each key; the
// next line after a quiet spell says how many were suppressed. Thread-safe; keeps at most
// `maxKeys` keys (the oldest are forgotten first), so a flood of addresses cannot grow it.
class RateLimiter {
 public:
  RateLimiter(std::size_t burst = 5, std::chrono::seconds interval = std::chrono::seconds(60),
              std::size_t maxKeys = 4096);
  ~RateLimiter();
  // Whether a line for `key` may be written now; `suppressed` gets how many lines for it
  // were dropped since the last one written.
  bool allow(const std::string& key, std::uint64_t* suppressed = nullptr);
  // Lines dropped in all, for figures and tests.
  std::uint64_t suppressedTotal() const;

 private:
  struct Impl;
  Impl* impl_;
};

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... Rest>
void append(std::ostringstream& out, const T& first, const Rest&... rest) {
  out << first;
  append(out, rest...);
}
template <typename... Args>
void emit(Level lvl, const Args&... args) {
  if (lvl < level()) return;
  std::ostringstream out;
  append(out, args...);
  write(lvl, out.str());
}
}  // namespace detail

template <typename... Args> void debug(const Args&... a) { detail::emit(Level::Debug, a...); }
template <typename... Args> void info(const Args&... a) { detail::emit(Level::Info, a...); }
template <typename... Args> void warn(const Args&... a) { detail::emit(Level::Warn, a...); }
template <typename... Args> void error(const Args&... a) { detail::emit(Level::Error, a...); }

}  // namespace posture::log
