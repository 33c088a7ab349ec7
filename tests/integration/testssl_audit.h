#pragma once
// Reading a testssl.sh scan (its --jsonfile-pretty output) for the TLS audit test
// (testssl_test.cpp): the findings, the ones the audit refuses, and a short summary.
// Pure functions, so the filter itself is tested from strings.
#include <string>
#include <string_view>
#include <vector>

namespace posture::test {

struct TestsslFinding {
  std::string section;   // "protocols", "ciphers", "serverDefaults", "vulnerabilities", ...
  std::string id;        // testssl's id: "TLS1", "cipherlist_3DES_IDEA", "cert_revocation", ...
  std::string severity;  // DEBUG, INFO, OK, LOW, MEDIUM, HIGH, CRITICAL, WARN, FATAL
  std::string finding;
};

struct TestsslScan {
  std::string version;  // "3.0.8 COMMIT from DATE" (see summarize)
  std::string service;  // what it took the port for ("HTTP")
  std::vector<TestsslFinding> findings;
};

// Parses the pretty JSON of one target; throws std::runtime_error naming what is missing.
TestsslScan parseTestsslScan(std::string_view json);

// Findings the audit does not accept: severity LOW, MEDIUM, HIGH or CRITICAL, except the
// private CA's notices (kPrivateCaNotices in testssl_audit.cpp); and FATAL (the scan broke).
std::vector<TestsslFinding> refusedFindings(const TestsslScan& scan);

// The checks the audit is about (protocols, cipher categories, server preference, forward
// secrecy, certificate, vulnerabilities; with http the HTTP checks) that the scan did not
// make: absent, or WARN ("could not check"), so silence never passes for a clean result.
// A WARN elsewhere (session resumption, which s_client probes racily under TLS 1.3) is only
// shown in the summary.
std::vector<std::string> missingChecks(const TestsslScan& scan, bool http);

// Protocols, cipher categories, server preferences, forward secrecy, then the number of
// findings per severity and every finding of LOW or above (allowed ones marked).
std::string summarize(const TestsslScan& scan);

}  // namespace posture::test
