#pragma once
// ClamAV signature databases (.cvd/.cld) and configuration (clamd.conf, freshclam.conf).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace posture::agent::parsers {

// The first 512 bytes of a .cvd or .cld file:
// "ClamAV-VDB:build time:version:signatures:functionality level:md5:dsig:builder:stime",
// padded with spaces.
struct CvdHeader {
  std::string buildTime;  // e.g. "14 Oct 2024 04-35 -0400"
  std::uint32_t version = 0;
  std::uint32_t signatures = 0;
  std::uint32_t functionalityLevel = 0;
  std::string builder;
  std::optional<std::int64_t> time;  // Unix seconds: stime, else the parsed build time
};

constexpr std::size_t kCvdHeaderSize = 512;

// nullopt with *error set when the text is not a ClamAV database header.
std::optional<CvdHeader> parseCvdHeader(std::string_view header, std::string* error = nullptr);

// "14 Oct 2024 04-35 -0400" to Unix seconds; nullopt when malformed.
std::optional<std::int64_t> parseCvdBuildTime(std::string_view text);

// Value of the DatabaseDirectory option, or nullopt when the file does not set it.
std::optional<std::string> clamavDatabaseDirectory(std::string_view config);

// True when a crontab or systemd unit/timer text runs freshclam: a line that is not a
// comment names it as a word (so "freshclam-old.log" in a path does not count).
bool scheduleRunsFreshclam(std::string_view text);

}  // namespace posture::agent::parsers
