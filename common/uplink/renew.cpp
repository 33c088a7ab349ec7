#include "common/uplink/renew.h"

#include "common/crypto/crypto.h"
#include "common/log/log.h"
#include "common/uplink/uplink.h"
#include "common/util/time.h"

namespace posture::uplink {

bool renewIfDue(AgentState& state, std::chrono::seconds before, std::chrono::milliseconds timeout) {
  auto info = crypto::inspectCertificate(state.certPem);
  std::int64_t now = util::unixNow();
  if (info.notAfter - now > before.count()) return false;
  std::string keyPem = crypto::generatePrivateKeyPem();
  auto res = sendRenewal(state, crypto::createCsrPem(keyPem, state.agentId), timeout);
  std::string why;
  if (!crypto::verifyCertificate(res.certificate_pem(), state.caPem, &why) ||
      !crypto::keyMatchesCertificate(keyPem, res.certificate_pem())) {
    throw UplinkError("the renewed certificate does not match this client's new key or its pinned CA (" +
                          why + ")",
                      {}, false);
  }
  replaceCredentials(state, keyPem, res.certificate_pem());
  log::info("certificate renewed, valid until ",
            util::formatIso8601(crypto::inspectCertificate(res.certificate_pem()).notAfter));
  return true;
}

}  // namespace posture::uplink
