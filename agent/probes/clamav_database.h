#pragma once
// Reads ClamAV signature databases from a directory. Portable (std::filesystem only) so
// the Windows probe can share it; the directory is a parameter so tests can point it at
// a temporary one.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/probes/antivirus.h"
#include "agent/probes/parsers/clamav.h"
#include "common/util/time.h"

namespace posture::agent {

struct ClamavDatabase {
  std::string path;
  parsers::CvdHeader header;
};

struct ClamavDatabases {
  bool directoryReadable = false;
  std::optional<ClamavDatabase> daily;
  std::vector<ClamavDatabase> all;  // daily, main, bytecode: those found and parsed
  std::vector<std::string> errors;  // files found but unreadable or malformed
};

// Signatures older than this are out of date (freshclam checks many times a day).
constexpr std::int64_t kClamavMaxAgeSeconds = util::kSecondsPerWeek;

ClamavDatabases readClamavDatabases(const std::filesystem::path& dir);

// The ClamAV product entry from its databases at time `now` (Unix seconds). Appends to
// `outcome` why a value is missing.
AntivirusProduct clamavProduct(const ClamavDatabases& databases, const std::filesystem::path& dir,
                               std::int64_t now, Tristate realTimeProtection,
                               ProbeOutcome& outcome);

}  // namespace posture::agent
