// The collector's CA and server certificate: an existing CA can be configured, never
// silently replaced; a wildcard listener's certificate names the machine's addresses.
#include "collector/pki/authority.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "common/crypto/crypto.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;

TEST_CASE("an existing CA is taken at first start and checked") {
  test::TempDir dir("posture-pki-");
  auto province = crypto::createCertificateAuthority("Sở TT&TT Quảng Ngãi CA", 3650);
  auto certFile = dir.write("ca.pem", province.certPem);
  auto keyFile = dir.write("ca.key", province.keyPem);

  auto id = loadOrCreateIdentity(dir.path() / "data", {"collector.example"}, ExistingCa{certFile, keyFile});
  CHECK(id.caFingerprint == crypto::certificateFingerprint(province.certPem));
  std::string why;
  CHECK(crypto::verifyCertificate(id.serverCertPem, province.certPem, &why));
  auto info = crypto::inspectCertificate(id.serverCertPem);
  CHECK(std::find(info.dnsNames.begin(), info.dnsNames.end(), "collector.example") != info.dnsNames.end());
  // The listeners present the CA after the leaf, so an agent can check its pin in the
  // handshake (tests/integration/enrol_trust_test.cpp checks it on the wire).
  CHECK(id.serverChainPem.starts_with(id.serverCertPem));
  CHECK(id.serverChainPem.ends_with(province.certPem));
  // Started again with the same CA: fine; without the option: the stored one is used.
  CHECK(loadOrCreateIdentity(dir.path() / "data", {}, ExistingCa{certFile, keyFile}).caFingerprint == id.caFingerprint);
  CHECK(loadOrCreateIdentity(dir.path() / "data", {}).caFingerprint == id.caFingerprint);

  // A different CA for a data directory that has one: refused, naming the stored one.
  auto other = crypto::createCertificateAuthority("Other CA", 3650);
  auto otherCert = dir.write("other.pem", other.certPem);
  auto otherKey = dir.write("other.key", other.keyPem);
  std::string expected = "already has a different CA (SHA-256 " + id.caFingerprint;
  CHECK_THROWS_WITH(loadOrCreateIdentity(dir.path() / "data", {}, ExistingCa{otherCert, otherKey}),
                    doctest::Contains(expected.c_str()));

  // A key that is not the CA's, and a certificate that is not a CA: refused.
  CHECK_THROWS_WITH(loadOrCreateIdentity(dir.path() / "fresh", {}, ExistingCa{certFile, otherKey}),
                    doctest::Contains("is not the key of"));
  auto serverKey = dir.write("leaf.key", id.serverKeyPem);
  auto serverCert = dir.write("leaf.pem", id.serverCertPem);
  CHECK_THROWS_WITH(loadOrCreateIdentity(dir.path() / "fresh", {}, ExistingCa{serverCert, serverKey}),
                    doctest::Contains("is not a CA certificate"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "fresh" / "ca.crt"));
}

TEST_CASE("a wildcard listener's certificate names every address of the machine") {
  test::TempDir dir("posture-pki-");
  auto id = loadOrCreateIdentity(dir.path(), {"0.0.0.0", "::"});
  auto info = crypto::inspectCertificate(id.serverCertPem);
  auto addresses = machineAddresses();
  MESSAGE("machine addresses: " << addresses.size());
  for (const auto& a : addresses) {
    CAPTURE(a);
    CHECK(std::find(info.ipAddresses.begin(), info.ipAddresses.end(), a) != info.ipAddresses.end());
  }
  CHECK(std::find(info.ipAddresses.begin(), info.ipAddresses.end(), "127.0.0.1") != info.ipAddresses.end());
  for (const auto& a : addresses) CHECK(a.rfind("fe80", 0) != 0);  // no link-local
}

TEST_CASE("the server certificate lasts at most 825 days, and an older longer one is replaced") {
  test::TempDir dir("posture-pki-");
  auto id = loadOrCreateIdentity(dir.path(), {});
  auto info = crypto::inspectCertificate(id.serverCertPem);
  // The whole period, backdating included: TLS scanners count from notBefore.
  CHECK(info.notAfter - info.notBefore <= 825LL * 86400);
  CHECK(info.notAfter - info.notBefore > 800LL * 86400);

  // What collectors issued before: 825 days from now, so 825 days and 5 minutes in all.
  auto oldKey = crypto::generatePrivateKeyPem();
  auto old = crypto::issueServerCertificate(
      id.ca, {oldKey, info.dnsNames, info.ipAddresses, 825});
  dir.write("server.key", oldKey);
  dir.write("server.crt", old);
  auto again = loadOrCreateIdentity(dir.path(), {});
  CHECK(again.serverCertPem != old);
  auto renewed = crypto::inspectCertificate(again.serverCertPem);
  CHECK(renewed.notAfter - renewed.notBefore <= 825LL * 86400);
  // A current one is kept.
  CHECK(loadOrCreateIdentity(dir.path(), {}).serverCertPem == again.serverCertPem);
}
