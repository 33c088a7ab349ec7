// Vendor status parsers. The recorded samples in tests/agent/data/av_* follow the formats
// the vendors document: `mdatp health` (Microsoft Learn, Defender for Endpoint on Linux,
// "mdatp health" output), `kesl-control --app-info` and `--get-task-state` (Kaspersky
// Endpoint Security for Linux online help), and deb-control(5) paragraphs of
// /var/lib/dpkg/status.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "agent/probes/parsers/av_dpkg.h"
#include "agent/probes/parsers/av_kesl.h"
#include "agent/probes/parsers/av_mdatp.h"
#include "agent/probes/parsers/clamav.h"

using namespace posture::agent::parsers;

namespace {
std::string data(const std::string& name) {
  std::ifstream in(std::string(POSTURE_SOURCE_DIR) + "/tests/agent/data/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("parseMdatpHealth reads protection, definitions and onboarding") {
  auto h = parseMdatpHealth(data("av_mdatp_health.txt"));
  REQUIRE(h);
  CHECK(h->healthy == true);
  CHECK(h->licensed == true);
  CHECK(h->realTimeProtectionEnabled == true);
  CHECK(h->passiveModeEnabled == false);
  CHECK(h->automaticDefinitionUpdateEnabled == true);
  CHECK(h->appVersion == "101.23062.0010");
  CHECK(h->engineVersion == "1.1.23060.3001");
  CHECK(h->definitionsVersion == "1.393.1918.0");
  CHECK(h->definitionsStatus == "up_to_date");
  CHECK(h->definitionsMinutesAgo == 95);
  REQUIRE(h->orgId);
  CHECK(*h->orgId == "a1b2c3d4-0000-4e5f-9a8b-123456789abc");
}

TEST_CASE("parseMdatpHealth keeps absent and empty fields apart and rejects non-health output") {
  auto h = parseMdatpHealth("real_time_protection_enabled : false\norg_id : \"\"\n");
  REQUIRE(h);
  CHECK(h->realTimeProtectionEnabled == false);
  CHECK_FALSE(h->healthy);
  REQUIRE(h->orgId);
  CHECK(h->orgId->empty());
  CHECK_FALSE(h->definitionsMinutesAgo);

  auto odd = parseMdatpHealth("healthy : maybe\ndefinitions_updated_minutes_ago : -3\n");
  REQUIRE(odd);
  CHECK_FALSE(odd->healthy);
  CHECK_FALSE(odd->definitionsMinutesAgo);

  std::string error;
  CHECK_FALSE(parseMdatpHealth("ATTENTION: No license found. Contact your administrator for help.", &error));
  CHECK(error.find("unrecognised") != std::string::npos);
  CHECK_FALSE(parseMdatpHealth("", &error));
  CHECK_FALSE(parseMdatpHealth(std::string(3, '\0') + ":::\n\n:", &error));
}

TEST_CASE("parseKeslAppInfo reads version and database release date") {
  auto info = parseKeslAppInfo(data("av_kesl_app_info.txt"));
  REQUIRE(info);
  CHECK(info->name == "Kaspersky Endpoint Security 12.0 for Linux");
  CHECK(info->version == "12.0.0.6672");
  CHECK(info->databasesLoaded == true);
  CHECK(info->databaseReleaseDate == "2023-07-20 11:03:00");
  CHECK(info->licenseStatus == "Valid");
  // 2023-07-20 11:03:00 as civil seconds.
  CHECK(parseKeslCivilTime(info->databaseReleaseDate) == 1689850980);
  CHECK(parseKeslCivilTime("20.07.2023 11:03:00") == 1689850980);
}

TEST_CASE("parseKeslAppInfo and parseKeslTaskState survive malformed output") {
  std::string error;
  CHECK_FALSE(parseKeslAppInfo("", &error));
  CHECK(error.find("Name") != std::string::npos);
  CHECK_FALSE(parseKeslAppInfo("Error: access denied. Run as root.", &error));
  auto partial = parseKeslAppInfo("Version: 11.1.0.3013\nAnti-virus databases loaded: No\n");
  REQUIRE(partial);
  CHECK(partial->databasesLoaded == false);
  CHECK(partial->databaseReleaseDate.empty());
  CHECK_FALSE(parseKeslCivilTime(""));
  CHECK_FALSE(parseKeslCivilTime("2023-13-20 11:03:00"));
  CHECK_FALSE(parseKeslCivilTime("2023-02-30 11:03:00"));
  CHECK_FALSE(parseKeslCivilTime("2023-07-20 25:03:00"));
  CHECK_FALSE(parseKeslCivilTime("yesterday"));

  CHECK(parseKeslTaskState(data("av_kesl_task_state.txt")) == true);
  CHECK(parseKeslTaskState("State: Stopped\n") == false);
  CHECK_FALSE(parseKeslTaskState("State: Starting\n"));
  CHECK_FALSE(parseKeslTaskState(""));
  CHECK_FALSE(parseKeslTaskState("garbage:\n:\n"));
}

TEST_CASE("dpkgInstalledPackages lists installed packages only") {
  auto p = dpkgInstalledPackages(data("av_dpkg_status.txt"));
  CHECK(p.size() == 2);
  CHECK(p["clamav"] == "1.0.7+dfsg-1~deb12u1");
  CHECK(p["mdatp"] == "101.23062.0010");
  CHECK_FALSE(p.contains("kesl"));      // removed, configuration left
  CHECK_FALSE(p.contains("ds-agent"));  // half-configured is not usable
  CHECK(dpkgInstalledPackages("").empty());
  CHECK(dpkgInstalledPackages("Package:\nStatus: install ok installed\n").empty());
  CHECK(dpkgInstalledPackages("no colon here\n\n\n:\n").empty());
  // Paragraphs without blank lines between them still count separately.
  auto joined = dpkgInstalledPackages(
      "Package: a\nStatus: install ok installed\nVersion: 1\nPackage: b\nStatus: install ok installed\n");
  CHECK(joined.size() == 2);
}

TEST_CASE("scheduleRunsFreshclam finds freshclam in crontabs and units") {
  CHECK(scheduleRunsFreshclam("17 * * * * root /usr/bin/freshclam --quiet\n"));
  CHECK(scheduleRunsFreshclam("[Timer]\nUnit=clamav-freshclam.service\n"));
  CHECK(scheduleRunsFreshclam("ExecStart=freshclam -d\n"));
  CHECK_FALSE(scheduleRunsFreshclam("# 17 * * * * root /usr/bin/freshclam\n"));
  CHECK_FALSE(scheduleRunsFreshclam("0 1 * * * root gzip /var/log/freshclamx\n"));
  CHECK_FALSE(scheduleRunsFreshclam(""));
}
