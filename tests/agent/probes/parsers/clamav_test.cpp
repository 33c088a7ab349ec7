#include "agent/probes/parsers/clamav.h"

#include <doctest/doctest.h>

#include <string>

using namespace posture::agent::parsers;

namespace {
std::string padded(std::string s) {
  s.resize(kCvdHeaderSize, ' ');
  return s;
}
}  // namespace

TEST_CASE("parseCvdHeader reads version, signature count and stime of a daily.cvd header") {
  std::string error;
  auto h = parseCvdHeader(
      padded("ClamAV-VDB:14 Oct 2024 04-35 -0400:27427:2067891:90:0123456789abcdef0123456789abcdef:"
             "AbCdEfGhIj:raynman:1728894943"),
      &error);
  REQUIRE(h);
  CHECK(error.empty());
  CHECK(h->version == 27427);
  CHECK(h->signatures == 2067891);
  CHECK(h->functionalityLevel == 90);
  CHECK(h->builder == "raynman");
  CHECK(h->buildTime == "14 Oct 2024 04-35 -0400");
  REQUIRE(h->time);
  CHECK(*h->time == 1728894943);
}

TEST_CASE("parseCvdHeader falls back to the build time when stime is missing") {
  auto h = parseCvdHeader(padded("ClamAV-VDB:14 Oct 2024 04-35 -0400:62:6647427:90:md5:dsig:sigmgr"));
  REQUIRE(h);
  CHECK(h->version == 62);
  REQUIRE(h->time);
  // 2024-10-14 08:35 UTC
  CHECK(*h->time == 1728894900);
}

TEST_CASE("parseCvdBuildTime applies the zone offset and rejects malformed times") {
  CHECK(parseCvdBuildTime("01 Jan 1970 00-00 +0000") == 0);
  CHECK(parseCvdBuildTime("01 Jan 1970 07-00 +0700") == 0);
  CHECK_FALSE(parseCvdBuildTime("31 Feb 2024 04-35 -0400"));
  CHECK_FALSE(parseCvdBuildTime("14 Foo 2024 04-35 -0400"));
  CHECK_FALSE(parseCvdBuildTime("14 Oct 2024 04:35 -0400"));
  CHECK_FALSE(parseCvdBuildTime("14 Oct 2024 04-35"));
  CHECK_FALSE(parseCvdBuildTime(""));
}

TEST_CASE("parseCvdHeader rejects files that are not ClamAV databases") {
  std::string error;
  CHECK_FALSE(parseCvdHeader("", &error));
  CHECK(error.find("ClamAV-VDB") != std::string::npos);
  CHECK_FALSE(parseCvdHeader(std::string(512, '\0'), &error));
  CHECK_FALSE(parseCvdHeader("\x1f\x8b\x08 gzip data", &error));
  CHECK_FALSE(parseCvdHeader("ClamAV-VDB:14 Oct 2024 04-35 -0400:27427", &error));
  CHECK(error.find("fields") != std::string::npos);
  CHECK_FALSE(parseCvdHeader(padded("ClamAV-VDB:x:notanumber:1:90:md5:dsig:b:1"), &error));
  CHECK(error.find("version") != std::string::npos);
  // A garbage stime is ignored rather than trusted.
  auto h = parseCvdHeader(padded("ClamAV-VDB:garbage:5:1:90:md5:dsig:b:xyz"));
  REQUIRE(h);
  CHECK_FALSE(h->time);
}

TEST_CASE("clamavDatabaseDirectory reads DatabaseDirectory and ignores comments") {
  CHECK(clamavDatabaseDirectory("#DatabaseDirectory /wrong\nLogTime yes\nDatabaseDirectory /srv/clamav\n") ==
        "/srv/clamav");
  CHECK(clamavDatabaseDirectory("DatabaseDirectory \"/path with space\"\n") == "/path with space");
  CHECK_FALSE(clamavDatabaseDirectory("LogSyslog false\n# DatabaseDirectory /var/lib/clamav\n"));
  CHECK_FALSE(clamavDatabaseDirectory("DatabaseDirectory\n"));
}
