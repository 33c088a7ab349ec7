#include "common/uplink/enrol.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif

#include "common/uplink/uplink.h"
#include "common/crypto/crypto.h"

namespace posture::uplink {
namespace {
// Which trust the options ask for; refuses, before anything is sent, what a person must fix.
net::EnrolmentTrust trustOf(const EnrolOptions& o) {
  net::EnrolmentTrust t;
  if (!o.caFingerprint.empty()) {
    t.caFingerprint = crypto::parseSha256Fingerprint(o.caFingerprint);
    if (t.caFingerprint.empty()) {
      throw UplinkError("'" + o.caFingerprint.substr(0, 100) +
                            "' không phải dấu vân tay SHA-256 (64 chữ số hex) / is not a SHA-256 "
                            "fingerprint (64 hex digits, as `posture-collector token create` prints it)",
                        "bad_fingerprint", false);
    }
    return t;
  }
  if (!o.trustOnFirstUse) {
    throw UplinkError(
        "không đăng ký: chưa có dấu vân tay CA của máy chủ thu thập, nên không thể xác minh máy "
        "chủ trước khi gửi mã đăng ký. Hãy cho dấu vân tay mà `posture-collector token create` "
        "in ra (--ca-fingerprint; agent.conf: ca_fingerprint=; MSI: CA_FINGERPRINT=), hoặc, nếu "
        "chấp nhận tin máy chủ trả lời đầu tiên, --trust-on-first-use (trust_on_first_use=yes; "
        "TRUST_ON_FIRST_USE=1) / not enrolling: no CA fingerprint for the collector, so the "
        "server cannot be verified before the token is sent. Give the fingerprint "
        "`posture-collector token create` prints (--ca-fingerprint; agent.conf: "
        "ca_fingerprint=; MSI: CA_FINGERPRINT=), or, to trust whichever server answers first, "
        "--trust-on-first-use (trust_on_first_use=yes; TRUST_ON_FIRST_USE=1)",
        "pin_missing", false);
  }
  t.trustOnFirstUse = true;
  return t;
}

// SHA-256 of a certificate the collector sent; its PEM is untrusted input.
std::string fingerprintOrEmpty(const std::string& pem) {
  try {
    return crypto::certificateFingerprint(pem);
  } catch (const crypto::CryptoError&) {
    return {};
  }
}
}  // namespace

AgentState enrol(const EnrolOptions& o) {
  if (isEnrolled(o.stateDir) && !o.force) {
    throw UplinkError("already enrolled in " + o.stateDir.string() +
                          " (use --force to enrol again, e.g. after a reinstall)",
                      {}, false);
  }
  net::EnrolmentTrust trust = trustOf(o);
  char host[256] = {};
#ifdef _WIN32
  DWORD size = sizeof host - 1;
  ::GetComputerNameExA(ComputerNameDnsHostname, host, &size);
#else
  ::gethostname(host, sizeof host - 1);
#endif

  std::string keyPem = crypto::generatePrivateKeyPem();
  posture::v1::EnrolRequest req;
  req.set_token(o.token);
  req.set_csr_pem(crypto::createCsrPem(keyPem, host[0] ? host : "posture-agent"));
  req.set_hostname(host);
  req.set_agent_version(POSTURE_VERSION);

  std::string verified;
  auto res = sendEnrolment(o.collector, req, trust, o.timeout, &verified);

  // The CA in the answer must be the one the handshake verified the server against.
  std::string answered = fingerprintOrEmpty(res.ca_certificate_pem());
  if (verified.empty() || answered != verified) {
    throw UplinkError("máy chủ thu thập trả lời bằng một CA khác với CA đã xác minh khi bắt tay TLS; "
                          "không tin / the collector's TLS chain ends in CA " + verified +
                          " but it answered with CA " + (answered.empty() ? "(unreadable)" : answered) +
                          ": refusing to trust it",
                      "ca_mismatch", false);
  }
  std::string why;
  if (!crypto::verifyCertificate(res.certificate_pem(), res.ca_certificate_pem(), &why) ||
      !crypto::keyMatchesCertificate(keyPem, res.certificate_pem())) {
    throw UplinkError("chứng thư được cấp không khớp khoá hoặc CA của máy này / the issued certificate "
                          "does not match this agent's key or CA (" + why + ")",
                      {}, false);
  }

  AgentState s;
  s.dir = o.stateDir;
  s.collector = o.collector;
  s.agentId = res.agent_id();
  s.unitCode = res.unit_code();
  s.keyPem = keyPem;
  s.certPem = res.certificate_pem();
  s.caPem = res.ca_certificate_pem();
  saveState(s);
  return s;
}

}  // namespace posture::uplink
