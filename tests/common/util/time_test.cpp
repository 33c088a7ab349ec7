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
