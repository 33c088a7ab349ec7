// The backup commands (cli.h): options in, one line per fact out.
#include "collector/backup/cli.h"

#include <cstdio>
#include <filesystem>
#include <string>

#include "collector/backup/backup.h"
#include "collector/backup/passphrase.h"
#include "collector/backup/restore.h"
#include "common/util/time.h"

namespace posture::collector::backup {
namespace fs = std::filesystem;

const char* const kBackupUsage = R"(  posture-collector backup --data-dir DIR --out FILE --passphrase-file FILE [--config FILE]
  posture-collector backup --data-dir DIR --out-dir DIR --keep N --passphrase-file FILE [--config FILE]
                           (an encrypted CMS file with the database, CA, keys, configuration and
                           policies; --out-dir names it posture-backup-YYYYMMDD-HHMMSS.p7m and keeps
                           the newest N, removing unfinished *.p7m.tmp over an hour old; --config
                           defaults to /etc/posture/collector.conf if present)
  posture-collector backup verify FILE --passphrase-file FILE
  posture-collector restore --in FILE --data-dir NEW --passphrase-file FILE
                           (NEW must not exist or be empty)
)";

namespace {
constexpr const char* kDefaultConfig = "/etc/posture/collector.conf";

std::string passphrase(const util::Args& a) {
  std::string warning;
  std::string pass = readPassphraseFile(a.require("passphrase-file"), &warning);
  if (!warning.empty()) std::fprintf(stderr, "%s\n", warning.c_str());
  return pass;
}

void printSummary(const BackupSummary& s) {
  std::printf("format: %s\n", s.format.c_str());
  std::printf("created_at: %s\n", s.createdAt.c_str());
  std::printf("ca_fingerprint: %s\n", s.caFingerprint.c_str());
  std::printf("schema_version: %lld\n", static_cast<long long>(s.schemaVersion));
  std::printf("reports: %lld\n", static_cast<long long>(s.reports));
  std::printf("agents: %lld\n", static_cast<long long>(s.agents));
  std::printf("endpoints: %lld\n", static_cast<long long>(s.endpoints));
  std::printf("files: %zu\n", s.files);
  std::printf("bytes: %llu\n", static_cast<unsigned long long>(s.archiveBytes));
}

int runBackup(const std::vector<std::string>& argv) {
  util::Args a(argv, {"data-dir", "out", "out-dir", "keep", "passphrase-file", "config"}, {});
  BackupOptions o;
  o.dataDir = a.require("data-dir");
  auto out = a.get("out");
  auto outDir = a.get("out-dir");
  if (out.has_value() == outDir.has_value()) throw util::ArgsError("give either --out FILE or --out-dir DIR --keep N");
  if (outDir && !a.get("keep")) throw util::ArgsError("--out-dir needs --keep N");
  if (out && a.get("keep")) throw util::ArgsError("--keep goes with --out-dir");
  long long keep = outDir ? a.number("keep", 7, 1, 10000) : 0;
  o.passphrase = passphrase(a);
  if (auto config = a.get("config")) {
    o.config = fs::path(*config);
  } else if (fs::is_regular_file(kDefaultConfig)) {
    o.config = fs::path(kDefaultConfig);
  }
  o.now = util::unixNow();
  if (outDir) {
    if (!fs::is_directory(*outDir)) {
      throw BackupError("không có thư mục " + *outDir + " / no directory " + *outDir);
    }
    // What a run killed mid-way left (OUT.tmp) is removed once it is an hour old.
    for (const auto& stale : removeStaleTemporaries(*outDir, o.now)) {
      std::printf("removed unfinished: %s\n", stale.string().c_str());
    }
    o.out = fs::path(*outDir) / backupFileName(o.now);
    if (fs::exists(o.out)) throw BackupError("đã có " + o.out.string() + " / " + o.out.string() + " already exists");
  } else {
    o.out = *out;
  }
  BackupSummary s = createBackup(o);
  for (const auto& note : s.notes) std::fprintf(stderr, "%s\n", note.c_str());
  // Read back in full before anything older is deleted: a backup is only one once it opens.
  try {
    verifyBackup(o.out, o.passphrase);
  } catch (const BackupError& e) {
    std::error_code ec;
    fs::remove(o.out, ec);
    throw BackupError(std::string("bản sao lưu vừa ghi không kiểm tra được, đã xoá / the new backup failed its check and was removed: ") +
                      e.what());
  }
  std::printf("backup: %s\n", o.out.string().c_str());
  printSummary(s);
  if (outDir) {
    for (const auto& old : pruneBackups(*outDir, static_cast<std::size_t>(keep))) {
      std::printf("removed: %s\n", old.string().c_str());
    }
  }
  return 0;
}

int runVerify(const std::vector<std::string>& argv) {
  util::Args a(argv, {"passphrase-file"}, {});
  if (a.positional().size() != 1) throw util::ArgsError("backup verify needs one FILE");
  std::string pass = passphrase(a);
  BackupSummary s = verifyBackup(a.positional()[0], pass);
  std::fprintf(stderr, "Bản sao lưu hợp lệ / The backup is valid: %s\n", a.positional()[0].c_str());
  printSummary(s);
  return 0;
}

int runRestore(const std::vector<std::string>& argv) {
  util::Args a(argv, {"in", "data-dir", "passphrase-file"}, {});
  fs::path in = a.require("in");
  fs::path target = a.require("data-dir");
  std::string pass = passphrase(a);
  RestoreResult r = restoreBackup(in, pass, target);
  std::printf("restored: %s\n", fs::absolute(target).lexically_normal().string().c_str());
  printSummary(r.summary);
  if (r.hasPolicies) {
    std::fprintf(stderr, "Chính sách đã khôi phục vào %s và được ghi nhận là thư mục chính sách / policies restored to %s and recorded as the policy directory\n",
                 (target / "policies").string().c_str(), (target / "policies").string().c_str());
  }
  if (r.hasConfig) {
    std::string conf = (target / "collector.conf").string();
    std::fprintf(stderr,
                 "Cấu hình đã khôi phục vào %s: hãy chép nó vào /etc/posture/collector.conf để có hiệu lực / "
                 "the configuration was restored to %s: copy it to /etc/posture/collector.conf for it to take effect\n",
                 conf.c_str(), conf.c_str());
  }
  std::fprintf(stderr, "Nếu máy chủ chạy dưới người dùng posture: chown -R posture:posture %s / "
                       "if the collector runs as user posture: chown -R posture:posture %s\n",
               fs::absolute(target).string().c_str(), fs::absolute(target).string().c_str());
  return 0;
}
}  // namespace

std::vector<util::Command> backupCommands() {
  return {{{"backup"}, runBackup}, {{"backup", "verify"}, runVerify}, {{"restore"}, runRestore}};
}

}  // namespace posture::collector::backup
