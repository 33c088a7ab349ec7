#include "agent/probes/parsers/apt.h"

#include <doctest/doctest.h>

#include <optional>

#include "tests/agent/test_data.h"

#include "common/util/files.h"

using namespace posture::agent::parsers;

TEST_CASE("parseAptUpgradeSimulation reads upgrades, new installs and security origins") {
  auto plan = parseAptUpgradeSimulation(R"(Reading package lists...
Building dependency tree...
The following packages will be upgraded:
  base-files libssl3
Inst base-files [12.4+deb12u5] (12.4+deb12u7 Debian:12.7/stable [amd64])
Inst libssl3 [3.0.11-1~deb12u1] (3.0.15-1~deb12u1 Debian-Security:12/stable-security [amd64])
Inst libgcrypt20-dev [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64]) []
Inst linux-image-6.1.0-26-amd64 (6.1.0-26 Debian-Security:12/stable-security [amd64])
Inst openssl [3.0.2-0ubuntu1.15] (3.0.2-0ubuntu1.18 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])
Conf base-files (12.4+deb12u7 Debian:12.7/stable [amd64])
)");
  REQUIRE(plan.packages.size() == 5);
  CHECK(plan.malformed.empty());
  CHECK(plan.packages[0].name == "base-files");
  CHECK(plan.packages[0].currentVersion == "12.4+deb12u5");
  CHECK(plan.packages[0].newVersion == "12.4+deb12u7");
  CHECK(plan.packages[0].origins == "Debian:12.7/stable");
  CHECK_FALSE(plan.packages[0].security);
  CHECK(plan.packages[1].security);
  CHECK(plan.packages[2].security);
  CHECK(plan.packages[3].currentVersion.empty());
  CHECK(plan.packages[3].newVersion == "6.1.0-26");
  CHECK(plan.packages[3].security);
  CHECK(plan.packages[4].security);
}

TEST_CASE("parseAptUpgradeSimulation counts a recorded Debian 12 run") {
  auto text = std::optional<std::string>(posture::test::agentData("apt_get_s_upgrade_bookworm.txt"));
  REQUIRE(text);
  auto plan = parseAptUpgradeSimulation(*text);
  CHECK(plan.malformed.empty());
  CHECK(plan.packages.size() == 132);
  std::size_t security = 0;
  for (const auto& p : plan.packages) security += p.security;
  CHECK(security == 79);
}

TEST_CASE("parseAptUpgradeSimulation keeps malformed Inst lines apart and never crashes") {
  auto plan = parseAptUpgradeSimulation("Inst \nInst pkg\nInst pkg [1.0\nInst pkg [1.0] 2.0\n"
                                        "Inst pkg [1.0] (2.0\nInst pkg (2.0)\nInstall nothing\n");
  CHECK(plan.packages.empty());
  CHECK(plan.malformed.size() == 6);
  CHECK(parseAptUpgradeSimulation("").packages.empty());
  CHECK(parseAptUpgradeSimulation("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
            .packages.empty());
}

TEST_CASE("parseAptConfigDump reads quoted values and skips malformed lines") {
  auto kv = parseAptConfigDump(
      "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"0\";\n"
      "Broken line\nAPT::X \"unterminated;\nAPT::Y 1;\n");
  CHECK(kv["APT::Periodic::Update-Package-Lists"] == "1");
  CHECK(kv["APT::Periodic::Unattended-Upgrade"] == "0");
  CHECK(kv.size() == 2);

  auto recorded = std::optional<std::string>(posture::test::agentData("apt_config_dump.txt"));
  REQUIRE(recorded);
  auto dump = parseAptConfigDump(*recorded);
  CHECK(dump["APT::Architecture"] == "amd64");
  CHECK(dump.count("APT::Periodic::Unattended-Upgrade") == 0);
}

TEST_CASE("newestAptHistoryEnd finds the latest End-Date, not the last one") {
  auto t = newestAptHistoryEnd(R"(
Start-Date: 2024-05-01  10:12:01
Commandline: apt-get install jq
Install: jq:amd64 (1.6-2.1)
End-Date: 2024-05-01  10:12:33

Start-Date: 2024-06-02  08:00:00
End-Date: 2024-06-02  08:01:59

Start-Date: 2024-03-01  08:00:00
End-Date: 2024-03-01  08:00:09
End-Date: garbage
)");
  REQUIRE(t);
  CHECK(*t == LocalDateTime{2024, 6, 2, 8, 1, 59});
  CHECK_FALSE(newestAptHistoryEnd("Start-Date: 2024-05-01  10:12:01\n"));
  CHECK_FALSE(newestAptHistoryEnd("End-Date: 2024-13-01  10:12:01\nEnd-Date: 2024-02-30  10:12:01\n"));
}

TEST_CASE("newestDpkgInstall only counts 'status installed' lines") {
  auto t = newestDpkgInstall(
      "2024-05-01 10:12:33 status installed libssl3:amd64 3.0.15-1~deb12u1\n"
      "2024-07-01 09:00:00 status half-configured libc-bin:amd64 2.36-9\n"
      "2024-06-01 09:00:00 status installed libc-bin:amd64 2.36-9\n"
      "2024-08-01 09:00:00 startup archives unpack\n"
      "junk status installed\n");
  REQUIRE(t);
  CHECK(*t == LocalDateTime{2024, 6, 1, 9, 0, 0});
  CHECK_FALSE(newestDpkgInstall(""));
}

TEST_CASE("parseLocalDateTime validates each field") {
  CHECK(parseLocalDateTime("2024-05-01  10:12:33") == LocalDateTime{2024, 5, 1, 10, 12, 33});
  CHECK_FALSE(parseLocalDateTime("2024-05-01T10:12:33"));
  CHECK_FALSE(parseLocalDateTime("2024-05-01 25:12:33"));
  CHECK_FALSE(parseLocalDateTime("2024-5-01 10:12:33"));
  CHECK_FALSE(parseLocalDateTime("-024-05-01 10:12:33"));
  CHECK_FALSE(parseLocalDateTime(""));
}

TEST_CASE("parseAptRelease reads the header of a recorded InRelease file") {
  auto text = std::optional<std::string>(posture::test::agentData("apt_inrelease_bookworm_security.txt"));
  REQUIRE(text);
  auto r = parseAptRelease(*text);
  REQUIRE(r);
  CHECK(r->origin == "Debian");
  CHECK(r->label == "Debian-Security");
  CHECK(r->suite == "oldstable-security");
  CHECK(r->codename == "bookworm-security");
  CHECK(r->version == "12");
  CHECK(aptOriginKey(*r) == "Debian-Security:12/oldstable-security");

  auto plain = parseAptRelease("Origin: Ubuntu\nLabel: Ubuntu\nSuite: jammy-security\nVersion: 22.04\n"
                               "Codename: jammy\nDescription: x\n MD5Sum: not a field\n");
  REQUIRE(plain);
  CHECK(plain->codename == "jammy");
  CHECK(aptOriginKey(AptRelease{"", "", "local", "", ""}) == "local");
  CHECK_FALSE(parseAptRelease(""));
  CHECK_FALSE(parseAptRelease("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nnot a field\n"));
}

TEST_CASE("classifySecurity matches the codename, not the moving suite name") {
  std::vector<AptRelease> releases = {
      {"Debian", "Debian", "oldstable", "bookworm", "12.15"},
      {"Debian", "Debian-Security", "oldstable-security", "bookworm-security", "12"},
      // A trixie security archive wrongly added to a bookworm host is not bookworm's.
      {"Debian", "Debian-Security", "stable-security", "trixie-security", "13"},
  };
  auto plan = parseAptUpgradeSimulation(
      "Inst a [1] (2 Debian:12.15/oldstable [amd64])\n"
      "Inst b [1] (2 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])\n"
      "Inst c [1] (2 Debian-Security:13/stable-security [amd64])\n"
      "Inst d [1] (2 Other:1/foo-security [amd64])\n"
      "Inst e [1] (2 Other:1/foo [amd64])\n");
  REQUIRE(plan.packages.size() == 5);
  auto fallbacks = classifySecurity(plan, releases, "bookworm");
  CHECK_FALSE(plan.packages[0].security);
  CHECK(plan.packages[1].security);
  CHECK_FALSE(plan.packages[2].security);
  CHECK(plan.packages[3].security);  // no Release file: the suite name decides
  CHECK_FALSE(plan.packages[4].security);
  CHECK(fallbacks == 2);

  // Without a codename (Debian testing), label and suite decide.
  classifySecurity(plan, releases, "");
  CHECK(plan.packages[2].security);

  // Ubuntu: the -security pocket is named by the suite, which carries the codename.
  // Ubuntu's Release files say Codename "jammy" in every pocket.
  std::vector<AptRelease> ubuntu = {{"Ubuntu", "Ubuntu", "jammy-security", "jammy", "22.04"},
                                    {"Ubuntu", "Ubuntu", "jammy-updates", "jammy", "22.04"}};
  auto u = parseAptUpgradeSimulation(
      "Inst openssl [3.0.2-0ubuntu1.15] (3.0.2-0ubuntu1.18 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security "
      "[amd64])\nInst tzdata [1] (2 Ubuntu:22.04/jammy-updates [all])\n");
  CHECK(classifySecurity(u, ubuntu, "jammy") == 0);
  CHECK(u.packages[0].security);
  CHECK_FALSE(u.packages[1].security);
}
