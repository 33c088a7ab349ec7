#pragma once

// OpenSSL 3 helpers for the project's PKI: keys, CSRs, the CA, certificate
// issuance and inspection, hashes, random tokens and detached signatures.
// Everything is exchanged as PEM text so callers never touch OpenSSL types.
//
// Error policy: every failure throws CryptoError with a plain-words reason
// followed by the OpenSSL error queue. The check functions (verifyCertificate,
// verifySha256, keyMatchesCertificate) answer "no" with false instead, because
// a bad signature or an untrusted certificate is an expected outcome, not an
// error. Input from the network (CSR PEM, certificate PEM, signatures) is
// size-bounded and never crashes.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace posture::crypto {

class CryptoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Largest PEM text (key, CSR, certificate) accepted; real ones are a few KiB,
// so anything bigger is hostile or a mistake.
inline constexpr std::size_t kMaxPemBytes = 64 * 1024;
// Every issued certificate starts this long before "now" so peers whose clocks
// run a little behind still accept it.
inline constexpr std::int64_t kClockSkewSeconds = 5 * 60;
// Upper bound on validDays for anything issued (100 years), which keeps
// notAfter well inside the GeneralizedTime range and catches unit mistakes.
inline constexpr int kMaxValidDays = 36500;
// Longest commonName / organizationalUnitName allowed by X.520
// (ub-common-name).
inline constexpr std::size_t kMaxNameLength = 64;

// EC P-256 private key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
std::string generatePrivateKeyPem();

// PKCS#10 request with subject CN=commonName, signed by the key (SHA-256).
std::string createCsrPem(const std::string& keyPem, const std::string& commonName);

struct CertificateAuthority {
  std::string certPem;
  std::string keyPem;
};

// Self-signed root with a fresh EC P-256 key: basicConstraints CA:TRUE
// (critical), keyUsage keyCertSign,cRLSign (critical), subjectKeyIdentifier.
CertificateAuthority createCertificateAuthority(const std::string& commonName, int validDays);

struct ServerCertificateRequest {
  std::string keyPem;                    // the server's own key; only its public half is used
  std::vector<std::string> dnsNames;     // host names, "*.example" wildcards allowed
  std::vector<std::string> ipAddresses;  // IPv4 or IPv6 text ("127.0.0.1", "::1")
  int validDays = 825;
};

// CN = first DNS name (first IP address when there are no DNS names),
// subjectAltName with every DNS name and IP address, EKU serverAuth, CA:FALSE,
// SKI + AKI, random 128-bit serial.
std::string issueServerCertificate(const CertificateAuthority& ca,
                                   const ServerCertificateRequest& request);

struct ClientCertificateRequest {
  std::string csrPem;              // untrusted, from the enrolling agent
  std::string commonName;          // chosen by the CA, e.g. the agent id
  std::string organizationalUnit;  // chosen by the CA; empty means no OU
  int validDays = 365;
};

// Verifies the CSR's self-signature and accepts only EC P-256/P-384 or RSA
// 2048..8192-bit keys. The subject in the CSR is ignored: the CA sets CN/OU
// from the request. EKU clientAuth, CA:FALSE, SKI + AKI, random 128-bit serial.
std::string issueClientCertificate(const CertificateAuthority& ca,
                                   const ClientCertificateRequest& request);

// id-kp-documentSigning (RFC 9336): the purpose of certificates that sign documents,
// e.g. the collector's export manifests. Agent (clientAuth) and server (serverAuth)
// certificates of the same CA do not carry it, so they cannot pass for a document signer.
inline constexpr const char* kDocumentSigningOid = "1.3.6.1.5.5.7.3.36";

struct SigningCertificateRequest {
  std::string keyPem;      // the signer's own key; only its public half is used
  std::string commonName;  // e.g. "Posture export signing HOST"
  int validDays = 730;
};

// A document-signing certificate: CN from the request, keyUsage digitalSignature,
// nonRepudiation (critical), EKU documentSigning, CA:FALSE, SKI + AKI, random serial.
std::string issueSigningCertificate(const CertificateAuthority& ca,
                                    const SigningCertificateRequest& request);

struct CertificateInfo {
  std::string subjectCommonName;
  std::string subjectOrganizationalUnit;
  std::string issuerCommonName;
  std::string serialHex;       // lowercase, no leading zero padding
  std::int64_t notBefore = 0;  // Unix seconds, UTC
  std::int64_t notAfter = 0;
  std::string sha256Fingerprint;  // same as certificateFingerprint()
  std::vector<std::string> dnsNames;
  std::vector<std::string> ipAddresses;  // "a.b.c.d" or RFC 5952 IPv6 ("::1")
  bool isCa = false;                     // basicConstraints CA:TRUE
  std::vector<std::string> extendedKeyUsages;  // dotted OIDs ("1.3.6.1.5.5.7.3.2"), in order
};

CertificateInfo inspectCertificate(const std::string& certPem);

// SHA-256 of the certificate's DER, 64 lowercase hex characters.
std::string certificateFingerprint(const std::string& certPem);

// A SHA-256 fingerprint as people copy it: hex in any case, with or without ':' or spaces
// between bytes, optionally after "sha256:" or "SHA256=". Returns the 64 lowercase hex
// characters certificateFingerprint() gives, or "" when the text is not a SHA-256.
std::string parseSha256Fingerprint(std::string_view text);

// Chain check of a leaf against one trusted CA: signature, issuer constraints,
// validity at `atUnix` (0 = now). Never throws: on any failure, including
// unparseable PEM, returns false and, when `reason` is not null, sets it
// ("certificate has expired", "not signed by this CA", ...).
bool verifyCertificate(const std::string& certPem, const std::string& caPem, std::string* reason,
                       std::int64_t atUnix = 0);

// True when the private key is the one whose public half the certificate
// carries. Throws CryptoError when either PEM cannot be parsed.
bool keyMatchesCertificate(const std::string& keyPem, const std::string& certPem);

// SHA-256 of the bytes, 64 lowercase hex characters.
std::string sha256Hex(std::string_view data);

// Incremental SHA-256 for data read in pieces (a large file). finishHex() may be
// called once; update() after it throws CryptoError.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string finishHex();  // 64 lowercase hex characters

 private:
  void* ctx_ = nullptr;  // EVP_MD_CTX
  bool finished_ = false;
};

// `bytes` bytes from the OpenSSL CSPRNG as 2*bytes lowercase hex characters.
std::string randomHex(std::size_t bytes);

// Detached signature over data with a PEM private key (ECDSA or RSA PKCS#1
// v1.5, SHA-256); returns base64 (no line breaks) of the DER signature.
std::string signSha256(const std::string& keyPem, std::string_view data);

// Checks a signSha256 signature with the certificate's public key. Returns
// false when the signature is malformed or does not match; throws CryptoError
// when the certificate cannot be parsed.
bool verifySha256(const std::string& certPem, std::string_view data,
                  const std::string& signatureBase64);

}  // namespace posture::crypto
