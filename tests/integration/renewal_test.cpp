// Certificate renewal without a token: a certificate close to its end is replaced (new key
// made on the machine) and the next reports go with the new one.
#include <doctest/doctest.h>

#include <filesystem>

#include "common/crypto/crypto.h"
#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/integration/child_process.h"

using namespace posture;

TEST_CASE("an agent renews its certificate before it expires, with a new key and no token") {
  // Certificates of one day; the agent renews when fewer than two days are left.
  test::CollectorProcess collector({"--client-cert-days", "1"});
  std::string state = test::makeTempDir("posture-agent-");
  REQUIRE(util::runProcess({POSTURE_AGENT_BIN, "enroll", "--collector", collector.address,
                            "--token", collector.createToken("BS-VP"), "--state-dir", state,
                            "--ca-fingerprint", collector.caFingerprint})
              .exitCode == 0);
  auto keyBefore = util::readFile(state + "/agent.key").value_or("");
  auto certBefore = util::readFile(state + "/agent.crt").value_or("");
  REQUIRE(!certBefore.empty());

  // Far from expiry by the default rule (30 days before): nothing happens.
  auto quiet = util::runProcess({POSTURE_AGENT_BIN, "run", "--state-dir", state, "--once",
                                 "--renew-before", "1h"},
                                std::chrono::seconds(120));
  INFO(quiet.err);
  REQUIRE(quiet.exitCode == 0);
  CHECK(quiet.err.find("certificate renewed") == std::string::npos);
  CHECK(util::readFile(state + "/agent.crt").value_or("") == certBefore);

  auto run = util::runProcess({POSTURE_AGENT_BIN, "run", "--state-dir", state, "--once",
                               "--renew-before", "2d"},
                              std::chrono::seconds(120));
  INFO(run.err);
  REQUIRE(run.exitCode == 0);
  CHECK(run.err.find("certificate renewed, valid until") != std::string::npos);
  auto keyAfter = util::readFile(state + "/agent.key").value_or("");
  auto certAfter = util::readFile(state + "/agent.crt").value_or("");
  CHECK(keyAfter != keyBefore);
  CHECK(certAfter != certBefore);
  CHECK(crypto::keyMatchesCertificate(keyAfter, certAfter));
  auto before = crypto::inspectCertificate(certBefore);
  auto after = crypto::inspectCertificate(certAfter);
  CHECK(after.serialHex != before.serialHex);
  CHECK(after.subjectCommonName == before.subjectCommonName);  // the same agent
  CHECK(after.subjectOrganizationalUnit == before.subjectOrganizationalUnit);
  CHECK_FALSE(std::filesystem::exists(state + "/agent.key.new"));

  // The new certificate is the one the collector accepts now.
  auto next = util::runProcess({POSTURE_AGENT_BIN, "run", "--state-dir", state, "--once",
                                "--renew-before", "1h"},
                               std::chrono::seconds(120));
  INFO(next.err);
  CHECK(next.exitCode == 0);
  CHECK(next.err.find("acknowledged") != std::string::npos);
  std::filesystem::remove_all(state);
}
