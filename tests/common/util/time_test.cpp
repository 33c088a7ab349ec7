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

TEST_CASE("dates format in ISO and Vietnamese order") {
  CHECK(formatDate(19722) == "2023-12-31");
  CHECK(formatIso8601(0) == "1970-01-01T00:00:00Z");
  // 17:30 UTC is 00:30 the next day in Vietnam (UTC+7).
  CHECK(formatVietnamese(1703957400 + 0) == "31/12/2023 00:30");
  CHECK(vietnamDay(1703957400) == 19722);
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
