// The signed manifest: a fresh export verifies; one changed byte of the file, an edited
// manifest, a wrong CA fingerprint or a signer that is not the collector's document
// signer each fail, naming what failed.
#include "collector/export/manifest.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "collector/export/export.h"
#include "common/crypto/crypto.h"
#include "common/util/files.h"
#include "tests/collector/export/export_fixture.h"

using namespace posture;
using namespace posture::collector;
namespace fs = std::filesystem;

namespace {
struct Exported {
  fs::path file, manifest;
};

Exported exportTo(test::ExportFixture& fx, const std::string& name, ExportFormat format) {
  fx.report("a1", "BS-TC", test::kTrickyHostname, 1, test::noonDaysAgo(1), true);
  auto policies = std::make_shared<const std::vector<policy::Policy>>(std::vector<policy::Policy>{
      policy::loadPolicyFile(fs::path(POSTURE_SOURCE_DIR) / "policies/binh-son-2022.yaml")});
  std::int64_t now = util::unixNow();
  auto signer = loadOrCreateExportSigner(fx.data, now);
  auto e = buildComplianceExport(*fx.db, policies, {}, fx.identity.caFingerprint, now);
  std::string bytes = renderExport(e, format);
  Exported out{fx.path(name), manifestPathFor(fx.path(name))};
  util::writeFileAtomic(out.file, bytes);
  auto m = signManifest(name, bytes, std::string(exportFormatName(format)),
                        std::string(exportMediaType(format)), metadataJson(e), signer, now);
  util::writeFileAtomic(out.manifest, util::writeJson(m));
  return out;
}

std::string read(const fs::path& p) { return *util::readFile(p); }

bool mentions(const VerifyResult& r, const std::string& text) {
  return std::any_of(r.checks.begin(), r.checks.end(), [&](const VerifyCheck& c) {
    return !c.ok && (c.en.find(text) != std::string::npos);
  });
}
}  // namespace

TEST_CASE("a fresh export verifies, with and without the expected CA fingerprint") {
  test::ExportFixture fx;
  for (auto format : {ExportFormat::Csv, ExportFormat::Xlsx, ExportFormat::Json}) {
    std::string name = "list." + std::string(exportFormatName(format));
    auto ex = exportTo(fx, name, format);
    auto r = verifyExport(ex.file, ex.manifest, fx.identity.caFingerprint);
    CAPTURE(renderVerifyResult(r, ex.file));
    CHECK(r.ok);
    CHECK(r.caFingerprint == fx.identity.caFingerprint);
    CHECK(r.fileName == name);
    CHECK(r.format == exportFormatName(format));
    CHECK(r.rowCount == 1);
    CHECK(r.policies == std::vector<std::string>{"binh-son-2022 v2"});
    std::string text = renderVerifyResult(r, ex.file);
    CHECK(text.find("KẾT LUẬN: HỢP LỆ") != std::string::npos);
    CHECK(text.find("VERDICT: VALID") != std::string::npos);

    // Fingerprints are compared without regard to case or colons.
    std::string upper = fx.identity.caFingerprint;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    upper.insert(2, ":");
    CHECK(verifyExport(ex.file, ex.manifest, upper).ok);
    // Without a fingerprint it verifies, and says the CA was not pinned.
    auto unpinned = verifyExport(ex.file, ex.manifest, std::nullopt);
    CHECK(unpinned.ok);
    CHECK(renderVerifyResult(unpinned, ex.file).find("CA not pinned") != std::string::npos);
  }
}

TEST_CASE("the manifest carries the file, the metadata, the signer and the CA") {
  test::ExportFixture fx;
  auto ex = exportTo(fx, "list.xlsx", ExportFormat::Xlsx);
  auto m = util::parseJson(read(ex.manifest));
  CHECK(m.at("format").asString() == kManifestFormat);
  CHECK(m.at("file").at("name").asString() == "list.xlsx");
  CHECK(m.at("file").at("size").asInt() == static_cast<std::int64_t>(fs::file_size(ex.file)));
  CHECK(m.at("file").at("sha256").asString() == crypto::sha256Hex(read(ex.file)));
  CHECK(m.at("export").at("policies").items()[0].at("id").asString() == "binh-son-2022");
  CHECK(m.at("export").at("row_count").asInt() == 1);
  CHECK(m.at("signer").at("ca_fingerprint_sha256").asString() == fx.identity.caFingerprint);
  auto signer = crypto::inspectCertificate(m.at("signer").at("certificate_pem").asString());
  CHECK(signer.subjectCommonName.starts_with("Posture export signing"));
  CHECK(std::find(signer.extendedKeyUsages.begin(), signer.extendedKeyUsages.end(),
                  crypto::kDocumentSigningOid) != signer.extendedKeyUsages.end());
  CHECK_FALSE(signer.isCa);
  std::string why;
  CHECK(crypto::verifyCertificate(m.at("signer").at("certificate_pem").asString(),
                                  fx.identity.ca.certPem, &why));
  // The signing key stays in the data directory, private, and is reused.
  CHECK((fs::status(fx.data / "export-signing.key").permissions() & fs::perms::group_read) ==
        fs::perms::none);
  auto again = loadOrCreateExportSigner(fx.data, util::unixNow());
  CHECK(again.certPem == m.at("signer").at("certificate_pem").asString());
  // Re-indenting the manifest does not break its signature (canonical bytes).
  util::writeFileAtomic(ex.manifest, util::writeJson(m, false));
  CHECK(verifyExport(ex.file, ex.manifest, fx.identity.caFingerprint).ok);
}

TEST_CASE("one changed byte of the file fails as 'file altered'") {
  test::ExportFixture fx;
  for (auto format : {ExportFormat::Csv, ExportFormat::Xlsx, ExportFormat::Json}) {
    auto ex = exportTo(fx, "list." + std::string(exportFormatName(format)), format);
    std::string bytes = read(ex.file);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
    util::writeFileAtomic(ex.file, bytes);
    auto r = verifyExport(ex.file, ex.manifest, fx.identity.caFingerprint);
    CHECK_FALSE(r.ok);
    CHECK(r.fileAltered);
    CHECK_FALSE(r.manifestAltered);
    CHECK_FALSE(r.wrongCa);
    CHECK(mentions(r, "SHA-256 do NOT match"));
    std::string text = renderVerifyResult(r, ex.file);
    CHECK(text.find("VERDICT: INVALID — the file was altered") != std::string::npos);
    CHECK(text.find("KẾT LUẬN: KHÔNG HỢP LỆ — tệp đã bị thay đổi") != std::string::npos);
  }
  // A truncated file too (size differs).
  auto ex = exportTo(fx, "short.csv", ExportFormat::Csv);
  std::string bytes = read(ex.file);
  util::writeFileAtomic(ex.file, bytes.substr(0, bytes.size() - 1));
  auto r = verifyExport(ex.file, ex.manifest, std::nullopt);
  CHECK(r.fileAltered);
  CHECK(mentions(r, "bytes ≠"));
}

TEST_CASE("an edited manifest fails as 'manifest altered'") {
  test::ExportFixture fx;
  auto ex = exportTo(fx, "list.csv", ExportFormat::Csv);
  std::string original = read(ex.manifest);

  SUBCASE("a metadata value") {
    auto m = util::parseJson(original);
    util::Json meta = m.at("export");
    meta.set("row_count", 99);
    m.set("export", meta);
    util::writeFileAtomic(ex.manifest, util::writeJson(m));
  }
  SUBCASE("one character of the text") {
    std::string edited = original;
    auto at = edited.find("binh-son-2022");
    edited[at] = 'B';
    util::writeFileAtomic(ex.manifest, edited);
  }
  SUBCASE("the file's hash, to cover an altered file") {
    std::string bytes = read(ex.file) + "extra row\r\n";
    util::writeFileAtomic(ex.file, bytes);
    auto m = util::parseJson(original);
    util::Json file = m.at("file");
    file.set("sha256", crypto::sha256Hex(bytes));
    file.set("size", static_cast<unsigned long long>(bytes.size()));
    m.set("file", file);
    util::writeFileAtomic(ex.manifest, util::writeJson(m));
  }
  auto r = verifyExport(ex.file, ex.manifest, fx.identity.caFingerprint);
  CHECK_FALSE(r.ok);
  CHECK(r.manifestAltered);
  CHECK_FALSE(r.wrongCa);
  CHECK_FALSE(r.signerUntrusted);
  CHECK(renderVerifyResult(r, ex.file).find("the manifest was altered") != std::string::npos);
}

TEST_CASE("a wrong CA fingerprint fails as 'wrong CA'") {
  test::ExportFixture fx;
  auto ex = exportTo(fx, "list.json", ExportFormat::Json);
  auto other = crypto::createCertificateAuthority("Another CA", 30);
  auto r = verifyExport(ex.file, ex.manifest, crypto::certificateFingerprint(other.certPem));
  CHECK_FALSE(r.ok);
  CHECK(r.wrongCa);
  CHECK_FALSE(r.fileAltered);
  CHECK_FALSE(r.manifestAltered);
  CHECK(mentions(r, "CA matches the expected fingerprint: NO"));
  CHECK(renderVerifyResult(r, ex.file).find("VERDICT: INVALID — wrong CA") != std::string::npos);
}

TEST_CASE("a manifest re-signed by another CA, or by an agent's key, is refused") {
  test::ExportFixture fx;
  auto ex = exportTo(fx, "list.csv", ExportFormat::Csv);
  std::string bytes = read(ex.file) + "forged\r\n";
  util::writeFileAtomic(ex.file, bytes);
  auto meta = util::parseJson(read(ex.manifest)).at("export");

  SUBCASE("a forger's own CA: consistent, but not the collector's CA") {
    auto rogue = crypto::createCertificateAuthority("Rogue CA", 30);
    ExportSigner s;
    s.caCertPem = rogue.certPem;
    s.keyPem = crypto::generatePrivateKeyPem();
    s.certPem = crypto::issueSigningCertificate(rogue, {s.keyPem, "Rogue signer", 30});
    util::writeFileAtomic(ex.manifest, util::writeJson(signManifest("list.csv", bytes, "csv", "text/csv",
                                                              meta, s, util::unixNow())));
    auto r = verifyExport(ex.file, ex.manifest, fx.identity.caFingerprint);
    CHECK_FALSE(r.ok);
    CHECK(r.wrongCa);
    CHECK_FALSE(r.fileAltered);  // the forger's manifest matches the forged file
    // Without the fingerprint it is internally consistent; the CA shown is the forger's.
    auto unpinned = verifyExport(ex.file, ex.manifest, std::nullopt);
    CHECK(unpinned.ok);
    CHECK(unpinned.caFingerprint == crypto::certificateFingerprint(rogue.certPem));
  }
  SUBCASE("an agent's client certificate from the collector's own CA") {
    ExportSigner s;
    s.caCertPem = fx.identity.ca.certPem;
    s.keyPem = crypto::generatePrivateKeyPem();
    s.certPem = crypto::issueClientCertificate(
        fx.identity.ca, {crypto::createCsrPem(s.keyPem, "agent"), "agent-1", "BS", 30});
    util::writeFileAtomic(ex.manifest, util::writeJson(signManifest("list.csv", bytes, "csv", "text/csv",
                                                              meta, s, util::unixNow())));
    auto r = verifyExport(ex.file, ex.manifest, fx.identity.caFingerprint);
    CHECK_FALSE(r.ok);
    CHECK(r.signerUntrusted);
    CHECK_FALSE(r.wrongCa);
    CHECK(mentions(r, "not a document-signing certificate"));
  }
}

TEST_CASE("a missing or malformed manifest fails as unreadable") {
  test::ExportFixture fx;
  auto ex = exportTo(fx, "list.csv", ExportFormat::Csv);
  auto missing = verifyExport(ex.file, fx.path("nothing.json"), std::nullopt);
  CHECK(missing.manifestUnreadable);
  CHECK_FALSE(missing.ok);
  util::writeFileAtomic(ex.manifest, "{\"format\": \"posture-export-manifest/1\"}");
  auto partial = verifyExport(ex.file, ex.manifest, std::nullopt);
  CHECK(partial.manifestUnreadable);
  CHECK(renderVerifyResult(partial, ex.file).find("missing file.name") != std::string::npos);
  util::writeFileAtomic(ex.manifest, "not json");
  CHECK(verifyExport(ex.file, ex.manifest, std::nullopt).manifestUnreadable);
}

TEST_CASE("the export signer is reissued when the CA changes, and needs a CA") {
  test::TempDir empty("posture-nosigner-");
  CHECK_THROWS_WITH(loadOrCreateExportSigner(empty.path(), util::unixNow()),
                    doctest::Contains("no CA"));

  test::ExportFixture fx;
  auto first = loadOrCreateExportSigner(fx.data, util::unixNow());
  // A different CA in the data directory: the old signer no longer chains, a new one is made.
  auto other = crypto::createCertificateAuthority("Other CA", 30);
  util::writeFileAtomic(fx.data / "ca.crt", other.certPem);
  util::writeFileAtomic(fx.data / "ca.key", other.keyPem, 0600);
  auto second = loadOrCreateExportSigner(fx.data, util::unixNow());
  CHECK(second.certPem != first.certPem);
  std::string why;
  CHECK(crypto::verifyCertificate(second.certPem, other.certPem, &why));
}

TEST_CASE("incremental SHA-256 equals the one-shot digest") {
  std::string data(200000, 'x');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  crypto::Sha256 sha;
  sha.update(std::string_view(data).substr(0, 12345));
  sha.update(std::string_view(data).substr(12345));
  CHECK(sha.finishHex() == crypto::sha256Hex(data));
  CHECK_THROWS_AS(sha.finishHex(), crypto::CryptoError);
}
