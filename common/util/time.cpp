#include "common/util/time.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace posture::util {
namespace {
// The span the four-digit years of these forms can write, 0001-01-01 00:00:00 to
// 9999-12-31 23:59:59. Times come from agents' clocks too (collected_at, signature
// times), so a time outside it is written as the nearest bound rather than overflowing
// (found by tests/fuzz/report_evaluation_fuzz).
constexpr std::int64_t kFirstWritable = -62135596800;
constexpr std::int64_t kLastWritable = 253402300799;

// unixSeconds + offsetSeconds, within the span above.
std::int64_t writable(std::int64_t unixSeconds, std::int64_t offsetSeconds = 0) {
  return std::clamp(unixSeconds, kFirstWritable - offsetSeconds, kLastWritable - offsetSeconds) +
         offsetSeconds;
}

std::string formatUtcFields(std::int64_t unixSeconds, std::int64_t offsetSeconds,
                            const char* pattern) {
  std::time_t t = static_cast<std::time_t>(writable(unixSeconds, offsetSeconds));
  std::tm tm{};
  utcTime(t, tm);
  char buf[40];
  std::strftime(buf, sizeof buf, pattern, &tm);
  return buf;
}
}  // namespace

std::optional<std::int64_t> daysFromCivil(std::int64_t year, std::int64_t month, std::int64_t day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(year)},
                                  std::chrono::month{static_cast<unsigned>(month)},
                                  std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

std::optional<std::int64_t> unixFromCivil(std::int64_t year, std::int64_t month, std::int64_t day,
                                          std::int64_t hour, std::int64_t minute,
                                          std::int64_t second) {
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  auto days = daysFromCivil(year, month, day);
  if (!days) return std::nullopt;
  return *days * kSecondsPerDay + hour * kSecondsPerHour + minute * kSecondsPerMinute + second;
}

namespace {
// The date of a day, clamped to years 1-9999 so that std::chrono's arithmetic cannot
// overflow whatever day it is given.
std::chrono::year_month_day ymdOf(std::int64_t daysSinceEpoch) {
  daysSinceEpoch = std::clamp(daysSinceEpoch, kFirstWritable / kSecondsPerDay,
                              kLastWritable / kSecondsPerDay);
  return std::chrono::year_month_day{
      std::chrono::sys_days{std::chrono::days{static_cast<std::chrono::days::rep>(daysSinceEpoch)}}};
}
}  // namespace

CivilDate civilFromDays(std::int64_t daysSinceEpoch) {
  std::chrono::year_month_day ymd = ymdOf(daysSinceEpoch);
  return CivilDate{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                   static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

std::int64_t addMonths(std::int64_t daysSinceEpoch, int months) {
  std::chrono::year_month_day ymd = ymdOf(daysSinceEpoch);
  std::chrono::year_month ym = ymd.year() / ymd.month() + std::chrono::months{months};
  std::chrono::day last = std::chrono::year_month_day_last{ym.year(), std::chrono::month_day_last{ym.month()}}.day();
  std::chrono::year_month_day out{ym.year(), ym.month(), std::min(ymd.day(), last)};
  return std::chrono::sys_days{out}.time_since_epoch().count();
}

void utcTime(std::time_t t, std::tm& out) {
#ifdef _WIN32
  ::gmtime_s(&out, &t);
#else
  ::gmtime_r(&t, &out);
#endif
}

std::int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
}

std::string formatIso8601(std::int64_t unixSeconds) {
  return formatUtcFields(unixSeconds, 0, "%Y-%m-%dT%H:%M:%SZ");
}

std::string formatIsoVietnam(std::int64_t unixSeconds) {
  return formatUtcFields(unixSeconds, kVietnamOffsetSeconds, "%Y-%m-%d %H:%M:%S");
}

std::string formatRfc3339Vietnam(std::int64_t unixSeconds) {
  return formatUtcFields(unixSeconds, kVietnamOffsetSeconds, "%Y-%m-%dT%H:%M:%S+07:00");
}

std::optional<std::int64_t> parseRfc3339(std::string_view s) {
  // YYYY-MM-DD[T ]HH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  if (s.size() < 20) return std::nullopt;
  auto day = parseDate(s.substr(0, 10));
  if (!day || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')) return std::nullopt;
  auto two = [&](std::size_t at) -> int {
    if (at + 2 > s.size() || !std::isdigit(static_cast<unsigned char>(s[at])) ||
        !std::isdigit(static_cast<unsigned char>(s[at + 1])))
      return -1;
    return (s[at] - '0') * 10 + (s[at + 1] - '0');
  };
  int h = two(11), mi = two(14), se = two(17);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60 || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  std::size_t at = 19;
  if (at < s.size() && s[at] == '.') {
    ++at;
    std::size_t digits = at;
    while (at < s.size() && std::isdigit(static_cast<unsigned char>(s[at]))) ++at;
    if (at == digits) return std::nullopt;
  }
  std::int64_t offset = 0;
  std::string_view zone = s.substr(at);
  if (zone == "Z" || zone == "z") {
    offset = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh = two(at + 1), om = two(at + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset = (zone[0] == '-' ? -1 : 1) * (oh * kSecondsPerHour + om * kSecondsPerMinute);
  } else {
    return std::nullopt;
  }
  return *day * kSecondsPerDay + h * kSecondsPerHour + mi * kSecondsPerMinute + se - offset;
}

std::optional<std::int64_t> parseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto digits = [&](size_t pos, size_t n, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return std::nullopt;
  return daysFromCivil(y, m, d);
}

std::int64_t vietnamDay(std::int64_t unixSeconds) {
  std::int64_t s = writable(unixSeconds, kVietnamOffsetSeconds);
  return s >= 0 ? s / kSecondsPerDay : (s - (kSecondsPerDay - 1)) / kSecondsPerDay;
}

std::string formatDate(std::int64_t daysSinceEpoch) {
  CivilDate c = civilFromDays(daysSinceEpoch);
  char buf[40];  // room for any int, so -Wformat-truncation is satisfied
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

namespace {
constexpr const char* kDays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};  // 1970-01-01 was a Thursday
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
}  // namespace

std::string formatHttpDate(std::int64_t t) {
  t = writable(t);
  std::int64_t day = t >= 0 ? t / kSecondsPerDay : (t - (kSecondsPerDay - 1)) / kSecondsPerDay;
  std::int64_t secs = t - day * kSecondsPerDay;
  std::string iso = formatDate(day);  // YYYY-MM-DD
  int month = std::stoi(iso.substr(5, 2));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %s %s %s %02d:%02d:%02d GMT",
                kDays[((day % 7) + 7) % 7], iso.substr(8, 2).c_str(), kMonths[month - 1],
                iso.substr(0, 4).c_str(), static_cast<int>(secs / kSecondsPerHour),
                static_cast<int>(secs / kSecondsPerMinute % 60), static_cast<int>(secs % 60));
  return buf;
}

std::optional<std::int64_t> parseHttpDate(std::string_view s) {
  // "Www, DD Mon YYYY HH:MM:SS GMT"
  if (s.size() != 29 || s.substr(3, 2) != ", " || s.substr(25) != " GMT") return std::nullopt;
  int month = 0;
  for (int m = 0; m < 12; ++m) {
    if (s.substr(8, 3) == kMonths[m]) month = m + 1;
  }
  if (month == 0) return std::nullopt;
  std::string iso = std::string(s.substr(12, 4)) + "-" + (month < 10 ? "0" : "") +
                    std::to_string(month) + "-" + std::string(s.substr(5, 2));
  auto day = parseDate(iso);
  if (!day) return std::nullopt;
  auto num = [&](std::size_t at) -> int {
    if (!std::isdigit(static_cast<unsigned char>(s[at])) || !std::isdigit(static_cast<unsigned char>(s[at + 1]))) return -1;
    return (s[at] - '0') * 10 + (s[at + 1] - '0');
  };
  int h = num(17), mi = num(20), se = num(23);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60 || s[19] != ':' || s[22] != ':') return std::nullopt;
  return *day * kSecondsPerDay + h * kSecondsPerHour + mi * kSecondsPerMinute + se;
}

}  // namespace posture::util
