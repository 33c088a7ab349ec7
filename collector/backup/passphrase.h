#pragma once
// The backup passphrase comes from a file (never the command line, where `ps` shows it):
// its first line, the line break removed.
#include <filesystem>
#include <string>

namespace posture::collector::backup {

inline constexpr std::size_t kMinPassphraseChars = 12;

// Throws BackupError (bilingual) when the file cannot be read, or its first line is empty
// or shorter than kMinPassphraseChars characters. `warning` gets a bilingual warning when
// the file is readable by its group or others ("" otherwise).
std::string readPassphraseFile(const std::filesystem::path& file, std::string* warning);

}  // namespace posture::collector::backup
