#include "agent/probes/parsers/windows_time.h"

#include <doctest/doctest.h>

#include <limits>

using namespace posture::agent::parsers;

TEST_CASE("parseCimDateTime applies the UTC offset in minutes") {
  // 2023-10-15 08:30:00 at UTC+7 (Vietnam) is 01:30:00 UTC.
  CHECK(parseCimDateTime("20231015083000.000000+420") == 1697333400);
  CHECK(parseCimDateTime("20231015013000.000000+000") == 1697333400);
  // West of UTC: 2023-10-14 18:30 at UTC-7 is 01:30 UTC the next day.
  CHECK(parseCimDateTime("20231014183000.000000-420") == 1697333400);
  // Microseconds are dropped, including asterisks for "not known".
  CHECK(parseCimDateTime("20231015013000.999999+000") == 1697333400);
  CHECK(parseCimDateTime("20231015013000.******+000") == 1697333400);
  // As MSFT_MpComputerStatus.AntivirusSignatureLastUpdated reads on a UTC+7 host.
  CHECK(parseCimDateTime("20240523192905.000000+420") == 1716467345);
  CHECK(parseCimDateTime("19700101000000.000000+000") == 0);
}

TEST_CASE("parseCimDateTime rejects intervals, unknown fields and impossible dates") {
  CHECK_FALSE(parseCimDateTime("00000001132312.000000:000"));  // interval form
  CHECK_FALSE(parseCimDateTime("********083000.000000+420"));
  CHECK_FALSE(parseCimDateTime("20230229083000.000000+420"));  // no 29 February in 2023
  CHECK_FALSE(parseCimDateTime("20231315083000.000000+420"));
  CHECK_FALSE(parseCimDateTime("20231015253000.000000+420"));
  CHECK_FALSE(parseCimDateTime("20231015083000+420"));
  CHECK_FALSE(parseCimDateTime(""));
  CHECK(parseCimDateTime("20240229000000.000000+000") == 1709164800);
}

TEST_CASE("oleDateToUnix converts OLE Automation dates") {
  CHECK(oleDateToUnix(25569.0) == 0);                            // 1970-01-01
  CHECK(oleDateToUnix(45214.0625) == 1697333400);                // 2023-10-15 01:30 UTC
  CHECK(oleDateToUnix(0.0) == -2209161600);                      // 1899-12-30
  CHECK(oleDateToUnix(-1.25) == -2209161600 - 86400 + 21600);    // 1899-12-29 06:00
  CHECK(oleDateToUnix(45214.0625 + 0.4 / 86400) == 1697333400);  // rounds to the second
  CHECK_FALSE(oleDateToUnix(std::numeric_limits<double>::infinity()));
  CHECK_FALSE(oleDateToUnix(3e6));
}

TEST_CASE("fileTimeToUnix counts from 1601") {
  CHECK(fileTimeToUnix(116444736000000000ULL) == 0);
  CHECK(fileTimeToUnix(0x01d9ff0a1b2c3d4eULL) == 1697334685);  // 2023-10-15 01:51:25 UTC
  CHECK_FALSE(fileTimeToUnix(0));
}
