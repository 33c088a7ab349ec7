#include "agent/enrol.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif

#include <algorithm>
#include <cctype>

#include "agent/uplink.h"
#include "common/crypto/crypto.h"

namespace posture::agent {

AgentState enrol(const EnrolOptions& o) {
  if (isEnrolled(o.stateDir) && !o.force) {
    throw UplinkError("already enrolled in " + o.stateDir.string() +
                          " (use --force to enrol again, e.g. after a reinstall)",
                      {}, false);
  }
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

  std::string serverCert;
  auto res = sendEnrolment(o.collector, req, o.timeout, &serverCert);

  std::string fingerprint = crypto::certificateFingerprint(res.ca_certificate_pem());
  if (!o.caFingerprint.empty()) {
    std::string want;
    for (char c : o.caFingerprint) {
      if (std::isxdigit(static_cast<unsigned char>(c))) {
        want += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    if (want != fingerprint) {
      throw UplinkError("the collector's CA fingerprint is " + fingerprint + ", expected " + want +
                            ": refusing to trust it",
                        "ca_mismatch", false);
    }
  }
  std::string why;
  if (!crypto::verifyCertificate(serverCert, res.ca_certificate_pem(), &why)) {
    throw UplinkError("the server's certificate is not from the CA it sent (" + why + ")",
                      "ca_mismatch", false);
  }
  if (!crypto::verifyCertificate(res.certificate_pem(), res.ca_certificate_pem(), &why) ||
      !crypto::keyMatchesCertificate(keyPem, res.certificate_pem())) {
    throw UplinkError("the issued certificate does not match this agent's key or CA", {}, false);
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

}  // namespace posture::agent
