// Writing a backup (backup.h).
#include "collector/backup/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "collector/backup/restore.h"
#include "collector/backup/snapshot.h"
#include "collector/backup/tar.h"
#include "collector/cli/policy_dir.h"
#include "common/crypto/crypto.h"
#include "common/util/files.h"
#include "common/util/json.h"
#include "common/util/time.h"

namespace posture::collector::backup {
namespace fs = std::filesystem;

namespace {
constexpr std::size_t kMaxStateFile = 64 * 1024 * 1024;

// Files of the data directory that are not state to restore.
bool skippedDataFile(const std::string& rel) {
  std::string name = fs::path(rel).filename().string();
  if (rel == "posture.db" || rel == "posture.db-wal" || rel == "posture.db-shm" || rel == "posture.db-journal") {
    return true;
  }
  if (rel == kPolicyDirRecord) return true;
  auto endsWith = [&](const char* suffix) {
    std::size_t n = std::strlen(suffix);
    return name.size() >= n && name.compare(name.size() - n, n, suffix) == 0;
  };
  return name.empty() || name[0] == '.' || endsWith(".tmp") || endsWith(".lock");
}

unsigned archivedMode(const std::string& member, unsigned diskMode) {
  if (member == kDatabaseMember) return 0600;
  if (member.size() > 4 && member.compare(member.size() - 4, 4, ".key") == 0) return 0600;
  return diskMode & 0644;
}

void fsyncDirectory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

struct Pending {
  std::string member;
  fs::path source;
};

util::Json fileEntry(const std::string& member, std::uint64_t size, unsigned mode, const std::string& sha256) {
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", mode);
  return util::Json::object({{"path", member}, {"size", size}, {"mode", std::string(octal)}, {"sha256", sha256}});
}
}  // namespace

std::string backupFileName(std::int64_t now) {
  std::tm tm{};
  util::utcTime(static_cast<std::time_t>(now + util::kVietnamOffsetSeconds), tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "posture-backup-%Y%m%d-%H%M%S.p7m", &tm);
  return buf;
}

std::vector<fs::path> pruneBackups(const fs::path& dir, std::size_t keep) {
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    // posture-backup-YYYYMMDD-HHMMSS.p7m: the name sorts by time.
    if (name.size() == 34 && name.rfind("posture-backup-", 0) == 0 && name.compare(30, 4, ".p7m") == 0 &&
        e.is_regular_file()) {
      found.push_back(e.path());
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> removed;
  while (found.size() > keep) {
    fs::remove(found.front());
    removed.push_back(found.front());
    found.erase(found.begin());
  }
  return removed;
}

std::vector<fs::path> removeStaleTemporaries(const fs::path& dir, std::int64_t now, std::int64_t maxAgeSeconds) {
  std::vector<fs::path> removed;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    // posture-backup-YYYYMMDD-HHMMSS.p7m.tmp, as createBackup writes it.
    if (name.size() != 38 || name.rfind("posture-backup-", 0) != 0 || name.compare(30, 8, ".p7m.tmp") != 0) continue;
    struct stat st {};
    if (::lstat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (now - static_cast<std::int64_t>(st.st_mtime) <= maxAgeSeconds) continue;
    std::error_code ec;
    if (fs::remove(e.path(), ec)) removed.push_back(e.path());
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

BackupSummary createBackup(const BackupOptions& o) {
  BackupSummary s;
  s.format = kBackupFormat;
  s.createdAt = util::formatRfc3339Vietnam(o.now);
  std::string dd = o.dataDir.string();
  auto caPem = util::readFile(o.dataDir / "ca.crt");
  if (!caPem || !fs::exists(o.dataDir / "posture.db")) {
    throw BackupError(dd + " không phải thư mục dữ liệu của máy chủ thu thập (thiếu ca.crt hoặc posture.db) / " + dd +
                      " is not a collector data directory (no ca.crt or posture.db)");
  }
  s.caFingerprint = crypto::certificateFingerprint(*caPem);
  // Checked before the snapshot, which takes a while on a large database.
  if (o.config && !fs::is_regular_file(*o.config)) {
    throw BackupError("không có tệp cấu hình " + o.config->string() + " / no configuration file " + o.config->string());
  }

  WorkDir work(o.out, "backup", false);
  fs::path snapshot = work.path() / "posture.db";
  snapshotDatabase(o.dataDir / "posture.db", snapshot);
  DatabaseFacts facts = databaseFacts(snapshot);
  s.schemaVersion = facts.schemaVersion;
  s.reports = facts.reports;
  s.agents = facts.agents;
  s.endpoints = facts.endpoints;

  // What goes in besides the snapshot, in a stable order.
  std::vector<Pending> pending;
  for (auto it = fs::recursive_directory_iterator(o.dataDir); it != fs::recursive_directory_iterator(); ++it) {
    std::string rel = fs::relative(it->path(), o.dataDir).generic_string();
    if (it->is_symlink()) {
      s.notes.push_back("bỏ qua liên kết " + rel + " / skipped the link " + rel);
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory()) {
      if (fs::path(rel).filename().string().rfind('.', 0) == 0) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || skippedDataFile(rel)) continue;
    pending.push_back({"data/" + rel, it->path()});
  }
  if (o.config) pending.push_back({"config/collector.conf", *o.config});
  fs::path policies = o.policyDir ? *o.policyDir : offlinePolicyDir(o.dataDir);
  if (fs::is_directory(policies)) {
    for (const auto& e : fs::directory_iterator(policies)) {
      auto ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
        pending.push_back({"policies/" + e.path().filename().string(), e.path()});
      }
    }
  } else {
    s.notes.push_back("không thấy thư mục chính sách " + policies.string() + " / no policy directory " + policies.string());
  }
  std::sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) { return a.member < b.member; });

  fs::path tmp = o.out;
  tmp += ".tmp";
  util::Json files = util::Json::array();
  try {
    EnvelopeWriter envelope(tmp, o.passphrase, o.iterations);
    TarWriter tar([&envelope](std::string_view bytes) { envelope.write(bytes); });
    for (const auto& p : pending) {
      auto content = util::readFile(p.source, kMaxStateFile);
      if (!content) throw BackupError("không đọc được " + p.source.string() + " / cannot read " + p.source.string());
      struct stat st {};
      unsigned mode = ::stat(p.source.c_str(), &st) == 0 ? static_cast<unsigned>(st.st_mode & 07777) : 0600;
      mode = archivedMode(p.member, mode);
      tar.add(p.member, mode, o.now, *content);
      files.push(fileEntry(p.member, content->size(), mode, crypto::sha256Hex(*content)));
    }
    auto dbSize = fs::file_size(snapshot);
    crypto::Sha256 hash;
    tar.addFromFile(kDatabaseMember, 0600, o.now, snapshot, dbSize,
                    [&hash](std::string_view piece) { hash.update(piece); });
    files.push(fileEntry(kDatabaseMember, dbSize, 0600, hash.finishHex()));
    s.files = files.size();
    util::Json manifest = util::Json::object({
        {"format", s.format},
        {"created_at", s.createdAt},
        {"ca_fingerprint", s.caFingerprint},
        {"schema_version", s.schemaVersion},
        {"counts", util::Json::object({{"reports", s.reports}, {"agents", s.agents}, {"endpoints", s.endpoints}})},
        {"data_dir", fs::absolute(o.dataDir).lexically_normal().string()},
        {"policy_dir", fs::absolute(policies).lexically_normal().string()},
        {"config", o.config ? fs::absolute(*o.config).lexically_normal().string() : std::string()},
        {"files", files},
    });
    tar.add(kManifestName, 0644, o.now, util::writeJson(manifest));
    tar.finish();
    envelope.finish();
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, o.out, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw BackupError("cannot rename " + tmp.string() + " to " + o.out.string() + ": " + ec.message());
  }
  fsyncDirectory(fs::absolute(o.out).parent_path());
  s.archiveBytes = fs::file_size(o.out);
  return s;
}

}  // namespace posture::collector::backup
