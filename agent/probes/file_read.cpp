#include "agent/probes/file_read.h"

#include <fstream>

namespace posture::agent {

std::optional<std::string> readHead(const std::filesystem::path& path, std::size_t maxBytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string out;
  char buf[8192];
  while (out.size() < maxBytes) {
    auto want = std::min(sizeof buf, maxBytes - out.size());
    in.read(buf, static_cast<std::streamsize>(want));
    auto got = in.gcount();
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  if (in.bad()) return std::nullopt;
  return out;
}

std::optional<std::string> readTail(const std::filesystem::path& path, std::size_t maxBytes) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size <= maxBytes) return readHead(path, maxBytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(static_cast<std::streamoff>(size - maxBytes));
  std::string out(maxBytes, '\0');
  in.read(out.data(), static_cast<std::streamsize>(maxBytes));
  out.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  auto nl = out.find('\n');
  return nl == std::string::npos ? std::string() : out.substr(nl + 1);
}

}  // namespace posture::agent
