// ustar writing and strict, untrusted reading (tar.h).
#include "collector/backup/tar.h"

#include "collector/backup/envelope.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

namespace posture::collector::backup {
namespace fs = std::filesystem;

namespace {
constexpr std::size_t kBlock = 512;
constexpr std::size_t kChunk = 64 * 1024;
// Octal fields hold 11 digits in 12 bytes: 8 GiB - 1. Past that, GNU tar's base-256 form
// (first byte 0x80), which GNU tar, bsdtar and busybox read.
constexpr std::uint64_t kMaxOctalSize = 077777777777ULL;

void putOctal(char* field, std::size_t width, std::uint64_t value) {
  // width - 1 digits, then NUL.
  std::string digits(width - 1, '0');
  for (std::size_t i = width - 1; i-- > 0 && value;) {
    digits[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

void putBase256(char* field, std::size_t width, std::uint64_t value) {
  std::memset(field, 0, width);
  for (std::size_t i = width; i-- > 1;) {
    field[i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  field[0] = static_cast<char>(0x80);
}

std::uint64_t getNumber(std::string_view field, const char* what) {
  if (!field.empty() && (static_cast<unsigned char>(field[0]) & 0x80)) {
    if (static_cast<unsigned char>(field[0]) != 0x80) {
      throw TarError(std::string("negative or oversized base-256 ") + what);
    }
    std::uint64_t v = 0;
    for (std::size_t i = 1; i < field.size(); ++i) {
      if (v >> 56) throw TarError(std::string(what) + " too large");
      v = (v << 8) | static_cast<unsigned char>(field[i]);
    }
    return v;
  }
  std::size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  std::uint64_t v = 0;
  bool any = false;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v >> 60) throw TarError(std::string(what) + " too large");
    v = v * 8 + static_cast<std::uint64_t>(field[i] - '0');
    any = true;
  }
  for (; i < field.size(); ++i) {
    if (field[i] != ' ' && field[i] != '\0') throw TarError(std::string("malformed ") + what + " field");
  }
  if (!any) throw TarError(std::string("empty ") + what + " field");
  return v;
}

std::string cString(std::string_view field) {
  auto end = field.find('\0');
  return std::string(field.substr(0, end));
}

unsigned checksum(std::string_view block) {
  unsigned sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
  }
  return sum;
}

int signedChecksum(std::string_view block) {
  int sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<signed char>(block[i]);
  }
  return sum;
}

std::string describeType(char type) {
  switch (type) {
    case '1': return "a hard link";
    case '2': return "a symbolic link";
    case '3': return "a character device";
    case '4': return "a block device";
    case '5': return "a directory";
    case '6': return "a FIFO";
    default: return std::string("of type '") + (type >= 0x20 && type < 0x7f ? std::string(1, type) : "?") + "'";
  }
}
}  // namespace

std::string tarNameProblem(std::string_view name) {
  if (name.empty()) return "empty name";
  if (name.size() > kTarMaxName) return "name longer than 255 bytes";
  if (name.front() == '/') return "absolute path";
  for (char c : name) {
    if (c < 0x20 || c > 0x7e || c == '\\') return "control, non-ASCII or backslash character in the name";
  }
  std::size_t pos = 0;
  while (pos <= name.size()) {
    std::size_t slash = name.find('/', pos);
    std::string_view part = name.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    if (part.empty()) return "empty path component";
    if (part == ".") return "'.' path component";
    if (part == "..") return "'..' path component";
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return "";
}

void TarWriter::header(const std::string& name, unsigned mode, std::int64_t mtime, std::uint64_t size) {
  if (auto problem = tarNameProblem(name); !problem.empty()) {
    throw TarError("cannot archive '" + name + "': " + problem);
  }
  std::array<char, kBlock> h{};
  std::string prefix, base = name;
  if (name.size() > 100) {
    // Split at a '/' so that the prefix fits 155 bytes and the rest 100.
    std::size_t split = name.rfind('/', 155);
    while (split != std::string::npos && name.size() - split - 1 > 100) split = std::string::npos;
    if (split == std::string::npos || split == 0) throw TarError("cannot archive '" + name + "': no ustar split");
    prefix = name.substr(0, split);
    base = name.substr(split + 1);
  }
  std::memcpy(h.data(), base.data(), base.size());
  putOctal(h.data() + 100, 8, mode & 07777);
  putOctal(h.data() + 108, 8, 0);
  putOctal(h.data() + 116, 8, 0);
  if (size > kMaxOctalSize) {
    putBase256(h.data() + 124, 12, size);
  } else {
    putOctal(h.data() + 124, 12, size);
  }
  putOctal(h.data() + 136, 12, static_cast<std::uint64_t>(mtime < 0 ? 0 : mtime));
  h[156] = '0';
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  std::memcpy(h.data() + 265, "posture", 7);
  std::memcpy(h.data() + 297, "posture", 7);
  std::memcpy(h.data() + 345, prefix.data(), prefix.size());
  unsigned sum = checksum(std::string_view(h.data(), kBlock));
  putOctal(h.data() + 148, 7, sum);
  h[155] = ' ';
  sink_(std::string_view(h.data(), kBlock));
}

void TarWriter::pad(std::uint64_t size) {
  static const std::array<char, kBlock> zeros{};
  if (std::size_t rest = static_cast<std::size_t>(size % kBlock)) sink_(std::string_view(zeros.data(), kBlock - rest));
}

void TarWriter::add(const std::string& name, unsigned mode, std::int64_t mtime, std::string_view content) {
  header(name, mode, mtime, content.size());
  if (!content.empty()) sink_(content);
  pad(content.size());
}

void TarWriter::addFromFile(const std::string& name, unsigned mode, std::int64_t mtime, const fs::path& source,
                            std::uint64_t size, const std::function<void(std::string_view)>& observe) {
  std::ifstream in(source, std::ios::binary);
  if (!in) throw TarError("cannot read " + source.string());
  header(name, mode, mtime, size);
  std::string buffer(kChunk, '\0');
  std::uint64_t left = size;
  while (left > 0) {
    auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(left, kChunk));
    in.read(buffer.data(), want);
    if (in.gcount() != want) throw TarError(source.string() + " became shorter while it was archived");
    std::string_view piece(buffer.data(), static_cast<std::size_t>(want));
    if (observe) observe(piece);
    sink_(piece);
    left -= static_cast<std::uint64_t>(want);
  }
  pad(size);
}

void TarWriter::finish() {
  static const std::array<char, 2 * kBlock> zeros{};
  sink_(std::string_view(zeros.data(), zeros.size()));
}

TarMember parseTarHeader(std::string_view block) {
  if (block.size() != kBlock) throw TarError("short header block");
  std::string_view magic = block.substr(257, 6);
  bool posix = magic == std::string_view("ustar\0", 6) && block.substr(263, 2) == "00";
  bool gnu = block.substr(257, 8) == std::string_view("ustar  \0", 8);
  if (!posix && !gnu) throw TarError("not a ustar header (magic)");
  auto stored = getNumber(block.substr(148, 8), "checksum");
  if (stored != checksum(block) && static_cast<std::int64_t>(stored) != signedChecksum(block)) {
    throw TarError("header checksum mismatch");
  }
  TarMember m;
  std::string name = cString(block.substr(0, 100));
  std::string prefix = posix ? cString(block.substr(345, 155)) : std::string();
  m.name = prefix.empty() ? name : prefix + "/" + name;
  char type = block[156];
  if (type != '0' && type != '\0') {
    throw TarError("member '" + m.name + "' is " + describeType(type) + ", not a regular file");
  }
  if (auto problem = tarNameProblem(m.name); !problem.empty()) {
    throw TarError("member '" + m.name + "': " + problem);
  }
  m.mode = static_cast<unsigned>(getNumber(block.substr(100, 8), "mode") & 07777);
  m.size = getNumber(block.substr(124, 12), "size");
  m.mtime = static_cast<std::int64_t>(getNumber(block.substr(136, 12), "mtime") & 0x7fffffffffffULL);
  return m;
}

std::vector<TarMember> extractTar(const fs::path& archive, const fs::path& dest, std::size_t maxMembers) {
  std::error_code ec;
  auto total = fs::file_size(archive, ec);
  if (ec) throw TarError("cannot read the archive: " + ec.message());
  std::ifstream in(archive, std::ios::binary);
  if (!in) throw TarError("cannot open the archive");
  std::vector<TarMember> members;
  std::set<std::string> files, dirs;
  std::uint64_t pos = 0;
  std::string block(kBlock, '\0');
  std::string buffer(kChunk, '\0');
  auto readBlock = [&]() {
    if (pos + kBlock > total) return false;
    in.read(block.data(), kBlock);
    if (in.gcount() != static_cast<std::streamsize>(kBlock)) return false;
    pos += kBlock;
    return true;
  };
  for (;;) {
    if (!readBlock()) throw TarError("the archive ends without its end marker (truncated)");
    if (block.find_first_not_of('\0') == std::string::npos) {
      // End of archive: a second zero block (or the end of the file) must follow.
      if (readBlock() && block.find_first_not_of('\0') != std::string::npos) {
        throw TarError("data after the end-of-archive marker");
      }
      break;
    }
    if (members.size() >= maxMembers) throw TarError("more than " + std::to_string(maxMembers) + " members");
    TarMember m = parseTarHeader(block);
    std::uint64_t padded = m.size + (kBlock - m.size % kBlock) % kBlock;
    if (m.size > total || padded > total - pos) {
      throw TarError("member '" + m.name + "' declares " + std::to_string(m.size) +
                     " bytes, past the end of the archive");
    }
    if (files.count(m.name) || dirs.count(m.name)) throw TarError("member '" + m.name + "' appears twice");
    // Its parent directories: none may be a file already archived.
    std::vector<std::string> parents;
    for (std::size_t slash = m.name.find('/'); slash != std::string::npos; slash = m.name.find('/', slash + 1)) {
      std::string parent = m.name.substr(0, slash);
      if (files.count(parent)) throw TarError("member '" + m.name + "' is under '" + parent + "', which is a file");
      parents.push_back(parent);
    }
    for (const auto& parent : parents) {
      if (dirs.insert(parent).second) {
        if (::mkdir((dest / parent).c_str(), 0700) != 0) {
          if (isNoSpace(errno)) throwNoSpace(dest / parent, std::strerror(errno));
          throw TarError("cannot create " + (dest / parent).string() + ": " + std::strerror(errno));
        }
      }
    }
    files.insert(m.name);
    fs::path target = dest / m.name;
    int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && isNoSpace(errno)) throwNoSpace(target, std::strerror(errno));
    if (fd < 0) throw TarError("cannot create " + target.string() + ": " + std::strerror(errno));
    std::uint64_t left = m.size;
    bool ok = true;
    int writeErr = 0;
    while (left > 0 && ok) {
      auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(left, kChunk));
      in.read(buffer.data(), want);
      if (in.gcount() != want) {
        ok = false;
        break;
      }
      for (std::streamsize off = 0; off < want;) {
        ssize_t n = ::write(fd, buffer.data() + off, static_cast<std::size_t>(want - off));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          writeErr = n < 0 ? errno : ENOSPC;  // a write of 0 bytes: the file system is full
          ok = false;
          break;
        }
        off += n;
      }
      left -= static_cast<std::uint64_t>(want);
    }
    if (::close(fd) != 0) {
      if (!writeErr) writeErr = errno;
      ok = false;
    }
    if (isNoSpace(writeErr)) throwNoSpace(target, std::strerror(writeErr));
    if (!ok) throw TarError("cannot extract member '" + m.name + "' to " + target.string());
    in.seekg(static_cast<std::streamoff>(padded - m.size), std::ios::cur);
    pos += padded;
    members.push_back(std::move(m));
  }
  return members;
}

}  // namespace posture::collector::backup
