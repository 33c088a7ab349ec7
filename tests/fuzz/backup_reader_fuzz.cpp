// The backup reader (collector/backup/) on hostile bytes. Byte 0 (mod 4) selects:
//   0  the BER walk of ber_stream.h on a file of the bytes: checkBer, findEncryptedContent,
//      pbkdf2Iterations, and the content stream read to its end;
//   1  the ustar reader: parseTarHeader on the first block, extractTar into an empty
//      directory, which must hold only regular files and directories after, and nothing
//      beside it may appear;
//   2  the bytes as a backup file, opened and checked in full (openBackup: envelope, archive,
//      manifest, CA, integrity_check) with a fixed passphrase, when every PBKDF2 count the
//      file asks for is at most kFuzzIterations (the product's cap, 10,000,000, costs
//      seconds per input; the walk that reads the counts is what mode 0 fuzzes);
//   3  the bytes as the archive inside a backup: sealed with the real EnvelopeWriter (one
//      PBKDF2 iteration, which the writer takes as an argument), then restored into a new
//      directory (restoreBackup), which is all that may appear beside it.
// Only TarError (mode 1) and BackupError (modes 2, 3) may escape.
//
// POSTURE_BACKUP_FUZZ_SEAL="TAR OUT" makes the binary seal TAR into OUT (a seed of mode
// 2, with kSeedIterations) and exit: tests/fuzz/README.md.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "collector/backup/ber_stream.h"
#include "collector/backup/envelope.h"
#include "collector/backup/restore.h"
#include "collector/backup/tar.h"
#include "tests/fuzz/invariant.h"

using namespace posture::collector::backup;
namespace fs = std::filesystem;

namespace {
constexpr const char* kPassphrase = "fuzz seed passphrase 123";
constexpr std::uint64_t kFuzzIterations = 4096;
constexpr int kSeedIterations = 1000;

fs::path root;  // a private directory for the run

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

void writeFile(const fs::path& p, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  FUZZ_CHECK(out.good());
}

// Everything under `dir` is a regular file or a directory (never a link, device, FIFO).
void onlyFilesAndDirs(const fs::path& dir) {
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    auto st = fs::symlink_status(it->path());
    FUZZ_CHECK(fs::is_regular_file(st) || fs::is_directory(st));
  }
}

void fuzzBer(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  std::FILE* f = fmemopen(bytes.data(), bytes.size(), "rb");
  FUZZ_CHECK(f != nullptr);
  BerCheck check = checkBer(f, size);
  auto split = findEncryptedContent(f, size);
  if (split) {
    // The content found lies within the file, and the file's structure ends in it.
    FUZZ_CHECK(check == BerCheck::Complete);
    FUZZ_CHECK(split->start < split->end && split->end <= size);
    FUZZ_CHECK(split->valueStart >= split->start && split->valueStart <= split->end);
    if (!split->chunked) FUZZ_CHECK(split->valueStart + split->valueLength <= split->end);
    BIO* content = newContentBio(f, *split);
    FUZZ_CHECK(content != nullptr);
    std::uint64_t total = 0;
    char buffer[257];
    for (int n; (n = BIO_read(content, buffer, sizeof buffer)) > 0;)
      total += static_cast<std::uint64_t>(n);
    FUZZ_CHECK(total <= split->end - split->start);
    BIO_free(content);
  }
  if (auto counts = pbkdf2Iterations(f, size)) {
    FUZZ_CHECK(counts->size() <= size / 2);
  }
  std::fclose(f);
}

void fuzzTar(const std::uint8_t* data, std::size_t size) {
  if (size >= 512) {
    try {
      TarMember m = parseTarHeader(std::string_view(reinterpret_cast<const char*>(data), 512));
      FUZZ_CHECK(tarNameProblem(m.name).empty());
      FUZZ_CHECK(m.mode <= 07777);
    } catch (const TarError&) {
    }
  }
  fs::path archive = root / "archive.tar";
  writeFile(archive, data, size);
  fs::path parent = root / "parent";
  fs::path dest = parent / "dest";
  fs::create_directories(dest);
  std::vector<TarMember> members;
  bool ok = false;
  try {
    members = extractTar(archive, dest, 64);
    ok = true;
  } catch (const TarError&) {
  }
  FUZZ_CHECK(listing(parent) == std::set<std::string>{"dest"});
  onlyFilesAndDirs(dest);
  if (ok) {
    std::set<std::string> names;
    for (const auto& m : members) {
      FUZZ_CHECK(names.insert(m.name).second);
      auto st = fs::symlink_status(dest / m.name);
      FUZZ_CHECK(fs::is_regular_file(st) && fs::file_size(dest / m.name) == m.size);
    }
  }
  fs::remove_all(dest);
}

void fuzzOpen(const std::uint8_t* data, std::size_t size) {
  fs::path file = root / "backup.p7m";
  writeFile(file, data, size);
  if (std::FILE* f = std::fopen(file.c_str(), "rb")) {
    auto counts = pbkdf2Iterations(f, size);
    std::fclose(f);
    // The file's own count is derived with: too slow to fuzz past the walk above. When it
    // cannot be read, openEnvelope refuses before deriving anything.
    if (counts) {
      for (auto c : *counts) {
        if (c > kFuzzIterations) return;
      }
    }
  }
  fs::path parent = root / "parent";
  fs::path work = parent / "work";
  fs::create_directories(work);
  try {
    openBackup(file, kPassphrase, work);
  } catch (const BackupError& e) {
    FUZZ_CHECK(std::string(e.what()).find(" / ") != std::string::npos);
  }
  FUZZ_CHECK(listing(parent) == std::set<std::string>{"work"});
  onlyFilesAndDirs(work);
  fs::remove_all(parent);
}

void fuzzRestore(const std::uint8_t* data, std::size_t size) {
  fs::path file = root / "sealed.p7m";
  {
    EnvelopeWriter writer(file, kPassphrase, 1);
    writer.write(std::string_view(reinterpret_cast<const char*>(data), size));
    if (size == 0) {
      // An empty stream cannot be sealed (envelope.h); the writer says so.
      try {
        writer.finish();
        FUZZ_CHECK(false);
      } catch (const BackupError&) {
      }
      return;
    }
    writer.finish();
  }
  fs::path parent = root / "parent";
  fs::create_directories(parent);
  fs::path target = parent / "new";
  bool ok = false;
  try {
    restoreBackup(file, kPassphrase, target);
    ok = true;
  } catch (const BackupError& e) {
    FUZZ_CHECK(std::string(e.what()).find(" / ") != std::string::npos);
  }
  // Restore writes nothing on failure, and only the target on success.
  FUZZ_CHECK(listing(parent) == (ok ? std::set<std::string>{"new"} : std::set<std::string>{}));
  if (ok) onlyFilesAndDirs(target);
  fs::remove_all(parent);
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* seal = std::getenv("POSTURE_BACKUP_FUZZ_SEAL")) {
    std::string arg(seal);
    auto space = arg.find(' ');
    std::ifstream in(arg.substr(0, space), std::ios::binary);
    std::string tar((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EnvelopeWriter writer(arg.substr(space + 1), kPassphrase, kSeedIterations);
    writer.write(tar);
    writer.finish();
    std::exit(0);
  }
  std::string pattern = (fs::temp_directory_path() / "posture-backup-fuzz-XXXXXX").string();
  FUZZ_CHECK(::mkdtemp(pattern.data()) != nullptr);
  root = pattern;
  // Removed at exit, also after a finding (libFuzzer exits through exit() then).
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(root, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  switch (data[0] % 4) {
    case 0:
      fuzzBer(data + 1, size - 1);
      break;
    case 1:
      fuzzTar(data + 1, size - 1);
      break;
    case 2:
      fuzzOpen(data + 1, size - 1);
      break;
    default:
      fuzzRestore(data + 1, size - 1);
      break;
  }
  return 0;
}
