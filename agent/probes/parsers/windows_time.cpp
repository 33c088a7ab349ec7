#include "agent/probes/parsers/windows_time.h"

#include <cmath>

#include "agent/probes/parsers/text.h"

namespace posture::agent::parsers {
namespace {

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

std::optional<int> digits(std::string_view s) {
  auto v = parseUnsigned(s, 10);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

}  // namespace

std::optional<std::int64_t> civilDaysFromDate(int y, int m, int d) {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return std::nullopt;
  // Howard Hinnant's days_from_civil.
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::optional<std::int64_t> parseCimDateTime(std::string_view t) {
  if (t.size() != 25 || t[14] != '.' || (t[21] != '+' && t[21] != '-')) return std::nullopt;
  auto year = digits(t.substr(0, 4));
  auto month = digits(t.substr(4, 2));
  auto day = digits(t.substr(6, 2));
  auto hour = digits(t.substr(8, 2));
  auto minute = digits(t.substr(10, 2));
  auto second = digits(t.substr(12, 2));
  auto offset = digits(t.substr(22, 3));
  // Microseconds may be asterisks ("******") when the provider does not know them.
  if (!year || !month || !day || !hour || !minute || !second || !offset) return std::nullopt;
  if (*hour > 23 || *minute > 59 || *second > 60 || *offset > 24 * 60) return std::nullopt;
  auto days = civilDaysFromDate(*year, *month, *day);
  if (!days) return std::nullopt;
  std::int64_t local = *days * 86400 + *hour * 3600 + *minute * 60 + *second;
  std::int64_t offsetSeconds = static_cast<std::int64_t>(*offset) * 60;
  return t[21] == '+' ? local - offsetSeconds : local + offsetSeconds;
}

std::optional<std::int64_t> oleDateToUnix(double date) {
  // 25569 days from 1899-12-30 to 1970-01-01; DATE covers years 100 to 9999.
  if (!std::isfinite(date) || date < -657434.0 || date > 2958466.0) return std::nullopt;
  double whole = std::trunc(date);
  double fraction = std::fabs(date - whole);
  double seconds = (whole - 25569.0) * 86400.0 + fraction * 86400.0;
  return static_cast<std::int64_t>(std::llround(seconds));
}

std::optional<std::int64_t> fileTimeToUnix(std::uint64_t fileTime) {
  if (fileTime == 0) return std::nullopt;
  return static_cast<std::int64_t>(fileTime / 10000000ULL) - 11644473600LL;
}

}  // namespace posture::agent::parsers
