#pragma once
// The collector's own CA and server certificate, kept in the data directory. Created on
// first start; reused afterwards.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/crypto/crypto.h"

namespace posture::collector {

struct ServerIdentity {
  crypto::CertificateAuthority ca;
  std::string serverCertPem;
  std::string serverKeyPem;
  // What the listeners present: the server certificate followed by the CA certificate.
  // An agent that knows only the CA's fingerprint checks that chain inside the handshake,
  // before it sends a token (common/net/pinned_trust.h).
  std::string serverChainPem;
  std::string caFingerprint;  // SHA-256 of the CA certificate, hex
};

// An existing CA to use instead of creating one (e.g. the province's), as PEM files.
struct ExistingCa {
  std::filesystem::path certFile, keyFile;
};

// Loads DIR/ca.{crt,key} and DIR/server.{crt,key}, creating what is missing. The server
// certificate names localhost, this host's name, 127.0.0.1, ::1 and extraNames (DNS names
// or IP addresses, e.g. the listen address; a wildcard address 0.0.0.0 or :: stands for
// every address of this machine); it is reissued when one of them is missing.
// With `existing`, a data directory without a CA takes that one (checked: a CA
// certificate, and the key belongs to it); a data directory whose CA differs is an error.
ServerIdentity loadOrCreateIdentity(const std::filesystem::path& dataDir,
                                    const std::vector<std::string>& extraNames,
                                    const std::optional<ExistingCa>& existing = std::nullopt);

// This machine's unicast addresses (IPv4 and IPv6, not loopback or link-local).
std::vector<std::string> machineAddresses();

// Loads the CA only (for commands that do not serve); throws if it does not exist yet.
crypto::CertificateAuthority loadCa(const std::filesystem::path& dataDir);

}  // namespace posture::collector
