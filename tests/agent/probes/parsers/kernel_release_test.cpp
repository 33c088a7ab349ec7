#include "agent/probes/parsers/kernel_release.h"

#include <doctest/doctest.h>

using namespace posture::agent::parsers;

TEST_CASE("compareDebianVersions follows dpkg's ordering") {
  // Pairs checked against `dpkg --compare-versions a lt b`.
  CHECK(compareDebianVersions("1.0", "1.0") == 0);
  CHECK(compareDebianVersions("1.0", "1.1") < 0);
  CHECK(compareDebianVersions("1.10", "1.9") > 0);
  CHECK(compareDebianVersions("1.0~rc1", "1.0") < 0);
  CHECK(compareDebianVersions("1.0", "1.0+deb12u1") < 0);
  CHECK(compareDebianVersions("1:0.1", "9.9") > 0);
  CHECK(compareDebianVersions("2.36-9+deb12u4", "2.36-9+deb12u10") < 0);
  CHECK(compareDebianVersions("3.0.11-1~deb12u1", "3.0.11-1") < 0);
  CHECK(compareDebianVersions("1.0a", "1.0+") < 0);  // letters sort before other characters
  CHECK(compareDebianVersions("1.0-1", "1.0-1~bpo1") > 0);
  CHECK(compareDebianVersions("001", "1") == 0);
  CHECK(compareDebianVersions("6.1.0-26", "6.1.0-28") < 0);
  CHECK(compareDebianVersions("6.1.0-9", "6.1.0-10") < 0);
  // Malformed input still orders without crashing.
  CHECK(compareDebianVersions("", "") == 0);
  CHECK(compareDebianVersions("x:1", "1") == 0);
  CHECK(compareDebianVersions("", "1") < 0);
  CHECK(compareDebianVersions("", "0") == 0);  // dpkg skips leading zeros, so "0" is empty
}

TEST_CASE("splitKernelRelease separates version and flavour") {
  auto d = splitKernelRelease("6.1.0-26-amd64");
  REQUIRE(d);
  CHECK(d->version == "6.1.0-26");
  CHECK(d->flavour == "amd64");
  auto c = splitKernelRelease("6.1.0-26-cloud-amd64");
  REQUIRE(c);
  CHECK(c->flavour == "cloud-amd64");
  auto u = splitKernelRelease("5.15.0-91-generic");
  REQUIRE(u);
  CHECK(u->version == "5.15.0-91");
  auto r = splitKernelRelease("5.14.0-362.8.1.el9_3.x86_64");
  REQUIRE(r);
  CHECK(r->version == "5.14.0-362.8.1.el9_3.x86_64");
  CHECK(r->flavour.empty());
  CHECK_FALSE(splitKernelRelease(""));
  CHECK_FALSE(splitKernelRelease("amd64"));
}

TEST_CASE("installedKernelsFromDpkgStatus keeps installed versioned linux-image packages") {
  auto k = installedKernelsFromDpkgStatus(R"(Package: linux-image-6.1.0-26-amd64
Status: install ok installed
Version: 6.1.112-1

Package: linux-image-amd64
Status: install ok installed
Version: 6.1.112-1

Package: linux-image-6.1.0-18-amd64
Status: deinstall ok config-files
Version: 6.1.76-1

Package: bash
Status: install ok installed

Package: linux-image-6.1.0-28-amd64
Status: install ok installed
Description: multi-line
 continuation: Package: linux-image-9.9.9-99-amd64)");
  REQUIRE(k.size() == 2);
  CHECK(k[0] == "6.1.0-26-amd64");
  CHECK(k[1] == "6.1.0-28-amd64");
  CHECK(installedKernelsFromDpkgStatus("").empty());
  CHECK(installedKernelsFromDpkgStatus("garbage\n\n\nStatus: install ok installed\n").empty());
}

TEST_CASE("newerKernel compares within the running flavour") {
  auto boot = kernelsFromBootFiles({"vmlinuz-6.1.0-26-amd64", "vmlinuz-6.1.0-28-amd64",
                                    "config-6.1.0-30-amd64", "vmlinuz-6.1.0-40-cloud-amd64",
                                    "vmlinuz", "initrd.img-6.1.0-28-amd64"});
  REQUIRE(boot.size() == 3);
  CHECK(newerKernel("6.1.0-26-amd64", boot) == std::optional<std::string>("6.1.0-28-amd64"));
  CHECK_FALSE(newerKernel("6.1.0-28-amd64", boot));
  CHECK(newerKernel("6.1.0-9-amd64", {"6.1.0-10-amd64"}) ==
        std::optional<std::string>("6.1.0-10-amd64"));
  CHECK_FALSE(newerKernel("6.18.44-fc-v769", {}));
  CHECK_FALSE(newerKernel("", boot));
  CHECK(newerKernel("5.14.0-362.8.1.el9_3.x86_64",
                    {"5.14.0-362.18.1.el9_3.x86_64", "5.14.0-284.11.1.el9_2.x86_64"}) ==
        std::optional<std::string>("5.14.0-362.18.1.el9_3.x86_64"));
}
