#pragma once
#include <chrono>
#include <ctime>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace posture::util {

using Clock = std::chrono::system_clock;

// Seconds since the Unix epoch.
std::int64_t unixNow();
// gmtime_r (POSIX) / gmtime_s (Windows): the calendar fields of t in UTC.
void utcTime(std::time_t t, std::tm& out);
// "2026-11-23T18:10:12Z"
std::string formatIso8601(std::int64_t unixSeconds);
// "23/11/2026 18:10" — the Vietnamese order (day/month/year), UTC+7 wall time.
std::string formatVietnamese(std::int64_t unixSeconds);
// RFC 7231 HTTP date, "Tue, 24 Nov 2026 10:25:43 GMT".
std::string formatHttpDate(std::int64_t unixSeconds);
// Parses that form; nullopt when malformed.
std::optional<std::int64_t> parseHttpDate(std::string_view text);
// Parses "YYYY-MM-DD" into days since the epoch; nullopt when malformed or impossible.
std::optional<std::int64_t> parseDate(std::string_view text);
// Days since the epoch of a Unix time, in UTC+7 (Vietnam has one time zone, no DST).
std::int64_t vietnamDay(std::int64_t unixSeconds);
std::string formatDate(std::int64_t daysSinceEpoch);  // "YYYY-MM-DD"

}  // namespace posture::util
