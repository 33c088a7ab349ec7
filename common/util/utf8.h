#pragma once
// UTF-8, strictly (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF), nothing
// above U+10FFFF. The one place the project decides what valid text is: the console, the
// JSON parser, delivery, account names and the logs all use it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace posture::util {

// The length (1-4) of the valid sequence at text[at], or 0 when the bytes there are not
// one; `codePoint` gets its value when given.
std::size_t utf8SequenceLength(std::string_view text, std::size_t at,
                               std::uint32_t* codePoint = nullptr);
bool validUtf8(std::string_view text);
// Code points in valid UTF-8 text; nullopt when invalid.
std::optional<std::size_t> utf8Length(std::string_view text);
// Valid UTF-8 out of anything: each byte that does not start a valid sequence becomes
// U+FFFD, and decoding resynchronises on the next byte.
std::string sanitizeUtf8(std::string_view text);
// The longest prefix of at most maxBytes that ends on a character boundary (valid input
// stays valid).
std::string cutUtf8(std::string_view text, std::size_t maxBytes);
// `text` then spaces up to `width` code points (at least one space), so Vietnamese columns
// line up in terminal tables.
std::string padRight(std::string_view text, std::size_t width);
// Appends the encoding of one code point (at most U+10FFFF; the caller checks the range).
void appendUtf8(std::string& out, std::uint32_t codePoint);

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

}  // namespace posture::util
