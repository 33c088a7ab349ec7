#include "collector/export/manifest.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <utility>

#include "collector/pki/authority.h"
#include "common/crypto/crypto.h"
#include "common/util/files.h"
#include "common/util/time.h"

namespace posture::collector {
namespace fs = std::filesystem;

namespace {
constexpr std::size_t kMaxManifestBytes = 4 * 1024 * 1024;
constexpr int kSignerValidDays = 730;
constexpr std::int64_t kRenewBeforeSeconds = 30 * util::kSecondsPerDay;

std::string normalizeFingerprint(std::string fp) {
  fp.erase(std::remove(fp.begin(), fp.end(), ':'), fp.end());
  for (char& c : fp) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return fp;
}

struct FileDigest {
  bool readable = false;
  std::uint64_t size = 0;
  std::string sha256;
};

FileDigest digestFile(const fs::path& path) {
  FileDigest d;
  std::ifstream in(path, std::ios::binary);
  if (!in) return d;
  crypto::Sha256 sha;
  char buf[64 * 1024];
  while (in) {
    in.read(buf, sizeof buf);
    auto n = in.gcount();
    if (n <= 0) break;
    sha.update(std::string_view(buf, static_cast<std::size_t>(n)));
    d.size += static_cast<std::uint64_t>(n);
  }
  if (in.bad()) return d;
  d.readable = true;
  d.sha256 = sha.finishHex();
  return d;
}

const util::Json* member(const util::Json& j, std::string_view a, std::string_view b = {}) {
  const util::Json* v = j.find(a);
  if (v && !b.empty()) v = v->find(b);
  return v;
}

std::string stringAt(const util::Json& j, std::string_view a, std::string_view b = {}) {
  const util::Json* v = member(j, a, b);
  return v && v->isString() ? v->asString() : std::string();
}

void add(VerifyResult& r, bool ok, std::string vi, std::string en, bool note = false) {
  r.checks.push_back({ok, note, std::move(vi), std::move(en)});
}
}  // namespace

fs::path manifestPathFor(const fs::path& file) {
  fs::path p = file;
  p += ".manifest.json";
  return p;
}

ExportSigner loadOrCreateExportSigner(const fs::path& dataDir, std::int64_t now) {
  auto ca = loadCa(dataDir);
  ExportSigner s;
  s.caCertPem = ca.certPem;
  fs::path keyFile = dataDir / "export-signing.key", certFile = dataDir / "export-signing.crt";
  auto key = util::readFile(keyFile);
  auto cert = util::readFile(certFile);
  if (key && cert) {
    bool usable = false;
    try {
      std::string why;
      auto info = crypto::inspectCertificate(*cert);
      usable = crypto::verifyCertificate(*cert, ca.certPem, &why, now) &&
               crypto::keyMatchesCertificate(*key, *cert) &&
               info.notAfter - kRenewBeforeSeconds > now &&
               std::find(info.extendedKeyUsages.begin(), info.extendedKeyUsages.end(),
                         crypto::kDocumentSigningOid) != info.extendedKeyUsages.end();
    } catch (const std::exception&) {
      usable = false;
    }
    if (usable) {
      s.keyPem = *key;
      s.certPem = *cert;
      return s;
    }
  }
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::string cn = std::string("Posture export signing ") + host;
  if (cn.size() > crypto::kMaxNameLength) cn.resize(crypto::kMaxNameLength);
  s.keyPem = crypto::generatePrivateKeyPem();
  s.certPem = crypto::issueSigningCertificate(ca, {s.keyPem, cn, kSignerValidDays});
  util::writeFileAtomic(keyFile, s.keyPem, 0600);
  util::writeFileAtomic(certFile, s.certPem, 0644);
  return s;
}

util::Json signManifest(const std::string& fileName, std::string_view bytes, const std::string& format,
                  const std::string& mediaType, const util::Json& meta, const ExportSigner& signer,
                  std::int64_t now) {
  util::Json m = util::Json::object();
  m.set("format", kManifestFormat);
  util::Json file = util::Json::object();
  file.set("name", fileName);
  file.set("size", static_cast<unsigned long long>(bytes.size()));
  file.set("sha256", crypto::sha256Hex(bytes));
  file.set("format", format);
  file.set("media_type", mediaType);
  m.set("file", std::move(file));
  m.set("export", meta);
  m.set("signed_at", util::formatIso8601(now));
  m.set("signed_at_unix", static_cast<long long>(now));
  util::Json s = util::Json::object();
  auto info = crypto::inspectCertificate(signer.certPem);
  s.set("subject", info.subjectCommonName);
  s.set("certificate_fingerprint_sha256", info.sha256Fingerprint);
  s.set("certificate_pem", signer.certPem);
  s.set("ca_fingerprint_sha256", crypto::certificateFingerprint(signer.caCertPem));
  s.set("ca_certificate_pem", signer.caCertPem);
  m.set("signer", std::move(s));
  std::string signature = crypto::signSha256(signer.keyPem, util::canonicalJson(m));
  util::Json sig = util::Json::object();
  sig.set("algorithm", "SHA-256 with the signer's key (ECDSA P-256, DER, base64)");
  sig.set("canonicalization", kManifestCanonicalization);
  sig.set("covers", "every member of this manifest except \"signature\"");
  sig.set("value", signature);
  m.set("signature", std::move(sig));
  return m;
}

VerifyResult verifyExport(const fs::path& file, const fs::path& manifestPath,
                          const std::optional<std::string>& expectedCaFingerprint) {
  VerifyResult r;
  // 1. The manifest.
  util::Json m;
  std::string why;
  auto text = util::readFile(manifestPath, kMaxManifestBytes + 1);
  if (!text) {
    why = "cannot read " + manifestPath.string();
  } else if (text->size() > kMaxManifestBytes) {
    why = "larger than " + std::to_string(kMaxManifestBytes) + " bytes";
  } else {
    try {
      m = util::parseJson(*text);
      if (stringAt(m, "format") != kManifestFormat)
        throw util::JsonError("not a " + std::string(kManifestFormat) + " manifest");
      using Path = std::pair<const char*, const char*>;
      for (auto [a, b] : std::initializer_list<Path>{{"file", "name"},
                                                     {"file", "sha256"},
                                                     {"signer", "certificate_pem"},
                                                     {"signer", "ca_certificate_pem"},
                                                     {"signature", "value"}}) {
        if (stringAt(m, a, b).empty()) throw util::JsonError(std::string("missing ") + a + "." + b);
      }
      const util::Json* size = member(m, "file", "size");
      if (!size || !size->isNumber() || size->asInt() < 0) throw util::JsonError("missing file.size");
    } catch (const util::JsonError& e) {
      why = e.what();
    }
  }
  if (!why.empty()) {
    r.manifestUnreadable = true;
    add(r, false, "Bản kê khai đọc được (" + manifestPath.filename().string() + "): " + why,
        "Manifest readable (" + manifestPath.filename().string() + "): " + why);
    return r;
  }
  add(r, true, "Bản kê khai đọc được (" + manifestPath.filename().string() + ")",
      "Manifest readable (" + manifestPath.filename().string() + ")");
  r.fileName = stringAt(m, "file", "name");
  r.format = stringAt(m, "file", "format");
  if (const util::Json* meta = m.find("export")) {
    r.generatedAt = stringAt(*meta, "generated_at");
    if (const util::Json* rows = meta->find("row_count"); rows && rows->isNumber()) {
      try {
        r.rowCount = rows->asInt();
      } catch (const util::JsonError&) {
      }
    }
    if (const util::Json* pols = meta->find("policies"); pols && pols->isArray()) {
      for (const auto& p : pols->items()) {
        const util::Json* v = p.find("version");
        r.policies.push_back(stringAt(p, "id") +
                             (v && v->isNumber() ? " v" + v->numberAsText() : ""));
      }
    }
    r.unitFilter = stringAt(*meta, "filters", "unit");
    r.asOf = stringAt(*meta, "filters", "as_of");
  }
  std::string signerPem = stringAt(m, "signer", "certificate_pem");
  std::string caPem = stringAt(m, "signer", "ca_certificate_pem");

  // 2. The CA the manifest names.
  bool caOk = false;
  try {
    auto ca = crypto::inspectCertificate(caPem);
    r.caFingerprint = ca.sha256Fingerprint;
    caOk = ca.isCa;
  } catch (const std::exception&) {
    caOk = false;
  }
  if (!caOk) {
    r.wrongCa = true;
    add(r, false, "Chứng thư CA trong bản kê khai không phải là CA",
        "The CA certificate in the manifest is not a CA");
  } else if (expectedCaFingerprint) {
    std::string want = normalizeFingerprint(*expectedCaFingerprint);
    if (want != r.caFingerprint) {
      r.wrongCa = true;
      add(r, false,
          "CA khớp dấu vân tay mong đợi: KHÔNG — bản kê khai do CA " + r.caFingerprint +
              " ký, mong đợi " + want,
          "CA matches the expected fingerprint: NO — signed under CA " + r.caFingerprint +
              ", expected " + want);
    } else {
      add(r, true, "CA khớp dấu vân tay mong đợi " + want,
          "CA matches the expected fingerprint " + want);
    }
  } else {
    add(r, true,
        "CA chưa được đối chiếu: hãy so " + r.caFingerprint +
            " với dấu vân tay CA của máy chủ thu thập (--ca-fingerprint hoặc --data-dir)",
        "CA not pinned: compare " + r.caFingerprint +
            " with the collector's CA fingerprint (--ca-fingerprint or --data-dir)",
        true);
  }

  // 3. The signer: a document-signing certificate of that CA, valid when it signed.
  std::int64_t signedAt = 0;
  if (const util::Json* t = m.find("signed_at_unix"); t && t->isNumber()) {
    try {
      signedAt = t->asInt();
    } catch (const util::JsonError&) {
    }
  }
  std::string reason;
  bool chain =
      caOk && crypto::verifyCertificate(signerPem, caPem, &reason, signedAt > 0 ? signedAt : 0);
  bool documentSigner = false;
  if (chain) {
    try {
      auto info = crypto::inspectCertificate(signerPem);
      r.signerSubject = info.subjectCommonName;
      documentSigner = std::find(info.extendedKeyUsages.begin(), info.extendedKeyUsages.end(),
                                 crypto::kDocumentSigningOid) != info.extendedKeyUsages.end();
      if (!documentSigner)
        reason = "not a document-signing certificate (EKU id-kp-documentSigning)";
    } catch (const std::exception& e) {
      reason = e.what();
    }
  }
  if (chain && documentSigner) {
    add(r, true, "Chứng thư người ký do CA cấp để ký tài liệu (CN=" + r.signerSubject + ")",
        "Signer certificate issued by the CA for document signing (CN=" + r.signerSubject + ")");
  } else {
    r.signerUntrusted = true;
    if (reason.empty()) reason = "CA unusable";
    add(r, false, "Chứng thư người ký không do CA này cấp để ký tài liệu: " + reason,
        "Signer certificate is not a document signer of this CA: " + reason);
  }

  // 4. The signature over the canonical bytes of everything but "signature".
  bool signatureOk = false;
  try {
    util::Json body = m;
    body.remove("signature");
    signatureOk =
        crypto::verifySha256(signerPem, util::canonicalJson(body), stringAt(m, "signature", "value"));
  } catch (const std::exception&) {
    signatureOk = false;
  }
  if (signatureOk) {
    add(r, true, "Chữ ký của bản kê khai hợp lệ (bản kê khai không bị sửa)",
        "Manifest signature valid (the manifest was not edited)");
  } else {
    r.manifestAltered = true;
    add(r, false, "Chữ ký của bản kê khai KHÔNG khớp: bản kê khai đã bị sửa",
        "Manifest signature does NOT match: the manifest was edited");
  }

  // 5. The file against the manifest.
  auto d = digestFile(file);
  auto wantSize = static_cast<std::uint64_t>(member(m, "file", "size")->asInt());
  std::string wantSha = normalizeFingerprint(stringAt(m, "file", "sha256"));
  if (!d.readable) {
    r.fileAltered = true;
    add(r, false, "Không đọc được tệp " + file.string(), "Cannot read the file " + file.string());
  } else if (d.size != wantSize || d.sha256 != wantSha) {
    r.fileAltered = true;
    std::string detail = d.size != wantSize
                             ? std::to_string(d.size) + " bytes ≠ " + std::to_string(wantSize)
                             : "SHA-256 " + d.sha256 + " ≠ " + wantSha;
    add(r, false, "Kích thước và SHA-256 của tệp KHÔNG khớp bản kê khai: " + detail,
        "File size and SHA-256 do NOT match the manifest: " + detail);
  } else {
    add(r, true,
        "Kích thước (" + std::to_string(d.size) + " byte) và SHA-256 của tệp khớp bản kê khai",
        "File size (" + std::to_string(d.size) + " bytes) and SHA-256 match the manifest");
  }
  if (d.readable && !r.fileName.empty() && file.filename().string() != r.fileName) {
    add(r, true, "Tệp đã được đổi tên (khi xuất: " + r.fileName + ")",
        "The file was renamed (exported as " + r.fileName + ")", true);
  }
  r.ok = !r.manifestUnreadable && !r.wrongCa && !r.signerUntrusted && !r.manifestAltered &&
         !r.fileAltered;
  return r;
}

std::string renderVerifyResult(const VerifyResult& r, const fs::path& file) {
  std::string out = "Kiểm tra tệp xuất / Verifying export: " + file.string() + "\n";
  if (!r.manifestUnreadable) {
    std::string pols;
    for (const auto& p : r.policies) pols += (pols.empty() ? "" : ", ") + p;
    out += "  Chính sách / Policies: " + (pols.empty() ? "-" : pols) + "\n";
    // From generated_at (RFC 3339, UTC) alone: before 2026-12 generated_at_vi was written
    // "dd/mm/yyyy hh:mm", which is not repeated here.
    auto at = util::parseRfc3339(r.generatedAt);
    out += "  Thời điểm xuất / Generated at: " + r.generatedAt +
           (at ? " (" + util::formatRfc3339Vietnam(*at) + ")" : std::string()) + "\n";
    out +=
        "  Đơn vị / Unit: " + (r.unitFilter.empty() ? std::string("tất cả / all") : r.unitFilter) +
        "; số liệu đến ngày / as of: " + (r.asOf.empty() ? std::string("hiện tại / now") : r.asOf) +
        "; số dòng / rows: " + (r.rowCount < 0 ? std::string("?") : std::to_string(r.rowCount)) +
        "\n";
    out +=
        "  CA (SHA-256): " + (r.caFingerprint.empty() ? std::string("?") : r.caFingerprint) + "\n";
  }
  for (const auto& c : r.checks) {
    const char* tag = c.note ? "  [LƯU Ý / NOTE] " : c.ok ? "  [ĐẠT / OK]    " : "  [LỖI / FAIL]  ";
    out += std::string(tag) + c.vi + "\n" + "                 " + c.en + "\n";
  }
  if (r.ok) {
    out +=
        "KẾT LUẬN: HỢP LỆ — tệp và bản kê khai đúng như khi máy chủ thu thập xuất ra\n"
        "VERDICT: VALID — the file and its manifest are as the collector exported them\n";
    return out;
  }
  std::vector<std::string> vi, en;
  if (r.manifestUnreadable) {
    vi.push_back("không đọc được bản kê khai");
    en.push_back("the manifest is missing or unreadable");
  }
  if (r.fileAltered) {
    vi.push_back("tệp đã bị thay đổi");
    en.push_back("the file was altered");
  }
  if (r.manifestAltered) {
    vi.push_back("bản kê khai đã bị sửa");
    en.push_back("the manifest was altered");
  }
  if (r.wrongCa) {
    vi.push_back("sai CA (không phải CA của máy chủ thu thập mong đợi)");
    en.push_back("wrong CA (not the expected collector CA)");
  }
  if (r.signerUntrusted) {
    vi.push_back("người ký không được CA cấp quyền ký");
    en.push_back("the signer is not a document signer of the CA");
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
    return s;
  };
  out += "KẾT LUẬN: KHÔNG HỢP LỆ — " + join(vi) + "\n";
  out += "VERDICT: INVALID — " + join(en) + "\n";
  return out;
}

}  // namespace posture::collector
