#pragma once
// The archive inside a backup: POSIX ustar (IEEE 1003.1-1988), regular files only, so
// `tar t` and `tar x` of any system read it. Reading treats the archive as untrusted: a
// backup file may come from anywhere, and restore must never write outside its target.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace posture::collector::backup {

class TarError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Names are at most 255 bytes (ustar's prefix + name) of printable ASCII, relative, with
// no empty, "." or ".." component.
inline constexpr std::size_t kTarMaxName = 255;
// Why a name is refused ("" when it is acceptable).
std::string tarNameProblem(std::string_view name);

// Writes ustar through a sink (the encrypting stream). Every member is a regular file.
class TarWriter {
 public:
  using Sink = std::function<void(std::string_view)>;
  explicit TarWriter(Sink sink) : sink_(std::move(sink)) {}

  // A member with the given content.
  void add(const std::string& name, unsigned mode, std::int64_t mtime, std::string_view content);
  // A member whose content is read from `source` in pieces, `size` bytes exactly (a file
  // that is shorter throws); each piece also goes to `observe` (a hash).
  void addFromFile(const std::string& name, unsigned mode, std::int64_t mtime,
                   const std::filesystem::path& source, std::uint64_t size,
                   const std::function<void(std::string_view)>& observe);
  // The two zero blocks that end an archive.
  void finish();

 private:
  void header(const std::string& name, unsigned mode, std::int64_t mtime, std::uint64_t size);
  void pad(std::uint64_t size);
  Sink sink_;
};

struct TarMember {
  std::string name;
  unsigned mode = 0;  // permission bits as written (07777 at most)
  std::uint64_t size = 0;
  std::int64_t mtime = 0;
};

// One 512-byte ustar header decoded; TarError naming what is wrong (checksum, magic, a
// type other than a regular file such as a link or a device, a bad number, a bad name).
TarMember parseTarHeader(std::string_view block);

// Extracts the archive file into `dest` (an existing, empty, private directory), each
// member created new (never through an existing file or link), 0600, its parent
// directories 0700. Refuses, before writing that member: a bad header, a name refused by
// tarNameProblem, a duplicate name or one that is both a file and a directory, a size that
// runs past the end of the archive, more than maxMembers members. Returns the members in
// archive order. TarError names the member and the reason.
std::vector<TarMember> extractTar(const std::filesystem::path& archive,
                                  const std::filesystem::path& dest,
                                  std::size_t maxMembers = 100000);

}  // namespace posture::collector::backup
