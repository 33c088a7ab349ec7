#pragma once
#include <chrono>
#include <ctime>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace posture::util {

using Clock = std::chrono::system_clock;

// Vietnam has one time zone, UTC+7, and no daylight saving.
inline constexpr std::int64_t kVietnamOffsetSeconds = 7 * 3600;
inline constexpr std::int64_t kSecondsPerDay = 86400;

// Seconds since the Unix epoch.
std::int64_t unixNow();
// gmtime_r (POSIX) / gmtime_s (Windows): the calendar fields of t in UTC.
void utcTime(std::time_t t, std::tm& out);
// The writers below take any time: one outside years 1-9999, which only a broken or
// hostile clock sends, is written as the nearest bound (9999-12-31 23:59:59 ...).
// "2026-11-23T18:10:12Z"
std::string formatIso8601(std::int64_t unixSeconds);
// Parses RFC 3339 ("2026-11-23T18:10:12Z", "2026-11-24T01:10:12+07:00", fractions
// ignored; a space may stand for the T); nullopt when malformed or impossible.
std::optional<std::int64_t> parseRfc3339(std::string_view text);
// No "dd/mm/yyyy" writer here on purpose: a month-first reader or spreadsheet takes 06/12
// for 12 June. People see dd/mm/yyyy in the console only, formatted by the browser
// (collector/console/web); everything the programs write uses the forms below.
// "2026-11-24 01:10:12" — ISO 8601 in UTC+7 without the offset: the form every spreadsheet
// locale reads as the same real date (CSV cells; the column header names the zone).
std::string formatIsoVietnam(std::int64_t unixSeconds);
// "2026-11-24T01:10:12+07:00" — RFC 3339 in UTC+7, for files machines read.
std::string formatRfc3339Vietnam(std::int64_t unixSeconds);
// RFC 7231 HTTP date, "Tue, 24 Nov 2026 10:25:43 GMT".
std::string formatHttpDate(std::int64_t unixSeconds);
// Parses that form; nullopt when malformed.
std::optional<std::int64_t> parseHttpDate(std::string_view text);
// Parses "YYYY-MM-DD" into days since the epoch; nullopt when malformed or impossible.
std::optional<std::int64_t> parseDate(std::string_view text);
// Days since the epoch of a Unix time, in UTC+7.
std::int64_t vietnamDay(std::int64_t unixSeconds);
std::string formatDate(std::int64_t daysSinceEpoch);  // "YYYY-MM-DD"

}  // namespace posture::util
