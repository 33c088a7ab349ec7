#include "agent/probes/parsers/dnf.h"

#include <doctest/doctest.h>

#include "common/util/files.h"
#include "tests/agent/test_data.h"

using namespace posture::agent::parsers;
using posture::test::agentData;


TEST_CASE("parseDnfCheckUpdate reads a RHEL 9 list with a wrapped name and obsoletes") {
  auto list = parseDnfCheckUpdate(agentData("dnf_check_update_rhel9.txt"));
  CHECK(list.malformed.empty());
  REQUIRE(list.updates.size() == 8);
  CHECK(list.updates[0].name == "NetworkManager");
  CHECK(list.updates[0].arch == "x86_64");
  CHECK(list.updates[0].version == "1:1.44.0-5.el9_3");
  CHECK(list.updates[0].repo == "rhel-9-for-x86_64-baseos-rpms");
  CHECK(list.updates[6].name == "python3-setuptools-wheel-extra-long-name");
  CHECK(list.updates[6].arch == "noarch");
  CHECK(list.updates[6].version == "53.0.0-12.el9_3.1");
  CHECK(list.updates[7].name == "tzdata");
}

TEST_CASE("parseDnfCheckUpdate keeps malformed lines apart") {
  auto list = parseDnfCheckUpdate(
      "Security: kernel-core-5.14.0 is an installed security update\n"
      "bash.x86_64 5.1.8-9.el9 baseos\n"
      "bash 5.1.8-9.el9 baseos\n"
      "dangling.x86_64\n"
      "two words\n"
      "last.noarch\n");
  REQUIRE(list.updates.size() == 1);
  CHECK(list.updates[0].name == "bash");
  CHECK(list.malformed.size() == 4);
  CHECK(parseDnfCheckUpdate("").updates.empty());
}

TEST_CASE("parseNevra splits name, version and arch") {
  auto p = parseNevra("openssl-libs-1:3.0.7-25.el9_3.x86_64");
  REQUIRE(p);
  CHECK(p->name == "openssl-libs");
  CHECK(p->arch == "x86_64");
  CHECK(p->version == "1:3.0.7-25.el9_3");
  CHECK_FALSE(parseNevra("openssl.x86_64"));
  CHECK_FALSE(parseNevra("openssl-3.0.7-25.el9_3.unknownarch"));
  CHECK_FALSE(parseNevra("-1.0.noarch"));
  CHECK_FALSE(parseNevra(""));
}

TEST_CASE("parseDnfSecurityPackages lists distinct packages of dnf 4 and dnf5 output") {
  auto rhel = parseDnfSecurityPackages(agentData("dnf_updateinfo_security_rhel9.txt"));
  CHECK(rhel == std::vector<std::string>{"openssl.x86_64", "openssl-libs.x86_64", "kernel.x86_64",
                                         "kernel-core.x86_64", "curl.x86_64", "glibc.x86_64"});
  auto fedora = parseDnfSecurityPackages(agentData("dnf5_updateinfo_security_fedora.txt"));
  CHECK(fedora == std::vector<std::string>{"curl.x86_64", "libcurl.x86_64", "openssh.x86_64"});
  CHECK(parseDnfSecurityPackages("garbage line\nRHSA-1 Important/Sec. notanevra\n").empty());
}
