#pragma once
// `posture-collector backup`: everything a collector needs to come back on another
// machine with the same identity (its CA, so no agent enrols again), in one encrypted,
// authenticated file (envelope.h) holding a ustar archive (tar.h):
//
//   data/posture.db          a consistent snapshot of the live database (snapshot.h)
//   data/...                 the data directory's other files: ca.{crt,key},
//                            server.{crt,key}, export-signing.{key,crt}, upstream/ ...
//                            (not the live database, its -wal/-shm, temporary files,
//                            locks, nor policy-dir, which restore writes anew)
//   config/collector.conf    the configuration file (--config)
//   policies/*.yaml          the policies in force (the directory serve recorded)
//   manifest.json            last: format, created_at, CA fingerprint, schema version,
//                            counts, and every other member's path, size, mode, SHA-256
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "collector/backup/envelope.h"

namespace posture::collector::backup {

inline constexpr const char* kBackupFormat = "posture-backup/1";
inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kDatabaseMember = "data/posture.db";

struct BackupOptions {
  std::filesystem::path dataDir;
  std::filesystem::path out;  // written as OUT.tmp, fsync'ed, renamed
  std::string passphrase;
  std::optional<std::filesystem::path> config;
  std::optional<std::filesystem::path> policyDir;  // default: what serve recorded
  std::int64_t now = 0;
  int iterations = kPbkdf2Iterations;
};

struct BackupSummary {
  std::string format, createdAt, caFingerprint;
  std::int64_t schemaVersion = 0, reports = 0, agents = 0, endpoints = 0;
  std::size_t files = 0;         // members besides the manifest
  std::uint64_t archiveBytes = 0;  // the backup file's size
  std::vector<std::string> notes;  // bilingual: what was skipped and why
};

// Writes the backup; throws BackupError (bilingual) and leaves no OUT behind on failure.
BackupSummary createBackup(const BackupOptions& options);

// The name --out-dir gives a backup made at `now`: posture-backup-YYYYMMDD-HHMMSS.p7m, UTC+7.
std::string backupFileName(std::int64_t now);
// In `dir`, the backups named as above beyond the newest `keep`, removed; returns them.
std::vector<std::filesystem::path> pruneBackups(const std::filesystem::path& dir, std::size_t keep);
// In `dir`, what a run killed mid-way left: posture-backup-*.p7m.tmp files last written
// more than `maxAgeSeconds` before `now` (a run in progress writes its own continually).
// Removed; returns them. --out-dir calls it at the start of every run.
std::vector<std::filesystem::path> removeStaleTemporaries(const std::filesystem::path& dir, std::int64_t now,
                                                          std::int64_t maxAgeSeconds = 3600);

}  // namespace posture::collector::backup
