// Opening, checking and restoring a backup (restore.h).
#include "collector/backup/restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "collector/backup/snapshot.h"
#include "collector/backup/tar.h"
#include "collector/cli/policy_dir.h"
#include "common/crypto/crypto.h"
#include "common/util/files.h"
#include "common/util/json.h"

namespace posture::collector::backup {
namespace fs = std::filesystem;

namespace {
std::string fileSha256(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw BackupError("cannot read " + file.string());
  crypto::Sha256 hash;
  std::string buffer(64 * 1024, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) hash.update(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
  }
  return hash.finishHex();
}

[[noreturn]] void invalid(const fs::path& file, const std::string& vi, const std::string& en) {
  throw BackupError("bản sao lưu " + file.string() + " không hợp lệ: " + vi + " / the backup " + file.string() +
                    " is invalid: " + en);
}

std::optional<fs::path> makeTemp(const fs::path& dir, const std::string& stem) {
  std::string pattern = (dir / (stem + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) return std::nullopt;
  ::chmod(pattern.c_str(), 0700);
  return fs::path(pattern);
}

// Moves a file or directory tree; a copy when they are on different file systems.
void moveInto(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (!ec) return;
  if (ec != std::errc::cross_device_link) throw BackupError("cannot move " + from.string() + " to " + to.string() + ": " + ec.message());
  fs::copy(from, to, fs::copy_options::recursive, ec);
  if (ec) throw BackupError("cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
  fs::remove_all(from, ec);
}
}  // namespace

WorkDir::WorkDir(const fs::path& near, const std::string& purpose, bool allowTmp) {
  fs::path abs = fs::absolute(near).lexically_normal();
  if (abs.filename().empty()) abs = abs.parent_path();
  std::string stem = "." + abs.filename().string() + "." + purpose;
  auto made = makeTemp(abs.parent_path(), stem);
  if (!made && allowTmp) made = makeTemp(fs::temp_directory_path(), "posture-" + purpose);
  if (!made && isNoSpace(errno)) throwNoSpace(abs.parent_path() / (stem + "-XXXXXX"), std::strerror(errno));
  if (!made) {
    throw BackupError("không tạo được thư mục tạm cạnh " + abs.string() + " / cannot create a work directory next to " +
                      abs.string() + ": " + std::strerror(errno));
  }
  path_ = *made;
}

WorkDir::~WorkDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

BackupSummary openBackup(const fs::path& file, const std::string& passphrase, const fs::path& workDir) {
  fs::path tarFile = workDir / "archive.tar";
  OpenResult opened = openEnvelope(file, passphrase, tarFile);
  if (!opened.ok()) throw BackupError(describeOpenFailure(opened, file));
  fs::path content = workDir / "content";
  if (::mkdir(content.c_str(), 0700) != 0) throw BackupError("cannot create " + content.string());
  std::vector<TarMember> members;
  try {
    members = extractTar(tarFile, content);
  } catch (const TarError& e) {
    invalid(file, std::string("kho lưu trữ bên trong bị từ chối: ") + e.what(),
            std::string("the archive inside is refused: ") + e.what());
  }
  std::error_code ec;
  fs::remove(tarFile, ec);

  auto text = util::readFile(content / kManifestName);
  if (!text) invalid(file, "thiếu manifest.json", "no manifest.json");
  BackupSummary s;
  std::map<std::string, const TarMember*> byName;
  for (const auto& m : members) byName[m.name] = &m;
  try {
    util::Json manifest = util::parseJson(*text);
    s.format = manifest.at("format").asString();
    if (s.format != kBackupFormat) {
      invalid(file, "định dạng " + s.format + " không được hỗ trợ", "unsupported format " + s.format);
    }
    s.createdAt = manifest.at("created_at").asString();
    s.caFingerprint = manifest.at("ca_fingerprint").asString();
    s.schemaVersion = manifest.at("schema_version").asInt();
    const auto& counts = manifest.at("counts");
    s.reports = counts.at("reports").asInt();
    s.agents = counts.at("agents").asInt();
    s.endpoints = counts.at("endpoints").asInt();
    std::map<std::string, bool> listed;
    for (const auto& f : manifest.at("files").items()) {
      std::string path = f.at("path").asString();
      if (!tarNameProblem(path).empty() || path == kManifestName || listed.count(path)) {
        invalid(file, "manifest ghi tên tệp không hợp lệ " + path, "the manifest lists a bad name " + path);
      }
      listed[path] = true;
      auto it = byName.find(path);
      if (it == byName.end()) invalid(file, "thiếu tệp " + path, "member " + path + " is missing");
      if (static_cast<std::int64_t>(it->second->size) != f.at("size").asInt() ||
          fileSha256(content / path) != f.at("sha256").asString()) {
        invalid(file, "tệp " + path + " không khớp với manifest (kích thước hoặc SHA-256)",
                "member " + path + " does not match the manifest (size or SHA-256)");
      }
    }
    for (const auto& m : members) {
      if (m.name != kManifestName && !listed.count(m.name)) {
        invalid(file, "tệp " + m.name + " không có trong manifest", "member " + m.name + " is not in the manifest");
      }
    }
    s.files = listed.size();
  } catch (const util::JsonError& e) {
    invalid(file, std::string("manifest.json hỏng: ") + e.what(), std::string("manifest.json is malformed: ") + e.what());
  }
  for (const char* required : {kDatabaseMember, "data/ca.crt", "data/ca.key"}) {
    if (!byName.count(required)) invalid(file, std::string("thiếu ") + required, std::string("no ") + required);
  }
  auto caPem = util::readFile(content / "data/ca.crt");
  if (!caPem || crypto::certificateFingerprint(*caPem) != s.caFingerprint) {
    invalid(file, "dấu vân tay CA không khớp với data/ca.crt", "the CA fingerprint does not match data/ca.crt");
  }
  if (auto problems = integrityProblems(content / kDatabaseMember); !problems.empty()) {
    invalid(file, "cơ sở dữ liệu không toàn vẹn: " + problems, "the database fails integrity_check: " + problems);
  }
  s.archiveBytes = fs::file_size(file);
  return s;
}

BackupSummary verifyBackup(const fs::path& file, const std::string& passphrase) {
  WorkDir work(file, "verify", true);
  return openBackup(file, passphrase, work.path());
}

RestoreResult restoreBackup(const fs::path& file, const std::string& passphrase, const fs::path& newDataDir) {
  fs::path target = fs::absolute(newDataDir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  std::string t = target.string();
  std::error_code ec;
  bool exists = fs::exists(fs::symlink_status(target, ec));
  if (exists && (!fs::is_directory(target, ec) || !fs::is_empty(target, ec))) {
    throw BackupError("thư mục đích " + t + " đã tồn tại và không rỗng; hãy chọn thư mục mới hoặc rỗng / the target " + t +
                      " exists and is not an empty directory; choose a new or empty one");
  }
  if (!fs::is_directory(target.parent_path(), ec)) {
    throw BackupError("không có thư mục " + target.parent_path().string() + " / no directory " +
                      target.parent_path().string());
  }
  WorkDir work(target, "restore", false);
  RestoreResult r;
  r.summary = openBackup(file, passphrase, work.path());

  // The data directory as it will be: the archive's data/, with the policies and the
  // configuration beside them.
  fs::path staged = work.path() / "content" / "data";
  fs::path content = work.path() / "content";
  if (fs::exists(content / "policies")) {
    if (fs::exists(staged / "policies")) invalid(file, "data/policies đã có", "data/policies already exists");
    fs::rename(content / "policies", staged / "policies");
    r.hasPolicies = true;
  }
  if (fs::exists(content / "config/collector.conf")) {
    if (fs::exists(staged / "collector.conf")) invalid(file, "data/collector.conf đã có", "data/collector.conf already exists");
    fs::rename(content / "config/collector.conf", staged / "collector.conf");
    r.hasConfig = true;
  }
  if (r.hasPolicies) recordPolicyDir(staged, target / "policies");
  // Modes: directories 0700; certificates, policies and the configuration 0644; everything
  // else (keys, the database, upstream credentials) 0600.
  for (auto it = fs::recursive_directory_iterator(staged); it != fs::recursive_directory_iterator(); ++it) {
    auto ext = it->path().extension().string();
    bool open = ext == ".crt" || ext == ".yaml" || ext == ".yml" || it->path().filename() == "collector.conf";
    ::chmod(it->path().c_str(), it->is_directory() ? 0700 : open ? 0644 : 0600);
  }
  ::chmod(staged.c_str(), 0700);

  if (!exists) {
    moveInto(staged, target);
  } else {
    for (const auto& e : fs::directory_iterator(staged)) moveInto(e.path(), target / e.path().filename());
    ::chmod(target.c_str(), 0700);
  }
  int fd = ::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return r;
}

}  // namespace posture::collector::backup
