#include "common/crypto/crypto.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>
#include <memory>
#include <utility>

#include "common/crypto/openssl_util.h"
#include "common/util/time.h"

namespace posture::crypto {
using namespace detail;
namespace {

constexpr int kMinRsaBits = 2048;
// Verifying a CSR signed with a huge RSA key costs a lot of CPU; enrolment
// never needs more.
constexpr int kMaxRsaBits = 8192;

ReqPtr loadCsr(const std::string& pem) {
  BioPtr bio = readBio(pem, "CSR");
  ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, refusePassphrase, nullptr));
  if (!req) fail("CSR is not valid PEM");
  return req;
}

template <class WriteFn>
std::string writePem(WriteFn&& write, const std::string& what) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("cannot allocate a memory BIO");
  if (write(bio.get()) != 1) fail("cannot encode " + what + " as PEM");
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) fail("cannot encode " + what + " as PEM");
  return std::string(data, static_cast<std::size_t>(size));
}

std::string privateKeyToPem(EVP_PKEY* key) {
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") in OpenSSL 3.
  return writePem(
      [key](BIO* bio) {
        return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
      },
      "private key");
}

std::string certificateToPem(X509* cert) {
  return writePem([cert](BIO* bio) { return PEM_write_bio_X509(bio, cert); }, "certificate");
}

PkeyPtr generateEcKey() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) fail("cannot generate an EC P-256 key");
  return key;
}

void addNameEntry(X509_NAME* name, const char* field, const std::string& value,
                  const std::string& label) {
  if (value.empty()) fail(label + " is empty");
  if (value.size() > kMaxNameLength) {
    fail(label + " is longer than " + std::to_string(kMaxNameLength) + " characters");
  }
  if (value.find('\0') != std::string::npos) fail(label + " contains a NUL character");
  // MBSTRING_UTF8 makes OpenSSL reject invalid UTF-8 instead of storing it.
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    fail(label + " is not valid UTF-8 or cannot be stored");
  }
}

void checkValidDays(int validDays) {
  if (validDays < 1 || validDays > kMaxValidDays) {
    fail("validity of " + std::to_string(validDays) + " days is outside 1.." +
         std::to_string(kMaxValidDays));
  }
}

// Random serials make issuer/serial collisions practically impossible without a
// counter shared between collector instances (CA/Browser Forum asks for at
// least 64 random bits).
void setRandomSerial(X509* cert) {
  std::array<unsigned char, 16> bytes{};
  bool allZero = true;
  while (allZero) {
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      fail("cannot draw a random serial number");
    }
    for (unsigned char b : bytes) allZero = allZero && b == 0;
  }
  BnPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    fail("cannot set the serial number");
  }
}

X509Ptr newCertificate(EVP_PKEY* subjectKey, int validDays) {
  checkValidDays(validDays);
  X509Ptr cert(X509_new());
  if (!cert) fail("cannot allocate a certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) fail("cannot set version 3");
  setRandomSerial(cert.get());
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kClockSkewSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), validDays, 0, nullptr) == nullptr) {
    fail("cannot set the validity period");
  }
  if (X509_set_pubkey(cert.get(), subjectKey) != 1) fail("cannot set the public key");
  return cert;
}

void addExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    fail(std::string("cannot add extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
}

void signCertificate(X509* cert, EVP_PKEY* issuerKey) {
  if (X509_sign(cert, issuerKey, EVP_sha256()) <= 0) fail("cannot sign the certificate");
}

struct LoadedCa {
  X509Ptr cert;
  PkeyPtr key;
};

LoadedCa loadCa(const CertificateAuthority& ca) {
  LoadedCa loaded{loadCertificate(ca.certPem, "CA certificate"),
                  loadPrivateKey(ca.keyPem, "CA private key")};
  if (EVP_PKEY_eq(X509_get0_pubkey(loaded.cert.get()), loaded.key.get()) != 1) {
    fail("CA private key does not match the CA certificate");
  }
  if ((X509_get_extension_flags(loaded.cert.get()) & EXFLAG_CA) == 0) {
    fail("CA certificate does not have basicConstraints CA:TRUE");
  }
  return loaded;
}

void addLeafExtensions(X509* cert, X509* issuer, EVP_PKEY* subjectKey, const char* eku) {
  X509V3_CTX ctx{};
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  addExtension(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE");
  // TLS 1.2 RSA key exchange needs keyEncipherment; EC keys only ever sign.
  addExtension(cert, &ctx, NID_key_usage,
               EVP_PKEY_is_a(subjectKey, "RSA") ? "critical,digitalSignature,keyEncipherment"
                                                : "critical,digitalSignature");
  addExtension(cert, &ctx, NID_ext_key_usage, eku);
  addExtension(cert, &ctx, NID_subject_key_identifier, "hash");
  addExtension(cert, &ctx, NID_authority_key_identifier, "keyid:always");
}

bool isValidDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (name.starts_with("*.")) name.remove_prefix(2);
  while (true) {
    std::size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) return true;
    name.remove_prefix(dot + 1);
  }
}

// Built as GENERAL_NAME objects rather than a "DNS:a,IP:b" config string so
// that a name can never smuggle in extra entries through commas or colons.
void addSubjectAltNames(X509* cert, const std::vector<std::string>& dnsNames,
                        const std::vector<std::string>& ipAddresses) {
  NamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) fail("cannot allocate subjectAltName");
  for (const std::string& dns : dnsNames) {
    if (!isValidDnsName(dns)) fail("\"" + dns + "\" is not a valid DNS name");
    Ia5Ptr text(ASN1_IA5STRING_new());
    if (!text || ASN1_STRING_set(text.get(), dns.data(), static_cast<int>(dns.size())) != 1) {
      fail("cannot encode DNS name " + dns);
    }
    NamePtr name(GENERAL_NAME_new());
    if (!name) fail("cannot allocate subjectAltName entry");
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, text.release());
    if (sk_GENERAL_NAME_push(names.get(), name.get()) <= 0) fail("cannot add DNS name " + dns);
    name.release();
  }
  for (const std::string& ip : ipAddresses) {
    if (ip.find('\0') != std::string::npos) fail("IP address contains a NUL character");
    OctetPtr bytes(a2i_IPADDRESS(ip.c_str()));
    if (!bytes) fail("\"" + ip + "\" is not a valid IPv4 or IPv6 address");
    NamePtr name(GENERAL_NAME_new());
    if (!name) fail("cannot allocate subjectAltName entry");
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, bytes.release());
    if (sk_GENERAL_NAME_push(names.get(), name.get()) <= 0) fail("cannot add IP address " + ip);
    name.release();
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    fail("cannot add subjectAltName");
  }
}

// Enrolment keys come from agents we do not control: only curves and sizes that
// every TLS stack supports and that are strong enough are signed.
void checkAcceptableCsrKey(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC")) {
    std::array<char, 80> group{};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &length) != 1) {
      fail("CSR EC key does not use a named curve");
    }
    int nid = OBJ_sn2nid(group.data());
    if (nid == NID_undef) nid = EC_curve_nist2nid(group.data());
    if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1) {
      fail(std::string("CSR EC curve ") + group.data() + " is not accepted (P-256 or P-384)");
    }
    return;
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    int bits = EVP_PKEY_get_bits(key);
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      fail("CSR RSA key of " + std::to_string(bits) + " bits is not accepted (" +
           std::to_string(kMinRsaBits) + ".." + std::to_string(kMaxRsaBits) + ")");
    }
    return;
  }
  fail("CSR key type is not accepted (EC P-256/P-384 or RSA)");
}

std::string nameEntry(const X509_NAME* name, int nid) {
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* raw = nullptr;
  int length = ASN1_STRING_to_UTF8(&raw, data);
  OpenSslBytes utf8(raw);
  if (length < 0) fail("certificate name field cannot be converted to UTF-8");
  return std::string(reinterpret_cast<const char*>(utf8.get()), static_cast<std::size_t>(length));
}

std::int64_t toUnix(const ASN1_TIME* time) {
  TimePtr epoch(ASN1_TIME_set(nullptr, 0));
  int days = 0;
  int seconds = 0;
  if (!epoch || ASN1_TIME_diff(&days, &seconds, epoch.get(), time) != 1) {
    fail("certificate validity time cannot be read");
  }
  return static_cast<std::int64_t>(days) * util::kSecondsPerDay + seconds;
}

// RFC 5952 text: lowercase, no leading zeros, the longest run (>= 2) of zero
// groups as "::".
std::string formatIpv6(const unsigned char* b) {
  std::array<unsigned, 8> groups{};
  for (std::size_t i = 0; i < 8; ++i) groups[i] = (unsigned{b[2 * i]} << 8) | b[2 * i + 1];
  std::size_t bestStart = 8;
  std::size_t bestLength = 1;
  for (std::size_t i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  std::string out;
  for (std::size_t i = 0; i < 8;) {
    if (i == bestStart) {
      out += "::";
      i += bestLength;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::array<char, 8> buf{};
    std::snprintf(buf.data(), buf.size(), "%x", groups[i]);
    out += buf.data();
    ++i;
  }
  return out;
}

std::string formatIp(const ASN1_OCTET_STRING* octets) {
  const unsigned char* b = ASN1_STRING_get0_data(octets);
  int length = ASN1_STRING_length(octets);
  if (length == 4) {
    return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." +
           std::to_string(b[3]);
  }
  if (length == 16) return formatIpv6(b);
  return {};  // a malformed entry from someone else's certificate is skipped,
              // not fatal
}

std::string fingerprintOf(const X509* cert) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest.data(), &length) != 1) {
    fail("cannot compute the certificate fingerprint");
  }
  return toHex(digest.data(), length);
}

std::string describeVerifyError(int error, int depth) {
  const bool leaf = depth == 0;
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return leaf ? "certificate has expired" : "CA certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return leaf ? "certificate is not yet valid" : "CA certificate is not yet valid";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "not signed by this CA";
    case X509_V_ERR_INVALID_CA:
      return "issuer is not a valid CA certificate";
    default:
      return std::string("certificate does not verify: ") + X509_verify_cert_error_string(error);
  }
}

}  // namespace

std::string generatePrivateKeyPem() {
  ERR_clear_error();
  PkeyPtr key = generateEcKey();
  return privateKeyToPem(key.get());
}

std::string createCsrPem(const std::string& keyPem, const std::string& commonName) {
  ERR_clear_error();
  PkeyPtr key = loadPrivateKey(keyPem, "private key");
  ReqPtr req(X509_REQ_new());
  if (!req) fail("cannot allocate a CSR");
  if (X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1) fail("cannot set CSR version");
  addNameEntry(X509_REQ_get_subject_name(req.get()), "CN", commonName, "common name");
  if (X509_REQ_set_pubkey(req.get(), key.get()) != 1) fail("cannot set the CSR public key");
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) fail("cannot sign the CSR");
  return writePem([&req](BIO* bio) { return PEM_write_bio_X509_REQ(bio, req.get()); }, "CSR");
}

CertificateAuthority createCertificateAuthority(const std::string& commonName, int validDays) {
  ERR_clear_error();
  PkeyPtr key = generateEcKey();
  X509Ptr cert = newCertificate(key.get(), validDays);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  addNameEntry(subject, "CN", commonName, "CA common name");
  if (X509_set_issuer_name(cert.get(), subject) != 1) fail("cannot set the CA issuer name");

  X509V3_CTX ctx{};
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  addExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
  addExtension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  signCertificate(cert.get(), key.get());
  return CertificateAuthority{certificateToPem(cert.get()), privateKeyToPem(key.get())};
}

std::string issueServerCertificate(const CertificateAuthority& ca,
                                   const ServerCertificateRequest& request) {
  ERR_clear_error();
  if (request.dnsNames.empty() && request.ipAddresses.empty()) {
    fail("server certificate needs at least one DNS name or IP address");
  }
  LoadedCa issuer = loadCa(ca);
  PkeyPtr key = loadPrivateKey(request.keyPem, "server private key");
  X509Ptr cert = newCertificate(key.get(), request.validDays);
  const std::string& commonName =
      request.dnsNames.empty() ? request.ipAddresses.front() : request.dnsNames.front();
  addNameEntry(X509_get_subject_name(cert.get()), "CN", commonName, "server common name");
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer.cert.get())) != 1) {
    fail("cannot set the issuer name");
  }
  addLeafExtensions(cert.get(), issuer.cert.get(), key.get(), "serverAuth");
  addSubjectAltNames(cert.get(), request.dnsNames, request.ipAddresses);
  signCertificate(cert.get(), issuer.key.get());
  return certificateToPem(cert.get());
}

std::string issueClientCertificate(const CertificateAuthority& ca,
                                   const ClientCertificateRequest& request) {
  ERR_clear_error();
  LoadedCa issuer = loadCa(ca);
  ReqPtr req = loadCsr(request.csrPem);
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr) fail("CSR public key cannot be decoded");
  // The key is checked before the signature so a huge hostile key costs nothing
  // to refuse.
  checkAcceptableCsrKey(key);
  if (X509_REQ_verify(req.get(), key) != 1) fail("CSR signature does not verify");

  X509Ptr cert = newCertificate(key, request.validDays);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (!request.organizationalUnit.empty()) {
    addNameEntry(subject, "OU", request.organizationalUnit, "organizational unit");
  }
  addNameEntry(subject, "CN", request.commonName, "client common name");
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer.cert.get())) != 1) {
    fail("cannot set the issuer name");
  }
  addLeafExtensions(cert.get(), issuer.cert.get(), key, "clientAuth");
  signCertificate(cert.get(), issuer.key.get());
  return certificateToPem(cert.get());
}

std::string issueSigningCertificate(const CertificateAuthority& ca,
                                    const SigningCertificateRequest& request) {
  ERR_clear_error();
  LoadedCa issuer = loadCa(ca);
  PkeyPtr key = loadPrivateKey(request.keyPem, "signing private key");
  X509Ptr cert = newCertificate(key.get(), request.validDays);
  addNameEntry(X509_get_subject_name(cert.get()), "CN", request.commonName, "signer common name");
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer.cert.get())) != 1) {
    fail("cannot set the issuer name");
  }
  X509V3_CTX ctx{};
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer.cert.get(), cert.get(), nullptr, nullptr, 0);
  addExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
  addExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature,nonRepudiation");
  addExtension(cert.get(), &ctx, NID_ext_key_usage, kDocumentSigningOid);
  addExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  addExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  signCertificate(cert.get(), issuer.key.get());
  return certificateToPem(cert.get());
}

CertificateInfo inspectCertificate(const std::string& certPem) {
  ERR_clear_error();
  X509Ptr cert = loadCertificate(certPem, "certificate");
  CertificateInfo info;
  const X509_NAME* subject = X509_get_subject_name(cert.get());
  info.subjectCommonName = nameEntry(subject, NID_commonName);
  info.subjectOrganizationalUnit = nameEntry(subject, NID_organizationalUnitName);
  info.issuerCommonName = nameEntry(X509_get_issuer_name(cert.get()), NID_commonName);

  BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (!serial) fail("certificate serial number cannot be read");
  OpenSslChars hex(BN_bn2hex(serial.get()));
  if (!hex) fail("certificate serial number cannot be converted to hex");
  info.serialHex = hex.get();
  for (char& c : info.serialHex) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }

  info.notBefore = toUnix(X509_get0_notBefore(cert.get()));
  info.notAfter = toUnix(X509_get0_notAfter(cert.get()));
  info.sha256Fingerprint = fingerprintOf(cert.get());

  NamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      int type = 0;
      void* value = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names.get(), i), &type);
      if (type == GEN_DNS) {
        const auto* text = static_cast<const ASN1_IA5STRING*>(value);
        info.dnsNames.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                                   static_cast<std::size_t>(ASN1_STRING_length(text)));
      } else if (type == GEN_IPADD) {
        std::string ip = formatIp(static_cast<const ASN1_OCTET_STRING*>(value));
        if (!ip.empty()) info.ipAddresses.push_back(std::move(ip));
      }
    }
  }
  info.isCa = (X509_get_extension_flags(cert.get()) & EXFLAG_CA) != 0;
  EkuPtr eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert.get(), NID_ext_key_usage, nullptr, nullptr)));
  if (eku) {
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
      std::array<char, 128> oid{};
      int length = OBJ_obj2txt(oid.data(), static_cast<int>(oid.size()),
                               sk_ASN1_OBJECT_value(eku.get(), i), 1);
      if (length > 0 && static_cast<std::size_t>(length) < oid.size()) {
        info.extendedKeyUsages.emplace_back(oid.data(), static_cast<std::size_t>(length));
      }
    }
  }
  ERR_clear_error();  // absent extensions leave harmless entries in the queue
  return info;
}

std::string certificateFingerprint(const std::string& certPem) {
  ERR_clear_error();
  X509Ptr cert = loadCertificate(certPem, "certificate");
  return fingerprintOf(cert.get());
}

bool verifyCertificate(const std::string& certPem, const std::string& caPem, std::string* reason,
                       std::int64_t atUnix) {
  auto refuse = [reason](std::string why) {
    if (reason != nullptr) *reason = std::move(why);
    ERR_clear_error();
    return false;
  };
  ERR_clear_error();
  try {
    X509Ptr leaf = loadCertificate(certPem, "certificate");
    X509Ptr caCert = loadCertificate(caPem, "CA certificate");
    StorePtr store(X509_STORE_new());
    StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!store || !ctx) return refuse("cannot allocate a certificate store");
    if (X509_STORE_add_cert(store.get(), caCert.get()) != 1) {
      return refuse("CA certificate cannot be added to the trust store");
    }
    if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1) {
      return refuse("cannot initialise certificate verification");
    }
    // The given CA is the trust anchor even when it is an intermediate.
    X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN);
    if (atUnix != 0) X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(atUnix));
    if (X509_verify_cert(ctx.get()) == 1) {
      ERR_clear_error();
      return true;
    }
    return refuse(describeVerifyError(X509_STORE_CTX_get_error(ctx.get()),
                                      X509_STORE_CTX_get_error_depth(ctx.get())));
  } catch (const CryptoError& e) {
    return refuse(e.what());
  }
}

bool keyMatchesCertificate(const std::string& keyPem, const std::string& certPem) {
  ERR_clear_error();
  PkeyPtr key = loadPrivateKey(keyPem, "private key");
  X509Ptr cert = loadCertificate(certPem, "certificate");
  EVP_PKEY* certKey = X509_get0_pubkey(cert.get());
  bool match = certKey != nullptr && EVP_PKEY_eq(certKey, key.get()) == 1;
  ERR_clear_error();  // a type mismatch is an answer, not an error
  return match;
}

}  // namespace posture::crypto
