#include "agent/probes/parsers/windows_time.h"

#include <cmath>

#include "agent/probes/parsers/text.h"
#include "common/util/time.h"

namespace posture::agent::parsers {
namespace {

std::optional<int> digits(std::string_view s) {
  auto v = parseUnsigned(s, 10);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

}  // namespace

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
  if (*offset > 24 * 60) return std::nullopt;
  auto local = util::unixFromCivil(*year, *month, *day, *hour, *minute, *second);
  if (!local) return std::nullopt;
  std::int64_t offsetSeconds = static_cast<std::int64_t>(*offset) * util::kSecondsPerMinute;
  return t[21] == '+' ? *local - offsetSeconds : *local + offsetSeconds;
}

std::optional<std::int64_t> oleDateToUnix(double date) {
  // DATE covers years 100 to 9999.
  if (!std::isfinite(date) || date < -657434.0 || date > 2958466.0) return std::nullopt;
  constexpr double kOleEpochDays = -25569.0;  // 1899-12-30, in days since 1970-01-01
  constexpr auto kDay = static_cast<double>(util::kSecondsPerDay);
  double whole = std::trunc(date);
  double fraction = std::fabs(date - whole);
  double seconds = (whole + kOleEpochDays) * kDay + fraction * kDay;
  return static_cast<std::int64_t>(std::llround(seconds));
}

std::optional<std::int64_t> fileTimeToUnix(std::uint64_t fileTime) {
  if (fileTime == 0) return std::nullopt;
  return static_cast<std::int64_t>(fileTime / 10000000ULL) - 11644473600LL;
}

}  // namespace posture::agent::parsers
