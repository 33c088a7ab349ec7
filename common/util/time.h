#pragma once
#include <chrono>
#include <ctime>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace posture::util {

using Clock = std::chrono::system_clock;

inline constexpr std::int64_t kSecondsPerMinute = 60;
inline constexpr std::int64_t kSecondsPerHour = 60 * kSecondsPerMinute;
inline constexpr std::int64_t kSecondsPerDay = 24 * kSecondsPerHour;
inline constexpr std::int64_t kSecondsPerWeek = 7 * kSecondsPerDay;
// Vietnam has one time zone, UTC+7, and no daylight saving.
inline constexpr std::int64_t kVietnamOffsetSeconds = 7 * kSecondsPerHour;

// Calendar arithmetic, all on std::chrono::year_month_day (proleptic Gregorian), for years
// 1 to 9999 — the span the writers below can write.
// Days since 1970-01-01 of a date; nullopt when it does not exist (2023-02-29, 31 April,
// month 13, year 0 or 10000).
std::optional<std::int64_t> daysFromCivil(std::int64_t year, std::int64_t month, std::int64_t day);
// Unix seconds of a date and a time of day read as UTC (the caller applies any offset);
// nullopt when the date does not exist or the time is out of range (hour 0-23, minute
// 0-59, second 0-60: a leap second counts as the next minute's first).
std::optional<std::int64_t> unixFromCivil(std::int64_t year, std::int64_t month, std::int64_t day,
                                          std::int64_t hour = 0, std::int64_t minute = 0,
                                          std::int64_t second = 0);
struct CivilDate {
  int year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31
};
// The date of a day counted from 1970-01-01; days outside years 1-9999 count as the
// nearest bound, like the writers below.
CivilDate civilFromDays(std::int64_t daysSinceEpoch);
// The same day `months` months later (earlier when negative), on the month's last day
// when it is shorter: 2024-01-31 + 1 month is 2024-02-29. `months` is expected within
// a few thousand years' worth.
std::int64_t addMonths(std::int64_t daysSinceEpoch, int months);

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
