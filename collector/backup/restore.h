#pragma once
// `backup verify` and `restore`: a backup file opened, decrypted and checked in full
// (GCM tag, archive, every manifest hash, PRAGMA integrity_check) in a private work
// directory before anything is used.
#include <filesystem>
#include <string>

#include "collector/backup/backup.h"

namespace posture::collector::backup {

// Decrypts and checks `file` inside `workDir` (an existing, empty, private directory);
// the members end up under workDir/content. Throws BackupError with a bilingual message
// naming what is wrong.
BackupSummary openBackup(const std::filesystem::path& file, const std::string& passphrase,
                         const std::filesystem::path& workDir);

// openBackup in a temporary directory next to `file` (else in TMPDIR), removed after.
BackupSummary verifyBackup(const std::filesystem::path& file, const std::string& passphrase);

struct RestoreResult {
  BackupSummary summary;
  bool hasConfig = false;    // NEW/collector.conf was written
  bool hasPolicies = false;  // NEW/policies was written and recorded as the policy dir
};

// Restores into `newDataDir`, which must not exist or be an empty directory: checked in
// full in a temporary directory next to it first; nothing is written to it on failure.
// NEW ends up 0700; keys and the database 0600; policies in NEW/policies, recorded as the
// policy directory; the configuration as NEW/collector.conf.
RestoreResult restoreBackup(const std::filesystem::path& file, const std::string& passphrase,
                            const std::filesystem::path& newDataDir);

// A private (0700) directory named after `near` in its parent (TMPDIR when the parent is
// not writable and allowTmp); removed with its contents when the guard goes.
class WorkDir {
 public:
  WorkDir(const std::filesystem::path& near, const std::string& purpose, bool allowTmp);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace posture::collector::backup
