#pragma once
// The signed manifest of an export (FILE.manifest.json, next to FILE): the file's name,
// size and SHA-256, the export's metadata, the signer's certificate and the collector's
// CA certificate, and a signature over the manifest's canonical bytes (collector/export/
// json.h: everything but the "signature" member).
//
// The signer is a dedicated export-signing key of the collector (DATA/export-signing.key)
// with a certificate issued by the collector's CA for document signing only (EKU
// id-kp-documentSigning), created on first use. Agent and server certificates of the same
// CA cannot pass for it.
//
// `posture-collector export verify FILE` (verifyExport) proves that neither the file nor
// the manifest changed and that the signer belongs to the CA the manifest names; with an
// expected CA fingerprint, that it is the collector's CA.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/util/json.h"

namespace posture::collector {

inline constexpr const char* kManifestFormat = "posture-export-manifest/1";
inline constexpr const char* kManifestCanonicalization = "posture-json-canonical/1";

// Manifest of FILE: FILE.manifest.json.
std::filesystem::path manifestPathFor(const std::filesystem::path& file);

struct ExportSigner {
  std::string keyPem, certPem, caCertPem;
};

// DATA/export-signing.{key,crt}, issued by DATA/ca.{crt,key}; created when missing, and
// reissued when the certificate no longer verifies against the CA or expires within 30
// days. Throws when the data directory has no CA.
ExportSigner loadOrCreateExportSigner(const std::filesystem::path& dataDir, std::int64_t now);

// The signed manifest of `bytes`, to be written as manifestPathFor(fileName).
// meta: the export's metadata (metadataJson); format: "csv", "xlsx" or "json".
util::Json signManifest(const std::string& fileName, std::string_view bytes, const std::string& format,
                  const std::string& mediaType, const util::Json& meta, const ExportSigner& signer,
                  std::int64_t now);

// One check of a verification, with a bilingual description.
struct VerifyCheck {
  bool ok = false;
  bool note = false;  // information only (CA not pinned, file renamed)
  std::string vi, en;
};

struct VerifyResult {
  bool ok = false;  // every check passed
  // What failed, for callers and tests.
  bool manifestUnreadable = false;  // missing, not JSON, or without the required members
  bool wrongCa = false;             // the CA is not the expected one (or not a CA)
  bool signerUntrusted = false;     // the signer certificate is not a document signer of the CA
  bool manifestAltered = false;     // the signature does not match the manifest
  bool fileAltered = false;         // size or SHA-256 differ, or the file cannot be read
  std::vector<VerifyCheck> checks;
  // From the manifest (when readable), for the report.
  std::string fileName, format, generatedAt, caFingerprint, signerSubject;
  std::int64_t rowCount = -1;
  std::vector<std::string> policies;  // "id vN"
  std::string unitFilter, asOf;
};

// expectedCaFingerprint: SHA-256 hex of the collector's CA (any case, ':' allowed).
VerifyResult verifyExport(const std::filesystem::path& file, const std::filesystem::path& manifest,
                          const std::optional<std::string>& expectedCaFingerprint);

// The verdict as printed by `export verify`: every check, both languages, then one
// line naming what failed.
std::string renderVerifyResult(const VerifyResult& result, const std::filesystem::path& file);

}  // namespace posture::collector
