#pragma once
// Small string helpers shared by the parsers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posture::agent::parsers {

std::string_view trim(std::string_view s);
// Splits on '\n', dropping a trailing '\r' from each line; a final empty line is omitted.
std::vector<std::string_view> lines(std::string_view text);
// Splits on runs of blanks (space, tab).
std::vector<std::string_view> words(std::string_view line);
std::optional<std::uint64_t> parseUnsigned(std::string_view s, int base = 10);

}  // namespace posture::agent::parsers
