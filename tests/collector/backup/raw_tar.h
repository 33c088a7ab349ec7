#pragma once
// Hand-made ustar headers for tests: names, types and sizes that TarWriter refuses to
// write, as a hostile archive would hold them.
#include <cstdio>
#include <cstring>
#include <string>

namespace posture::test {

inline std::string rawTarHeader(const std::string& name, std::size_t size, char type = '0',
                                const std::string& link = "") {
  std::string h(512, '\0');
  std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
  std::snprintf(h.data() + 100, 8, "%07o", 0644u);
  std::snprintf(h.data() + 108, 8, "%07o", 0u);
  std::snprintf(h.data() + 116, 8, "%07o", 0u);
  std::snprintf(h.data() + 124, 12, "%011zo", size);
  std::snprintf(h.data() + 136, 12, "%011o", 0u);
  h[156] = type;
  std::memcpy(h.data() + 157, link.data(), std::min<std::size_t>(link.size(), 100));
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  unsigned sum = 0;
  for (std::size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  h[155] = ' ';
  return h;
}

// A member: header, content, padding.
inline std::string rawTarMember(const std::string& name, const std::string& content, char type = '0') {
  std::string out = rawTarHeader(name, type == '0' ? content.size() : 0, type, type == '0' ? "" : content);
  if (type == '0') {
    out += content;
    out.append((512 - content.size() % 512) % 512, '\0');
  }
  return out;
}

inline std::string rawTarEnd() { return std::string(1024, '\0'); }

}  // namespace posture::test
