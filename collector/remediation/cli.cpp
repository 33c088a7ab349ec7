// `remediation`: the machines of a unit to fix, grouped by what to do (issue 17).
#include "collector/remediation/cli.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "collector/cli/options.h"
#include "collector/evaluation/stale.h"
#include "collector/policy/policy.h"
#include "collector/remediation/remediation.h"
#include "collector/storage/storage.h"
#include "common/crypto/crypto.h"
#include "common/util/files.h"
#include "common/util/time.h"

namespace posture::collector {
namespace fs = std::filesystem;

const char* const kRemediationUsage =
    R"(  posture-collector remediation --data-dir DIR [--unit CODE] [--format text|csv|xlsx]
                           [--out FILE] [--lang vi|en] [--policies DIR] [--stale-after 7d]
                           (the machines to fix, grouped by what to do; text goes to the
                           terminal without --out)
)";

namespace {
int remediation(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "policies", "lang", "format", "out", "stale-after", "unit"}, {});
  if (!a.positional().empty())
    throw util::ArgsError("unexpected argument '" + a.positional().front() + "'");
  bool vi = cli::vietnamese(a);
  std::string format = a.getOr("format", "text");
  if (format != "text" && format != "csv" && format != "xlsx")
    throw util::ArgsError("unsupported --format '" + format + "' (text, csv or xlsx)");
  auto out = a.get("out");
  if (!out && format != "text") throw util::ArgsError("--format " + format + " needs --out FILE");
  fs::path dataDir = a.require("data-dir");
  auto staleAfter = util::parseDurationSeconds(a.getOr("stale-after", kDefaultStaleAfter));
  if (!staleAfter || *staleAfter < 60)
    throw util::ArgsError("--stale-after must be a duration like 7d");
  auto policies = std::make_shared<const std::vector<policy::Policy>>(
      policy::loadPolicyDirectory(cli::policyDir(a)));
  std::string fingerprint;
  if (auto pem = util::readFile(dataDir / "ca.crt")) fingerprint = crypto::certificateFingerprint(*pem);
  auto db = openExistingDatabase(dataDir);
  std::int64_t now = util::unixNow();
  RemediationList list;
  try {
    list = buildRemediation(*db, policies, a.getOr("unit", ""), *staleAfter, vi, fingerprint, now);
  } catch (const ExportError& e) {
    throw util::ArgsError(std::string("--unit: ") + e.what());
  }
  std::string bytes = format == "csv"    ? renderRemediationCsv(list)
                      : format == "xlsx" ? renderRemediationXlsx(list)
                                         : renderRemediationText(list);
  if (!out) {
    std::fputs(bytes.c_str(), stdout);
    return 0;
  }
  util::writeFileAtomic(*out, bytes, 0644);
  std::size_t rows = 0;
  for (const auto& g : list.groups) rows += g.items.size();
  std::fprintf(stderr, "%s %zu %s, %zu %s: %s\n",
               vi ? "Đã lập danh sách khắc phục:" : "Wrote the remediation list:",
               list.machinesToFix, vi ? "máy cần khắc phục" : "machines to fix", rows,
               vi ? "dòng" : "rows", out->c_str());
  return 0;
}
}  // namespace

std::vector<util::Command> remediationCommands() { return {{{"remediation"}, remediation}}; }

}  // namespace posture::collector
