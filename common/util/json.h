#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace posture::util {

// A JSON string literal (with the quotes) of UTF-8 text: '"', '\' and control characters
// escaped, everything else kept as is.
std::string jsonString(std::string_view text);

// Appends the UTF-8 encoding of one code point (up to U+10FFFF; the caller checks the range).
void appendUtf8(std::string& out, std::uint32_t codePoint);

}  // namespace posture::util
