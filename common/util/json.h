#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "common/util/utf8.h"  // appendUtf8

namespace posture::util {

// A JSON string literal (with the quotes) of UTF-8 text: '"', '\' and control characters
// escaped, everything else kept as is.
std::string jsonString(std::string_view text);

}  // namespace posture::util
