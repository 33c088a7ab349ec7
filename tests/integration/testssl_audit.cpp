#include "tests/integration/testssl_audit.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

#include "common/util/json.h"

namespace posture::test {
namespace {

// The notices that come only from the collector being its own, private CA: they would be
// the same for any certificate a public CA did not issue, and agents do not rely on what
// they ask for (agents pin the CA's SHA-256 at enrolment; a compromised server key is
// handled by reissuing from the CA, not by a revocation service nobody could reach on an
// isolated district network). Each id with why; nothing else is accepted.
// The chain notices (cert_chain_of_trust "failed (self signed CA in chain)", cert_caIssuers)
// are not here: the test hands testssl the collector's CA (--add-ca), as agents pin it and
// browsers of the SOC are given it, so a chain that does not lead to that CA still fails.
struct Allowed {
  const char* id;
  const char* why;
};
constexpr Allowed kPrivateCaNotices[] = {
    // "Neither CRL nor OCSP URI provided" (HIGH): public CAs must run one; the collector's
    // CA has no web presence to publish a CRL or answer OCSP from, and the certificates it
    // issues to itself are replaced on disk, not revoked.
    {"cert_revocation", "private CA: no CRL or OCSP service"},
};

const Allowed* allowedNotice(const std::string& id) {
  for (const auto& a : kPrivateCaNotices) {
    if (id == a.id) return &a;
  }
  return nullptr;
}

int rank(const std::string& severity) {
  static const std::map<std::string, int> kRank = {
      {"LOW", 1}, {"MEDIUM", 2}, {"HIGH", 3}, {"CRITICAL", 4}};
  auto it = kRank.find(severity);
  return it == kRank.end() ? 0 : it->second;
}

// testssl's words for "could not check": WARN for one check, FATAL for the whole scan.
bool cannotTell(const std::string& severity) { return severity == "WARN" || severity == "FATAL"; }

const char* kSections[] = {
    "pretest",     "singleCipher",      "protocols",      "grease",         "ciphers",
    "pfs",         "serverPreferences", "serverDefaults", "headerResponse", "vulnerabilities",
    "cipherTests", "browserSimulations"};

std::string member(const util::Json& object, std::string_view name) {
  const util::Json* v = object.find(name);
  return v && v->isString() ? v->asString() : std::string();
}
}  // namespace

TestsslScan parseTestsslScan(std::string_view text) {
  util::Json doc = util::parseJson(text);
  TestsslScan scan;
  scan.version = member(doc, "version");
  const util::Json* results = doc.find("scanResult");
  if (!results || !results->isArray() || results->size() != 1) {
    throw std::runtime_error("testssl JSON: expected one entry in scanResult");
  }
  const util::Json& target = results->items().front();
  scan.service = member(target, "service");
  for (const char* section : kSections) {
    const util::Json* list = target.find(section);
    if (!list) continue;
    for (const auto& f : list->items()) {
      scan.findings.push_back(
          {section, member(f, "id"), member(f, "severity"), member(f, "finding")});
    }
  }
  if (scan.findings.empty()) throw std::runtime_error("testssl JSON: no findings at all");
  return scan;
}

std::vector<TestsslFinding> refusedFindings(const TestsslScan& scan) {
  std::vector<TestsslFinding> out;
  for (const auto& f : scan.findings) {
    if (f.severity == "FATAL" || (rank(f.severity) > 0 && !allowedNotice(f.id))) {
      out.push_back(f);
    }
  }
  return out;
}

std::vector<std::string> missingChecks(const TestsslScan& scan, bool http) {
  // One id per family of checks the audit is about: if one is absent, that part of the
  // scan did not run (a crash, a timeout, an option dropped) and its silence proves nothing.
  // clang-format off
  std::vector<std::string> wanted = {
      "SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3",       // protocols
      "cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT",  // cipher categories
      "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_AVERAGE", "cipherlist_STRONG",
      "cipher_order",                                               // server preferences
      "PFS",                                                        // forward secrecy
      "cert_signatureAlgorithm", "cert_keySize", "cert_chain_of_trust", "cert_trust",
      "cert_validityPeriod", "cert_expirationStatus",               // certificate
      "heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego", "secure_client_renego",
      "CRIME_TLS", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK", "DROWN", "LOGJAM",
      "BEAST", "LUCKY13", "RC4"};                                   // vulnerabilities
  // clang-format on
  // The HTTP checks ran: status, headers (banner, HSTS), BREACH.
  if (http) wanted.insert(wanted.end(), {"HTTP_status_code", "banner_server", "BREACH"});
  std::vector<std::string> missing;
  for (const auto& id : wanted) {
    bool found =
        std::any_of(scan.findings.begin(), scan.findings.end(),
                    [&](const TestsslFinding& f) { return f.id == id && !cannotTell(f.severity); });
    if (!found) missing.push_back(id);
  }
  return missing;
}

std::string summarize(const TestsslScan& scan) {
  std::ostringstream out;
  // Only the release: testssl appends the commit of the git repository it runs in (ours).
  out << "testssl " << scan.version.substr(0, scan.version.find(' ')) << ", service "
      << (scan.service.empty() ? "?" : scan.service) << "\n";
  for (const char* section : {"protocols", "ciphers", "serverPreferences", "pfs"}) {
    out << "  " << section << ":\n";
    for (const auto& f : scan.findings) {
      if (f.section == section)
        out << "    " << f.id << ": " << f.finding << " [" << f.severity << "]\n";
    }
  }
  std::map<std::string, int> counts;
  for (const auto& f : scan.findings) ++counts[f.severity];
  out << "  findings by severity:";
  for (const char* s : {"CRITICAL", "HIGH", "MEDIUM", "LOW", "WARN", "FATAL", "OK", "INFO"}) {
    out << " " << s << " " << counts[s];
  }
  out << "\n";
  for (const auto& f : scan.findings) {
    if (rank(f.severity) == 0 && !cannotTell(f.severity)) continue;
    const Allowed* a = cannotTell(f.severity) ? nullptr : allowedNotice(f.id);
    out << "  " << f.severity << " " << f.id << ": " << f.finding;
    if (a) out << "  (allowed: " << a->why << ")";
    out << "\n";
  }
  return out.str();
}

}  // namespace posture::test
