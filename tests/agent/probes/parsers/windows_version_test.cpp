#include "agent/probes/parsers/windows_version.h"

#include <doctest/doctest.h>

using namespace posture::agent::parsers;

TEST_CASE("describeWindows names Windows 11 although ProductName says Windows 10") {
  // HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion of a Windows 11 23H2 Pro host.
  WindowsVersionValues v;
  v.productName = "Windows 10 Pro";
  v.displayVersion = "23H2";
  v.releaseId = "2009";
  v.currentVersion = "6.3";
  v.currentBuildNumber = "22631";
  v.ubr = 2428;
  v.installationType = "Client";
  auto w = describeWindows(v);
  CHECK(w.name == "Windows 11 Pro");
  CHECK(w.version == "23H2");
  CHECK(w.build == "22631.2428");
  CHECK(w.buildNumber == 22631);
  CHECK_FALSE(w.server);
}

TEST_CASE("describeWindows keeps Windows 10 below build 22000") {
  WindowsVersionValues v;
  v.productName = "Windows 10 Enterprise";
  v.displayVersion = "22H2";
  v.currentBuildNumber = "19045";
  v.ubr = 3570;
  v.installationType = "Client";
  auto w = describeWindows(v);
  CHECK(w.name == "Windows 10 Enterprise");
  CHECK(w.build == "19045.3570");

  // Windows 10 1809 has no DisplayVersion: ReleaseId is the version.
  WindowsVersionValues old;
  old.productName = "Windows 10 Enterprise LTSC 2019";
  old.releaseId = "1809";
  old.currentBuildNumber = "17763";
  old.installationType = "Client";
  auto o = describeWindows(old);
  CHECK(o.name == "Windows 10 Enterprise LTSC 2019");
  CHECK(o.version == "1809");
  CHECK(o.build == "17763");
}

TEST_CASE("describeWindows names servers, adding the year when ProductName lacks it") {
  WindowsVersionValues v;
  v.productName = "Windows Server 2022 Standard";
  v.displayVersion = "21H2";
  v.currentBuildNumber = "20348";
  v.ubr = 2031;
  v.installationType = "Server";
  auto w = describeWindows(v);
  CHECK(w.name == "Windows Server 2022 Standard");
  CHECK(w.server);

  WindowsVersionValues core;
  core.productName = "Windows Server Datacenter";
  core.releaseId = "1809";
  core.currentBuildNumber = "17763";
  core.installationType = "Server Core";
  CHECK(describeWindows(core).name == "Windows Server 2019 Datacenter");

  WindowsVersionValues s2016;
  s2016.productName = "Windows Server 2016 Standard";
  s2016.releaseId = "1607";
  s2016.currentBuildNumber = "14393";
  s2016.installationType = "Server";
  CHECK(describeWindows(s2016).name == "Windows Server 2016 Standard");

  WindowsVersionValues s2025;
  s2025.productName = "Windows Server Standard";
  s2025.displayVersion = "24H2";
  s2025.currentBuildNumber = "26100";
  s2025.installationType = "Server";
  CHECK(describeWindows(s2025).name == "Windows Server 2025 Standard");

  // A semi-annual channel build has no long-term year: the name stays.
  WindowsVersionValues sac;
  sac.productName = "Windows Server Datacenter";
  sac.displayVersion = "20H2";
  sac.currentBuildNumber = "19042";
  sac.installationType = "Server Core";
  CHECK(describeWindows(sac).name == "Windows Server Datacenter");

  // A server build >= 22000 is not renamed Windows 11.
  CHECK(describeWindows(s2025).name.find("Windows 11") == std::string::npos);
}

TEST_CASE("describeWindows without InstallationType (Wine, old systems)") {
  WindowsVersionValues wine;
  wine.productName = "Microsoft Windows 10";
  wine.currentVersion = "6.3";
  wine.currentBuildNumber = "19043";
  auto w = describeWindows(wine);
  CHECK(w.name == "Windows 10");
  CHECK(w.version == "6.3");
  CHECK(w.build == "19043");
  CHECK_FALSE(w.server);

  WindowsVersionValues empty;
  CHECK(describeWindows(empty).name == "Windows");
  CHECK(describeWindows(empty).build.empty());
}

TEST_CASE("architectureName uses Linux machine names") {
  CHECK(architectureName(9) == "x86_64");
  CHECK(architectureName(12) == "aarch64");
  CHECK(architectureName(0) == "x86");
  CHECK(architectureName(5) == "arm");
  CHECK(architectureName(0xffff) == "unknown (65535)");
}
