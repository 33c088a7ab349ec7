// `export` and `export verify`: compliance lists for auditors with their signed manifests.
#include "collector/export/cli.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "collector/cli/options.h"
#include "collector/evaluation/stale.h"
#include "collector/export/export.h"
#include "collector/export/manifest.h"
#include "collector/export/report_2290.h"
#include "collector/policy/policy.h"
#include "collector/storage/storage.h"
#include "common/crypto/crypto.h"
#include "common/util/args.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/time.h"

namespace posture::collector {
namespace fs = std::filesystem;
using cli::policyDir;
using cli::vietnamese;

const char* const kExportUsage = R"(  posture-collector export --data-dir DIR --format csv|xlsx|json --out FILE [--policies DIR]
                           [--lang vi|en] [--unit CODE] [--as-of YYYY-MM-DD]
                           [--as-of-by received|collected] [--stale-after 7d] [--csv-metadata]
                           (also writes FILE.manifest.json, signed with the collector's key)
  posture-collector export --data-dir DIR --format report-2290 --out FILE [--machines]
                           [--lang vi|en] [--unit CODE] [--as-of YYYY-MM-DD]
                           [--as-of-by received|collected] [--stale-after 7d]
                           (the national anti-malware report, Công văn 2290; JSON)
  posture-collector export verify FILE [--manifest FILE.manifest.json]
                           [--ca-fingerprint SHA256 | --data-dir DIR]
)";

namespace {
// The national anti-malware report: its own model, the same signing.
int exportReport2290(const ExportFilters& filters, bool machines, const fs::path& dataDir,
                     const fs::path& out) {
  std::int64_t now = util::unixNow();
  auto signer = loadOrCreateExportSigner(dataDir, now);
  auto db = openExistingDatabase(dataDir);
  auto report = buildReport2290(*db, filters, machines,
                                crypto::certificateFingerprint(signer.caCertPem), now);
  std::string bytes = renderReport2290(report);
  auto manifest = signManifest(out.filename().string(), bytes, std::string(kReport2290Format),
                               std::string(kReport2290MediaType), report2290MetadataJson(report),
                               signer, now);
  util::writeFileAtomic(out, bytes, 0644);
  util::writeFileAtomic(manifestPathFor(out), util::writeJson(manifest), 0644);
  bool vi = filters.vietnamese;
  std::fprintf(stderr, "%s %u %s, %zu %s: %s\n%s: %s\n",
               vi ? "Đã xuất báo cáo 2290:" : "Exported the 2290 report:", report.total.machines,
               vi ? "máy" : report.total.machines == 1 ? "machine" : "machines",
               report.units.size(), vi ? "đơn vị" : report.units.size() == 1 ? "unit" : "units",
               out.c_str(),
               vi ? "Bản kê khai có chữ ký" : "Signed manifest", manifestPathFor(out).c_str());
  return 0;
}

int exportList(const std::vector<std::string>& argv) {
  util::Args a(
      argv,
      {"data-dir", "policies", "lang", "format", "out", "stale-after", "unit", "as-of", "as-of-by"},
      {"csv-metadata", "machines"});
  if (!a.positional().empty()) {
    throw util::ArgsError("unexpected argument '" + a.positional().front() +
                          "' (export verify FILE?)");
  }
  ExportFilters filters;
  filters.vietnamese = vietnamese(a);
  std::string formatName = a.getOr("format", "csv");
  bool report2290 = formatName == kReport2290Format;
  auto format = parseExportFormat(formatName);
  if (!format && !report2290) {
    throw util::ArgsError("unsupported --format '" + formatName +
                          "' (csv, xlsx, json or report-2290)");
  }
  fs::path out = a.require("out");
  fs::path dataDir = a.require("data-dir");
  auto staleAfter = util::parseDurationSeconds(a.getOr("stale-after", kDefaultStaleAfter));
  if (!staleAfter || *staleAfter < 60)
    throw util::ArgsError("--stale-after must be a duration like 7d");
  filters.staleAfterSeconds = *staleAfter;
  filters.unitCode = a.getOr("unit", "");
  if (auto asOf = a.get("as-of")) {
    filters.asOfDay = util::parseDate(*asOf);
    if (!filters.asOfDay)
      throw util::ArgsError("--as-of must be a date YYYY-MM-DD, got '" + *asOf + "'");
  }
  std::string basis = a.getOr("as-of-by", "received");
  if (!parseAsOfBasis(basis))
    throw util::ArgsError("--as-of-by must be received or collected, got '" + basis + "'");
  if (a.get("as-of-by") && !filters.asOfDay) throw util::ArgsError("--as-of-by needs --as-of");
  filters.asOfBasis = *parseAsOfBasis(basis);
  if (a.flag("csv-metadata") && format != ExportFormat::Csv)
    throw util::ArgsError("--csv-metadata is for --format csv");
  if (a.flag("machines") && !report2290)
    throw util::ArgsError("--machines is for --format report-2290");
  // The 2290 figures read no policy, so --policies is not read either.
  if (report2290) return exportReport2290(filters, a.flag("machines"), dataDir, out);

  auto policies = std::make_shared<const std::vector<policy::Policy>>(
      policy::loadPolicyDirectory(policyDir(a)));
  std::int64_t now = util::unixNow();
  // The signer first: without a CA there is nothing to sign with, and nothing is written.
  auto signer = loadOrCreateExportSigner(dataDir, now);
  auto db = openExistingDatabase(dataDir);
  auto list = buildComplianceExport(*db, policies, filters,
                                    crypto::certificateFingerprint(signer.caCertPem), now);
  std::string bytes = renderExport(list, *format, a.flag("csv-metadata"));
  auto manifest =
      signManifest(out.filename().string(), bytes, std::string(exportFormatName(*format)),
                   std::string(exportMediaType(*format)), metadataJson(list), signer, now);
  util::writeFileAtomic(out, bytes, 0644);
  util::writeFileAtomic(manifestPathFor(out), util::writeJson(manifest), 0644);
  bool vi = filters.vietnamese;
  std::fprintf(stderr, "%s %zu %s: %s\n%s: %s\n", vi ? "Đã xuất" : "Exported",
               list.endpoints.size(), vi ? "thiết bị đầu cuối" : "endpoints", out.c_str(),
               vi ? "Bản kê khai có chữ ký" : "Signed manifest", manifestPathFor(out).c_str());
  return 0;
}

// Proves an export was not altered: exit 0 when valid, 1 with the reason otherwise.
int exportVerify(const std::vector<std::string>& argv) {
  util::Args a(argv, {"manifest", "ca-fingerprint", "data-dir"}, {});
  if (a.positional().size() != 1) throw util::ArgsError("give exactly one FILE to verify");
  if (a.get("ca-fingerprint") && a.get("data-dir")) {
    throw util::ArgsError("give --ca-fingerprint or --data-dir, not both");
  }
  fs::path file = a.positional().front();
  fs::path manifest = a.get("manifest") ? fs::path(*a.get("manifest")) : manifestPathFor(file);
  std::optional<std::string> expected = a.get("ca-fingerprint");
  if (auto dir = a.get("data-dir")) {
    // Only the CA certificate is needed: an auditor's copy may lack the key.
    auto caPem = util::readFile(fs::path(*dir) / "ca.crt");
    if (!caPem)
      throw std::runtime_error("no CA certificate " + (fs::path(*dir) / "ca.crt").string());
    expected = crypto::certificateFingerprint(*caPem);
  }
  auto result = verifyExport(file, manifest, expected);
  std::fputs(renderVerifyResult(result, file).c_str(), stdout);
  return result.ok ? 0 : 1;
}
}  // namespace

std::vector<util::Command> exportCommands() {
  return {{{"export"}, exportList},
          {{"export", "verify"}, exportVerify}};
}

}  // namespace posture::collector
