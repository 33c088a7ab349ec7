#include "agent/probes/parsers/text.h"

#include <charconv>

namespace posture::agent::parsers {

std::string_view trim(std::string_view s) {
  constexpr std::string_view kBlank = " \t\r\n\v\f";
  auto b = s.find_first_not_of(kBlank);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(kBlank);
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto end = nl == std::string_view::npos ? text.size() : nl;
    auto line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < line.size()) {
    auto b = line.find_first_not_of(" \t", pos);
    if (b == std::string_view::npos) break;
    auto e = line.find_first_of(" \t", b);
    if (e == std::string_view::npos) e = line.size();
    out.push_back(line.substr(b, e - b));
    pos = e;
  }
  return out;
}

std::optional<std::uint64_t> parseUnsigned(std::string_view s, int base) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace posture::agent::parsers
