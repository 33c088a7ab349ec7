#include "collector/backup/passphrase.h"

#include "collector/backup/envelope.h"
#include "common/util/files.h"

namespace posture::collector::backup {

std::string readPassphraseFile(const std::filesystem::path& file, std::string* warning) {
  std::string f = file.string();
  auto text = util::readFile(file, 64 * 1024);
  if (!text) {
    throw BackupError("không đọc được tệp mật khẩu " + f + " / cannot read the passphrase file " + f);
  }
  std::string line = text->substr(0, text->find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    throw BackupError("tệp mật khẩu " + f + " rỗng (dòng đầu trống) / the passphrase file " + f +
                      " is empty (its first line is blank)");
  }
  std::size_t chars = 0;
  for (unsigned char c : line) chars += (c & 0xc0) != 0x80;  // UTF-8 code points
  if (chars < kMinPassphraseChars) {
    throw BackupError("mật khẩu trong " + f + " quá ngắn: " + std::to_string(chars) + " ký tự, cần ít nhất " +
                      std::to_string(kMinPassphraseChars) + " / the passphrase in " + f + " is too short: " +
                      std::to_string(chars) + " characters, at least " + std::to_string(kMinPassphraseChars) +
                      " needed");
  }
  if (warning) {
    warning->clear();
    if (util::readableByOthers(file)) {
      *warning = "cảnh báo: tệp mật khẩu " + f + " cho phép nhóm/người khác đọc (nên chmod 600) / warning: the passphrase file " +
                 f + " is readable by its group or others (chmod 600 it)";
    }
  }
  return line;
}

}  // namespace posture::collector::backup
