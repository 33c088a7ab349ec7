#include "common/util/files.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace posture::util {

std::optional<std::string> readFile(const std::filesystem::path& path, std::size_t maxBytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string out;
  char buf[65536];
  while (out.size() < maxBytes) {
    in.read(buf, static_cast<std::streamsize>(std::min(sizeof buf, maxBytes - out.size())));
    if (in.gcount() <= 0) break;
    out.append(buf, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return std::nullopt;
  return out;
}

std::optional<std::string> readTail(const std::filesystem::path& path, std::size_t maxBytes) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size <= maxBytes) return readFile(path, maxBytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(static_cast<std::streamoff>(size - maxBytes));
  std::string out(maxBytes, '\0');
  in.read(out.data(), static_cast<std::streamsize>(maxBytes));
  out.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  auto nl = out.find('\n');
  return nl == std::string::npos ? std::string() : out.substr(nl + 1);
}

#ifdef _WIN32
// Windows has no file modes: who may read the agent's key is decided by the state
// directory's ACL (agent/state.cpp). MoveFileEx with REPLACE_EXISTING is the rename.
void writeFileAtomic(const std::filesystem::path& path, const std::string& content, unsigned) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  auto fail = [&](const std::string& what, const std::filesystem::path& p) {
    throw std::runtime_error("cannot " + what + " " + p.string() + ": Windows error " +
                             std::to_string(::GetLastError()));
  };
  HANDLE h = ::CreateFileW(tmp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) fail("create", tmp);
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(left, 1u << 30)), written = 0;
    if (!::WriteFile(h, p, chunk, &written, nullptr)) {
      ::CloseHandle(h);
      fail("write", tmp);
    }
    p += written;
    left -= written;
  }
  if (!::FlushFileBuffers(h)) {
    ::CloseHandle(h);
    fail("sync", tmp);
  }
  ::CloseHandle(h);
  if (!::MoveFileExW(tmp.c_str(), path.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    fail("rename " + tmp.string() + " to", path);
  }
}

// The agent's state directory gets its ACL from agent/state.cpp.
void ensurePrivateDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
}

void ensurePrivateFile(const std::filesystem::path& file) {
  if (std::filesystem::exists(file)) return;
  std::ofstream create(file, std::ios::binary);
  if (!create) throw std::runtime_error("cannot create " + file.string());
}
#else
void writeFileAtomic(const std::filesystem::path& path, const std::string& content, unsigned mode) {
  std::string tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
  ::fchmod(fd, mode);
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(e));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    throw std::runtime_error("cannot sync " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot rename " + tmp + " to " + path.string() + ": " +
                             std::strerror(errno));
  }
}

void ensurePrivateDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  bool created = std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create " + dir.string() + ": " + ec.message());
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    throw std::runtime_error("cannot read " + dir.string() + ": " + std::strerror(errno));
  }
  mode_t want = created ? 0700 : st.st_mode & 0750 & ~mode_t{0020};
  if ((st.st_mode & 07777) != want && ::chmod(dir.c_str(), want) != 0) {
    throw std::runtime_error("cannot make " + dir.string() + " private: " + std::strerror(errno));
  }
}

void ensurePrivateFile(const std::filesystem::path& file) {
  // Never open an existing file here: closing any descriptor of a SQLite database drops
  // every POSIX lock this process holds on it, and another connection's transaction with
  // them (the classic way to corrupt a database). chmod by path needs no descriptor.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 07777) == 0600) return;
  if (::chmod(file.c_str(), 0600) != 0) {
    throw std::runtime_error("cannot make " + file.string() + " private: " + std::strerror(errno));
  }
}

#endif

bool readableByOthers(const std::filesystem::path& path) {
#ifdef _WIN32
  (void)path;
  return false;
#else
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  return (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
#endif
}

}  // namespace posture::util
