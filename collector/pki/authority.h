#pragma once
// The collector's own CA and server certificate, kept in the data directory. Created on
// first start; reused afterwards.
#include <filesystem>
#include <string>
#include <vector>

#include "common/crypto/crypto.h"

namespace posture::collector {

struct ServerIdentity {
  crypto::CertificateAuthority ca;
  std::string serverCertPem;
  std::string serverKeyPem;
  std::string caFingerprint;  // SHA-256 of the CA certificate, hex
};

// Loads DIR/ca.{crt,key} and DIR/server.{crt,key}, creating what is missing. The server
// certificate names localhost, this host's name, 127.0.0.1, ::1 and extraNames (DNS names
// or IP addresses, e.g. the listen address); it is reissued when one of them is missing.
ServerIdentity loadOrCreateIdentity(const std::filesystem::path& dataDir,
                                    const std::vector<std::string>& extraNames);

// Loads the CA only (for commands that do not serve); throws if it does not exist yet.
crypto::CertificateAuthority loadCa(const std::filesystem::path& dataDir);

}  // namespace posture::collector
