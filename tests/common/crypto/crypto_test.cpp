#include "common/crypto/crypto.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include "tests/support/temp_dir.h"

using posture::test::TempDir;

namespace crypto = posture::crypto;

namespace {

std::int64_t nowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool isLowerHex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Extended key usage bits as OpenSSL sees them, read independently of
// crypto.cpp.
std::uint32_t extendedKeyUsage(const std::string& certPem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(certPem.data(), static_cast<int>(certPem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  REQUIRE(cert);
  return X509_get_extended_key_usage(cert.get());
}

std::string keyToPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// Flips one base64 character inside the PEM body, `fromEnd` characters before
// the end of the body (the tail of a CSR's body is its signature).
std::string flipBase64Char(std::string pem, std::size_t fromEnd) {
  const std::size_t bodyEnd = pem.find("-----END");
  REQUIRE(bodyEnd != std::string::npos);
  std::size_t pos = bodyEnd;
  std::size_t seen = 0;
  while (pos > 0) {
    --pos;
    if (pem[pos] == '\n' || pem[pos] == '=') continue;
    if (++seen == fromEnd) break;
  }
  pem[pos] = pem[pos] == 'A' ? 'B' : 'A';
  return pem;
}


bool opensslCliAvailable() { return std::system("openssl version >/dev/null 2>&1") == 0; }

bool opensslVerifies(const TempDir& dir, const std::string& caPem, const std::string& leafPem,
                     const std::string& purpose) {
  std::string ca = dir.write("ca.pem", caPem).string();
  std::string leaf = dir.write("leaf.pem", leafPem).string();
  std::string command =
      "openssl verify -purpose " + purpose + " -CAfile '" + ca + "' '" + leaf + "' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

}  // namespace

TEST_CASE("generated keys are unencrypted PKCS#8 EC keys and differ each time") {
  std::string a = crypto::generatePrivateKeyPem();
  std::string b = crypto::generatePrivateKeyPem();
  CHECK(a.starts_with("-----BEGIN PRIVATE KEY-----\n"));
  CHECK(a.find("ENCRYPTED") == std::string::npos);
  CHECK(a != b);
}

TEST_CASE("a new CA is a CA with the given name and keeps its own key") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 3650);
  auto info = crypto::inspectCertificate(ca.certPem);
  CHECK(info.isCa);
  CHECK(info.subjectCommonName == "Posture Test CA");
  CHECK(info.issuerCommonName == "Posture Test CA");
  CHECK(info.notAfter - info.notBefore == 3650LL * 86400 + crypto::kClockSkewSeconds);
  CHECK(crypto::keyMatchesCertificate(ca.keyPem, ca.certPem));
  CHECK_THROWS_AS(crypto::createCertificateAuthority("", 10), crypto::CryptoError);
  CHECK_THROWS_AS(crypto::createCertificateAuthority("CA", 0), crypto::CryptoError);
}

TEST_CASE(
    "server certificate carries its SANs and verifies only against its "
    "own CA") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 3650);
  auto otherCa = crypto::createCertificateAuthority("Posture Test CA", 3650);
  crypto::ServerCertificateRequest request;
  request.keyPem = crypto::generatePrivateKeyPem();
  request.dnsNames = {"collector.example.vn", "localhost"};
  request.ipAddresses = {"127.0.0.1", "::1", "2001:db8:0:0:1:0:0:1"};
  std::string cert = crypto::issueServerCertificate(ca, request);

  auto info = crypto::inspectCertificate(cert);
  CHECK(info.subjectCommonName == "collector.example.vn");
  CHECK(info.issuerCommonName == "Posture Test CA");
  CHECK_FALSE(info.isCa);
  CHECK(contains(info.dnsNames, "collector.example.vn"));
  CHECK(contains(info.dnsNames, "localhost"));
  CHECK(contains(info.ipAddresses, "127.0.0.1"));
  CHECK(contains(info.ipAddresses, "::1"));
  CHECK(contains(info.ipAddresses, "2001:db8::1:0:0:1"));
  CHECK(info.ipAddresses.size() == 3);
  CHECK((extendedKeyUsage(cert) & XKU_SSL_SERVER) != 0);
  CHECK((extendedKeyUsage(cert) & XKU_SSL_CLIENT) == 0);
  CHECK(crypto::keyMatchesCertificate(request.keyPem, cert));

  std::string reason;
  CHECK(crypto::verifyCertificate(cert, ca.certPem, &reason));
  CHECK_FALSE(crypto::verifyCertificate(cert, otherCa.certPem, &reason));
  CHECK(reason == "not signed by this CA");
  // A different CA is not accepted as a leaf of this one either.
  CHECK_FALSE(crypto::verifyCertificate(otherCa.certPem, ca.certPem, &reason));
  CHECK(reason == "not signed by this CA");
}

TEST_CASE("server certificate requests with hostile or empty names are refused") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 30);
  crypto::ServerCertificateRequest request;
  request.keyPem = crypto::generatePrivateKeyPem();
  CHECK_THROWS_AS(crypto::issueServerCertificate(ca, request), crypto::CryptoError);
  request.dnsNames = {"ok.example,DNS:evil.example"};
  CHECK_THROWS_AS(crypto::issueServerCertificate(ca, request), crypto::CryptoError);
  request.dnsNames = {"ok.example"};
  request.ipAddresses = {"300.1.1.1"};
  CHECK_THROWS_AS(crypto::issueServerCertificate(ca, request), crypto::CryptoError);
  request.ipAddresses = {"10.0.0.1"};
  CHECK_NOTHROW(crypto::issueServerCertificate(ca, request));
  // A CA whose key belongs to another certificate must not issue anything.
  auto other = crypto::createCertificateAuthority("Other", 30);
  crypto::CertificateAuthority mixed{ca.certPem, other.keyPem};
  CHECK_THROWS_WITH_AS(crypto::issueServerCertificate(mixed, request),
                       doctest::Contains("does not match"), crypto::CryptoError);
}

TEST_CASE("client certificate takes CN/OU from the CA, not from the CSR") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 3650);
  std::string key = crypto::generatePrivateKeyPem();
  std::string csr = crypto::createCsrPem(key, "admin-i-wish");
  CHECK(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));

  crypto::ClientCertificateRequest request;
  request.csrPem = csr;
  request.commonName = "agent-7f3a";
  request.organizationalUnit = "So Tai chinh";
  std::string cert = crypto::issueClientCertificate(ca, request);

  auto info = crypto::inspectCertificate(cert);
  CHECK(info.subjectCommonName == "agent-7f3a");
  CHECK(info.subjectOrganizationalUnit == "So Tai chinh");
  CHECK(cert.find("admin-i-wish") == std::string::npos);
  CHECK_FALSE(info.isCa);
  CHECK(info.serialHex.size() >= 24);  // 128 random bits; leading zero nibbles are rare
  CHECK(isLowerHex(info.serialHex));
  CHECK(info.notAfter - info.notBefore == 365LL * 86400 + crypto::kClockSkewSeconds);
  CHECK(info.notBefore <= nowUnix() - crypto::kClockSkewSeconds + 5);
  CHECK(info.notBefore >= nowUnix() - crypto::kClockSkewSeconds - 60);
  CHECK((extendedKeyUsage(cert) & XKU_SSL_CLIENT) != 0);
  CHECK((extendedKeyUsage(cert) & XKU_SSL_SERVER) == 0);
  CHECK(crypto::keyMatchesCertificate(key, cert));

  std::string reason;
  CHECK(crypto::verifyCertificate(cert, ca.certPem, &reason));

  // Two issuances from the same CSR get different random serials.
  auto again = crypto::inspectCertificate(crypto::issueClientCertificate(ca, request));
  CHECK(again.serialHex != info.serialHex);
}

TEST_CASE("a CSR with a tampered body is refused") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 30);
  std::string csr = crypto::createCsrPem(crypto::generatePrivateKeyPem(), "agent");
  crypto::ClientCertificateRequest request;
  request.commonName = "agent";

  // Inside the signature: parses, but the signature no longer matches.
  request.csrPem = flipBase64Char(csr, 10);
  REQUIRE(request.csrPem != csr);
  CHECK_THROWS_WITH_AS(crypto::issueClientCertificate(ca, request),
                       doctest::Contains("CSR signature does not verify"), crypto::CryptoError);

  // Anywhere else in the body: refused one way or another, never issued.
  for (std::size_t fromEnd : {40u, 80u, 120u, 160u}) {
    request.csrPem = flipBase64Char(csr, fromEnd);
    CHECK_THROWS_AS(crypto::issueClientCertificate(ca, request), crypto::CryptoError);
  }
}

TEST_CASE("CSR keys outside the accepted types and sizes are refused") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 30);
  crypto::ClientCertificateRequest request;
  request.commonName = "agent";

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> rsa1024(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024)), &EVP_PKEY_free);
  REQUIRE(rsa1024);
  request.csrPem = crypto::createCsrPem(keyToPem(rsa1024.get()), "agent");
  CHECK_THROWS_WITH_AS(crypto::issueClientCertificate(ca, request), doctest::Contains("RSA"),
                       crypto::CryptoError);

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> p521(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521"), &EVP_PKEY_free);
  REQUIRE(p521);
  request.csrPem = crypto::createCsrPem(keyToPem(p521.get()), "agent");
  CHECK_THROWS_WITH_AS(crypto::issueClientCertificate(ca, request), doctest::Contains("curve"),
                       crypto::CryptoError);

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> p384(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"), &EVP_PKEY_free);
  REQUIRE(p384);
  request.csrPem = crypto::createCsrPem(keyToPem(p384.get()), "agent");
  std::string cert = crypto::issueClientCertificate(ca, request);
  CHECK(crypto::verifyCertificate(cert, ca.certPem, nullptr));

  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> rsa2048(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)), &EVP_PKEY_free);
  REQUIRE(rsa2048);
  std::string rsaKey = keyToPem(rsa2048.get());
  request.csrPem = crypto::createCsrPem(rsaKey, "agent");
  cert = crypto::issueClientCertificate(ca, request);
  CHECK(crypto::verifyCertificate(cert, ca.certPem, nullptr));
  CHECK(crypto::keyMatchesCertificate(rsaKey, cert));
}

TEST_CASE("garbage, empty and oversized PEM are refused without crashing") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 30);
  crypto::ClientCertificateRequest request;
  request.commonName = "agent";
  const std::string huge(crypto::kMaxPemBytes + 1, 'A');
  const std::string truncated = ca.certPem.substr(0, ca.certPem.size() / 2);
  const std::string withNul =
      std::string("-----BEGIN CERTIFICATE-----\n\0AAAA\n", 34) + "-----END CERTIFICATE-----\n";
  for (const std::string& bad :
       {std::string("not a pem at all"), std::string(), huge, truncated, withNul}) {
    request.csrPem = bad;
    CHECK_THROWS_AS(crypto::issueClientCertificate(ca, request), crypto::CryptoError);
    CHECK_THROWS_AS(crypto::inspectCertificate(bad), crypto::CryptoError);
    CHECK_THROWS_AS(crypto::certificateFingerprint(bad), crypto::CryptoError);
    CHECK_THROWS_AS(crypto::keyMatchesCertificate(bad, ca.certPem), crypto::CryptoError);
    CHECK_THROWS_AS(crypto::signSha256(bad, "data"), crypto::CryptoError);
    std::string reason;
    CHECK_FALSE(crypto::verifyCertificate(bad, ca.certPem, &reason));
    CHECK_FALSE(reason.empty());
    CHECK_FALSE(crypto::verifyCertificate(ca.certPem, bad, &reason));
  }
  CHECK_THROWS_WITH_AS(crypto::inspectCertificate("garbage"),
                       doctest::Contains("certificate is not valid PEM"), crypto::CryptoError);
  // A CSR is not a certificate and a certificate is not a CSR.
  std::string csr = crypto::createCsrPem(crypto::generatePrivateKeyPem(), "agent");
  CHECK_THROWS_AS(crypto::inspectCertificate(csr), crypto::CryptoError);
  request.csrPem = ca.certPem;
  CHECK_THROWS_WITH_AS(crypto::issueClientCertificate(ca, request),
                       doctest::Contains("CSR is not valid PEM"), crypto::CryptoError);
}

TEST_CASE(
    "verification at a future time reports expiry, at a past time "
    "not-yet-valid") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 3650);
  crypto::ClientCertificateRequest request;
  request.csrPem = crypto::createCsrPem(crypto::generatePrivateKeyPem(), "agent");
  request.commonName = "agent";
  request.validDays = 30;
  std::string cert = crypto::issueClientCertificate(ca, request);
  const std::int64_t now = nowUnix();

  std::string reason;
  CHECK(crypto::verifyCertificate(cert, ca.certPem, &reason, now + 29 * 86400));
  CHECK_FALSE(crypto::verifyCertificate(cert, ca.certPem, &reason, now + 31 * 86400));
  CHECK(reason == "certificate has expired");
  CHECK_FALSE(crypto::verifyCertificate(cert, ca.certPem, &reason, now + 3700LL * 86400));
  CHECK(reason.find("expired") != std::string::npos);
  CHECK_FALSE(crypto::verifyCertificate(cert, ca.certPem, &reason, now - 3600));
  CHECK(reason.find("not yet valid") != std::string::npos);
  // The clock-skew grace: a peer four minutes behind still accepts the
  // certificate.
  CHECK(crypto::verifyCertificate(cert, ca.certPem, &reason, now - 240));
}

TEST_CASE("fingerprint is 64 lowercase hex, stable, and distinct per certificate") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 30);
  auto other = crypto::createCertificateAuthority("Posture Test CA", 30);
  std::string fp = crypto::certificateFingerprint(ca.certPem);
  CHECK(fp.size() == 64);
  CHECK(isLowerHex(fp));
  CHECK(crypto::certificateFingerprint(ca.certPem) == fp);
  CHECK(crypto::inspectCertificate(ca.certPem).sha256Fingerprint == fp);
  CHECK(crypto::certificateFingerprint(other.certPem) != fp);
}

TEST_CASE("a fingerprint is read as people copy it, and anything else is refused") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 30);
  std::string fp = crypto::certificateFingerprint(ca.certPem);
  std::string upper, colons;
  for (std::size_t i = 0; i < fp.size(); ++i) {
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(fp[i])));
    colons += (i > 0 && i % 2 == 0 ? ":" : "") + std::string(1, upper.back());
  }
  CHECK(crypto::parseSha256Fingerprint(fp) == fp);
  CHECK(crypto::parseSha256Fingerprint(upper) == fp);
  CHECK(crypto::parseSha256Fingerprint(colons) == fp);
  CHECK(crypto::parseSha256Fingerprint("SHA256:" + colons) == fp);
  CHECK(crypto::parseSha256Fingerprint("sha256=" + fp + "\t") == fp);
  CHECK(crypto::parseSha256Fingerprint(" " + fp + " ") == fp);
  // The old reading kept every hex digit: "SHA256:" would have lent it "a256".
  CHECK(crypto::parseSha256Fingerprint("XSHA256:" + fp).empty());
  CHECK(crypto::parseSha256Fingerprint(fp.substr(1)).empty());
  CHECK(crypto::parseSha256Fingerprint(fp + "0").empty());
  CHECK(crypto::parseSha256Fingerprint(fp.substr(0, 63) + "g").empty());
  CHECK(crypto::parseSha256Fingerprint("").empty());
  CHECK(crypto::parseSha256Fingerprint(crypto::sha256Hex("x").substr(0, 40)).empty());  // SHA-1 size
}

TEST_CASE("keyMatchesCertificate tells the right key from another one") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 30);
  crypto::ServerCertificateRequest request;
  request.keyPem = crypto::generatePrivateKeyPem();
  request.dnsNames = {"localhost"};
  std::string cert = crypto::issueServerCertificate(ca, request);
  CHECK(crypto::keyMatchesCertificate(request.keyPem, cert));
  CHECK_FALSE(crypto::keyMatchesCertificate(crypto::generatePrivateKeyPem(), cert));
  CHECK_FALSE(crypto::keyMatchesCertificate(ca.keyPem, cert));
}

TEST_CASE("sha256Hex matches the known vector") {
  CHECK(crypto::sha256Hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(crypto::sha256Hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("signatures round-trip and fail on modified data, signature or signer") {
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 30);
  crypto::ServerCertificateRequest request;
  request.keyPem = crypto::generatePrivateKeyPem();
  request.dnsNames = {"export.example"};
  std::string cert = crypto::issueServerCertificate(ca, request);

  const std::string manifest = "report-2024-05.csv 3a7bd3e2360a3d29eea436fcfb7e44c735d117c4\n";
  std::string signature = crypto::signSha256(request.keyPem, manifest);
  CHECK(signature.find('\n') == std::string::npos);
  CHECK(crypto::verifySha256(cert, manifest, signature));
  CHECK_FALSE(crypto::verifySha256(cert, manifest + " ", signature));
  CHECK_FALSE(crypto::verifySha256(ca.certPem, manifest, signature));

  std::string flipped = signature;
  flipped[flipped.size() / 2] = flipped[flipped.size() / 2] == 'A' ? 'B' : 'A';
  CHECK_FALSE(crypto::verifySha256(cert, manifest, flipped));
  CHECK_FALSE(crypto::verifySha256(cert, manifest, ""));
  CHECK_FALSE(crypto::verifySha256(cert, manifest, "not base64!"));
  CHECK_FALSE(crypto::verifySha256(cert, manifest, std::string(10000, 'A')));
  CHECK_THROWS_AS(crypto::verifySha256("garbage", manifest, signature), crypto::CryptoError);

  // Binary data with NUL bytes is signed in full, not up to the first NUL.
  const std::string binary("a\0b", 3);
  std::string binarySignature = crypto::signSha256(request.keyPem, binary);
  CHECK(crypto::verifySha256(cert, binary, binarySignature));
  CHECK_FALSE(crypto::verifySha256(cert, std::string("a\0c", 3), binarySignature));
}

TEST_CASE("randomHex has the requested length and does not repeat") {
  CHECK(crypto::randomHex(0).empty());
  CHECK(crypto::randomHex(1).size() == 2);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string token = crypto::randomHex(16);
    CHECK(token.size() == 32);
    CHECK(isLowerHex(token));
    seen.insert(token);
  }
  CHECK(seen.size() == 100);
  CHECK_THROWS_AS(crypto::randomHex(std::size_t{1} << 30), crypto::CryptoError);
}

TEST_CASE("the openssl command line accepts what we issue, for the right purpose") {
  if (!opensslCliAvailable()) {
    MESSAGE("openssl CLI not installed; skipped");
    return;
  }
  TempDir dir;
  auto ca = crypto::createCertificateAuthority("Posture Test CA", 3650);
  auto otherCa = crypto::createCertificateAuthority("Posture Test CA", 3650);

  crypto::ServerCertificateRequest server;
  server.keyPem = crypto::generatePrivateKeyPem();
  server.dnsNames = {"localhost"};
  server.ipAddresses = {"127.0.0.1", "::1"};
  std::string serverCert = crypto::issueServerCertificate(ca, server);

  crypto::ClientCertificateRequest client;
  client.csrPem = crypto::createCsrPem(crypto::generatePrivateKeyPem(), "agent");
  client.commonName = "agent-1";
  client.organizationalUnit = "IT";
  std::string clientCert = crypto::issueClientCertificate(ca, client);

  CHECK(opensslVerifies(dir, ca.certPem, serverCert, "sslserver"));
  CHECK(opensslVerifies(dir, ca.certPem, clientCert, "sslclient"));
  CHECK_FALSE(opensslVerifies(dir, ca.certPem, clientCert, "sslserver"));
  CHECK_FALSE(opensslVerifies(dir, ca.certPem, serverCert, "sslclient"));
  CHECK_FALSE(opensslVerifies(dir, otherCa.certPem, serverCert, "sslserver"));

  // Our key and CSR are readable by the CLI, and the CSR's self-signature
  // checks out there too.
  std::string keyPath = dir.write("key.pem", server.keyPem).string();
  std::string csrPath = dir.write("csr.pem", client.csrPem).string();
  CHECK(std::system(("openssl pkey -noout -in '" + keyPath + "' >/dev/null 2>&1").c_str()) == 0);
  CHECK(std::system(("openssl req -verify -noout -in '" + csrPath + "' >/dev/null 2>&1").c_str()) ==
        0);
}
