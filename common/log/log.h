#pragma once
// Levelled logging to stderr (journald picks it up with the level prefix <N>) and,
// optionally, to a file (the Windows service, whose stderr nobody reads).
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
void write(Level level, std::string_view message);
// Also appends every line to PATH; when it grows past maxBytes it becomes PATH.1 (the one
// before is dropped). Returns false when PATH cannot be opened (stderr still works).
bool setFile(const std::filesystem::path& path, std::uintmax_t maxBytes = 10 * 1024 * 1024);

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
