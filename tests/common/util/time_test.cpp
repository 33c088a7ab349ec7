#include "common/util/time.h"

#include <doctest/doctest.h>

using namespace posture::util;

TEST_CASE("parseDate accepts real dates and rejects impossible ones") {
  CHECK(parseDate("1970-01-01") == 0);
  CHECK(parseDate("2023-12-31") == 19722);
  CHECK(parseDate("2024-02-29").has_value());
  CHECK_FALSE(parseDate("2023-02-29").has_value());
  CHECK_FALSE(parseDate("2023-13-01").has_value());
  CHECK_FALSE(parseDate("2023-1-01").has_value());
  CHECK_FALSE(parseDate("abcd-ef-gh").has_value());
}

TEST_CASE("times format in ISO 8601: UTC, and Vietnam time with or without its offset") {
  CHECK(formatDate(19722) == "2023-12-31");
  CHECK(formatIso8601(0) == "1970-01-01T00:00:00Z");
  // 17:30 UTC is 00:30 the next day, and the next year, in Vietnam (UTC+7).
  CHECK(formatIsoVietnam(1703957400) == "2023-12-31 00:30:00");
  CHECK(formatRfc3339Vietnam(1703957400) == "2023-12-31T00:30:00+07:00");
  CHECK(formatIsoVietnam(1704041999) == "2023-12-31 23:59:59");
  CHECK(formatIsoVietnam(1704042000) == "2024-01-01 00:00:00");
  CHECK(vietnamDay(1704041999) == 19722);
  CHECK(vietnamDay(1704042000) == 19723);
  CHECK(vietnamDay(1703957400) == 19722);
  // A day of 12 or less: the day comes after the month, never before it.
  CHECK(formatIsoVietnam(1796535365) == "2026-12-06 12:36:05");
  CHECK(formatRfc3339Vietnam(1796535365) == "2026-12-06T12:36:05+07:00");
  // Before the epoch, Vietnam's midnight still splits the day.
  CHECK(vietnamDay(-7 * 3600) == 0);
  CHECK(vietnamDay(-7 * 3600 - 1) == -1);
}

TEST_CASE("RFC 3339 reads back what the writers write, with any offset") {
  for (std::int64_t t : {std::int64_t{0}, std::int64_t{1703957400}, std::int64_t{1796535365},
                         std::int64_t{4102444799}}) {
    CAPTURE(t);
    CHECK(parseRfc3339(formatIso8601(t)) == t);
    CHECK(parseRfc3339(formatRfc3339Vietnam(t)) == t);
  }
  CHECK(parseRfc3339("2026-12-06 12:36:05+07:00") == 1796535365);
  CHECK(parseRfc3339("2026-12-06T05:36:05.250Z") == 1796535365);
  CHECK(parseRfc3339("2026-12-05T22:36:05-07:00") == 1796535365);
  CHECK_FALSE(parseRfc3339("2026-12-06 12:36:05"));        // no zone: ambiguous
  CHECK_FALSE(parseRfc3339("06/12/2026 12:36:05+07:00"));  // day first
  CHECK_FALSE(parseRfc3339("2026-02-30T00:00:00Z"));
  CHECK_FALSE(parseRfc3339("2026-12-06T24:00:00Z"));
  CHECK_FALSE(parseRfc3339("2026-12-06T12:36:05+7:00"));
  CHECK_FALSE(parseRfc3339("2026-12-06T12:36:05.Z"));
  CHECK_FALSE(parseRfc3339(""));
}

TEST_CASE("HTTP dates (RFC 7231) are written and read back") {
  using posture::util::formatHttpDate;
  using posture::util::parseHttpDate;
  CHECK(formatHttpDate(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(formatHttpDate(1795515943) == "Tue, 24 Nov 2026 10:25:43 GMT");
  CHECK(formatHttpDate(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
  for (std::int64_t t : {std::int64_t{0}, std::int64_t{951782400}, std::int64_t{1795515943}, std::int64_t{4102444799}}) {
    CHECK(parseHttpDate(formatHttpDate(t)) == t);
  }
  CHECK_FALSE(parseHttpDate(""));
  CHECK_FALSE(parseHttpDate("Tue, 24 Nov 2026 10:25:43 UTC"));
  CHECK_FALSE(parseHttpDate("Tue, 31 Feb 2026 10:25:43 GMT"));
  CHECK_FALSE(parseHttpDate("Tue, 24 Nox 2026 10:25:43 GMT"));
  CHECK_FALSE(parseHttpDate("Tue, 24 Nov 2026 25:25:43 GMT"));
  CHECK_FALSE(parseHttpDate("Tue, 24 Nov 2026 1a:25:43 GMT"));
}

TEST_CASE("times from a broken clock are written as the nearest writable date, never overflowing") {
  // An agent's report may carry any 64-bit time; before, INT64_MAX + 7 h overflowed
  // (tests/fuzz/report_evaluation_fuzz) and years past 9999 came out garbled.
  constexpr std::int64_t kMax = INT64_MAX, kMin = INT64_MIN;
  CHECK(formatIsoVietnam(kMax) == "9999-12-31 23:59:59");
  CHECK(formatRfc3339Vietnam(kMax) == "9999-12-31T23:59:59+07:00");
  CHECK(formatIso8601(kMax) == "9999-12-31T23:59:59Z");
  CHECK(formatIso8601(253402300800) == "9999-12-31T23:59:59Z");  // one second later
  CHECK(formatHttpDate(kMax) == "Fri, 31 Dec 9999 23:59:59 GMT");
  CHECK(vietnamDay(kMax) == *parseDate("9999-12-31"));
  CHECK(vietnamDay(kMin) == *parseDate("0001-01-01"));
  CHECK(formatDate(kMax) == "9999-12-31");
  CHECK(formatDate(kMin) == "0001-01-01");
  // Within the span nothing changes.
  CHECK(formatIsoVietnam(253402300799 - 7 * 3600) == "9999-12-31 23:59:59");
  CHECK(formatIso8601(0) == "1970-01-01T00:00:00Z");
}

TEST_CASE("daysFromCivil: days since 1970-01-01 of dates that exist, in years 1-9999") {
  // Moved from the Windows parsers' civilDaysFromDate, which this replaces.
  CHECK(daysFromCivil(1970, 1, 1) == 0);
  CHECK(daysFromCivil(2000, 3, 1) == 11017);
  CHECK(daysFromCivil(1899, 12, 30) == -25569);  // the OLE Automation epoch
  CHECK(daysFromCivil(2024, 2, 29) == 19782);
  CHECK(daysFromCivil(2000, 2, 29).has_value());  // divisible by 400: leap
  CHECK_FALSE(daysFromCivil(1900, 2, 29));        // divisible by 100 only: not leap
  CHECK_FALSE(daysFromCivil(2023, 2, 29));
  CHECK_FALSE(daysFromCivil(2024, 2, 30));
  CHECK_FALSE(daysFromCivil(2023, 2, 31));
  CHECK_FALSE(daysFromCivil(2023, 4, 31));
  CHECK_FALSE(daysFromCivil(2023, 0, 1));
  CHECK_FALSE(daysFromCivil(2023, 13, 1));
  CHECK_FALSE(daysFromCivil(2023, 1, 0));
  CHECK_FALSE(daysFromCivil(2023, 1, 32));
  CHECK(daysFromCivil(1, 1, 1) == -719162);
  CHECK(daysFromCivil(9999, 12, 31) == 2932896);
  CHECK_FALSE(daysFromCivil(0, 1, 1));
  CHECK_FALSE(daysFromCivil(10000, 1, 1));
  // Values that would wrap if narrowed to int or unsigned first.
  CHECK_FALSE(daysFromCivil(2024, 1, 4294967297LL));
  CHECK_FALSE(daysFromCivil(4294969320LL, 1, 1));
  CHECK_FALSE(daysFromCivil(2024, -4294967295LL, 1));
  CHECK_FALSE(parseDate("0000-01-01"));  // parseDate uses the same rule
}

TEST_CASE("unixFromCivil: a date and a UTC time of day, refused when either is impossible") {
  CHECK(unixFromCivil(1970, 1, 1) == 0);
  CHECK(unixFromCivil(2026, 11, 23, 18, 10, 12) == parseRfc3339("2026-11-23T18:10:12Z"));
  CHECK(unixFromCivil(2024, 2, 29, 23, 59, 59) == 1709251199);
  CHECK(unixFromCivil(2016, 12, 31, 23, 59, 60) == 1483228800);  // a leap second
  CHECK(unixFromCivil(1969, 12, 31, 23, 59, 59) == -1);
  CHECK_FALSE(unixFromCivil(2023, 2, 29));
  CHECK_FALSE(unixFromCivil(2023, 2, 31, 12, 0, 0));
  CHECK_FALSE(unixFromCivil(2024, 1, 1, 24, 0, 0));
  CHECK_FALSE(unixFromCivil(2024, 1, 1, 0, 60, 0));
  CHECK_FALSE(unixFromCivil(2024, 1, 1, 0, 0, 61));
  CHECK_FALSE(unixFromCivil(2024, 1, 1, -1, 0, 0));
}

TEST_CASE("civilFromDays and addMonths") {
  auto c = civilFromDays(19782);
  CHECK(c.year == 2024);
  CHECK(c.month == 2);
  CHECK(c.day == 29);
  c = civilFromDays(-719162);
  CHECK(c.year == 1);
  CHECK(c.month == 1);
  CHECK(c.day == 1);
  CHECK(addMonths(*parseDate("2025-06-01"), 12) == parseDate("2026-06-01"));
  CHECK(addMonths(*parseDate("2024-01-31"), 1) == parseDate("2024-02-29"));
  CHECK(addMonths(*parseDate("2023-01-31"), 1) == parseDate("2023-02-28"));
  CHECK(addMonths(*parseDate("2025-11-30"), 3) == parseDate("2026-02-28"));
  CHECK(addMonths(*parseDate("2024-03-31"), -1) == parseDate("2024-02-29"));
  CHECK(addMonths(*parseDate("2024-05-15"), 0) == parseDate("2024-05-15"));
}

TEST_CASE("named durations") {
  CHECK(kSecondsPerHour == 3600);
  CHECK(kSecondsPerDay == 86400);
  CHECK(kSecondsPerWeek == 604800);
  CHECK(kVietnamOffsetSeconds == 25200);
}
