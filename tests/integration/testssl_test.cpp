// TLS audit (issue 15): testssl.sh against a real collector's agent listener and console
// listener on loopback. Fails listing every finding of severity LOW or above, apart from the
// private CA's notices named in testssl_audit.cpp, and every check that could not be made.
#include "tests/integration/testssl_audit.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "common/util/files.h"
#include "common/util/process.h"
#include "tests/integration/child_process.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using posture::test::TestsslFinding;
using posture::test::TestsslScan;

namespace {

// One flat finding wrapped the way testssl's pretty JSON is.
std::string scanJson(const std::string& section, const std::string& id, const std::string& severity,
                     const std::string& finding) {
  return R"({"version":"3.0.8","scanResult":[{"targetHost":"127.0.0.1","service":"HTTP",")" +
         section + R"(":[{"id":")" + id + R"(","severity":")" + severity + R"(","finding":")" +
         finding + R"("}]}],"scanTime":1})";
}

std::string listFindings(const std::vector<TestsslFinding>& findings) {
  std::string out;
  for (const auto& f : findings) out += "  " + f.severity + " " + f.id + ": " + f.finding + "\n";
  return out;
}

struct Audit {
  TestsslScan scan;
  std::chrono::seconds took{0};
};

// Runs testssl.sh against 127.0.0.1:PORT with the collector's CA added to its trust stores
// (what agents and browsers that were given the CA do). Nothing leaves loopback (checked
// with strace: every connect() goes to 127.0.0.1 or ::1): --nodns none (no A/AAAA/PTR/CAA/MX
// lookups); NXCONNECT=127.0.0.1:0, else its probes of openssl's features resolve "invalid."
// with the system's DNS server; without --phone-out no CRL, OCSP or pwnedkeys requests;
// testssl 3.0 has no update check. No colour, no prompts, no files but the JSON we read.
// The checks: protocols (-p), cipher categories (-s), forward secrecy (-f), server
// preferences (-P), certificate and defaults (-S), HTTP headers (-h), every vulnerability
// (-U). Left out of testssl's default run, to keep the scan near 1.5 minutes a listener:
// the client simulation (-c, 30 recorded clients' handshakes; INFO only, and over a third
// of the time) and the one-by-one cipher enumeration (-e; INFO only, the categories and the
// per-protocol server order already name every cipher offered).
Audit runTestssl(const std::string& address, const std::string& caFile) {
  std::string testssl = util::findExecutable("testssl");  // Debian's name for testssl.sh
  if (testssl.empty()) testssl = util::findExecutable("testssl.sh");
  REQUIRE_MESSAGE(!testssl.empty(), "testssl.sh is not installed (scripts/install-deps.sh)");
  test::TempDir dir("posture-testssl-");
  auto json = dir.path() / "scan.json";
  auto start = std::chrono::steady_clock::now();
  // clang-format off
  std::vector<std::string> argv = {
      util::findExecutable("env"), "NXCONNECT=127.0.0.1:0", testssl,
      "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
      "--connect-timeout", "10", "--openssl-timeout", "10",
      "--add-ca", caFile, "--jsonfile-pretty", json.string(),
      "-p", "-s", "-f", "-P", "-S", "-h", "-U", address};
  // clang-format on
  auto run = util::runProcess(argv, std::chrono::minutes(8));
  Audit audit;
  audit.took =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
  INFO("testssl stderr: ", run.err.substr(0, 2000));
  REQUIRE_MESSAGE(run.started, run.error);
  REQUIRE_MESSAGE(!run.timedOut, "testssl.sh did not finish within 8 minutes");
  auto text = util::readFile(json);
  std::string noJson = "testssl.sh wrote no JSON; its output:\n" + run.out.substr(0, 4000);
  REQUIRE_MESSAGE(text.has_value(), noJson);
  audit.scan = test::parseTestsslScan(*text);
  return audit;
}

void check(const std::string& what, const Audit& audit, bool http) {
  std::cout << "== " << what << " (" << audit.took.count() << " s)\n"
            << test::summarize(audit.scan) << std::flush;
  auto refused = test::refusedFindings(audit.scan);
  std::string refusedText =
      what + ": testssl.sh findings of severity LOW or above:\n" + listFindings(refused);
  CHECK_MESSAGE(refused.empty(), refusedText);
  auto missing = test::missingChecks(audit.scan, http);
  std::string names;
  for (const auto& m : missing) names += " " + m;
  std::string missingText = what + ": checks that did not run:" + names;
  CHECK_MESSAGE(missing.empty(), missingText);
}

}  // namespace

TEST_CASE("the audit refuses findings of LOW or above, a broken scan and checks not made") {
  auto weak = test::parseTestsslScan(scanJson("protocols", "TLS1", "LOW", "offered (deprecated)"));
  CHECK(test::refusedFindings(weak).size() == 1);
  auto cbc = test::parseTestsslScan(
      scanJson("vulnerabilities", "LUCKY13", "LOW", "potentially vulnerable"));
  CHECK(test::refusedFindings(cbc).size() == 1);
  // A check that could not be made is not a check passed.
  auto unknown =
      test::parseTestsslScan(scanJson("vulnerabilities", "ROBOT", "WARN", "check failed"));
  auto missing = test::missingChecks(unknown, false);
  CHECK(std::find(missing.begin(), missing.end(), "ROBOT") != missing.end());
  CHECK(test::refusedFindings(
            test::parseTestsslScan(scanJson("pretest", "scanProblem", "FATAL", "no TLS")))
            .size() == 1);
  auto fine = test::parseTestsslScan(scanJson("protocols", "TLS1_3", "OK", "offered with final"));
  CHECK(test::refusedFindings(fine).empty());
  // An allowed id is allowed for what it is, not because of its section.
  auto revocation = test::parseTestsslScan(
      scanJson("serverDefaults", "cert_revocation", "HIGH", "Neither CRL nor OCSP URI provided"));
  CHECK(test::refusedFindings(revocation).empty());
  // A scan that stopped after the protocols is incomplete.
  CHECK(!test::missingChecks(fine, false).empty());
  CHECK_THROWS(test::parseTestsslScan(R"({"scanResult":[]})"));
}

TEST_CASE("testssl.sh finds nothing of LOW or above on the agent and console listeners") {
  // --log-level warn: testssl's hundreds of refused handshakes would bury the summary.
  test::CollectorProcess collector({"--console-listen", "127.0.0.1:0", "--log-level", "warn"});
  std::string ca = (std::filesystem::path(collector.dataDir) / "ca.crt").string();
  // One after the other: both at once would only compete for the same two cores.
  check("agent listener " + collector.address, runTestssl(collector.address, ca), true);
  check("console listener " + collector.consoleAddress, runTestssl(collector.consoleAddress, ca),
        true);
}
