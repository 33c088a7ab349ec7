#pragma once
// The one syntax of unit codes (and of information-system codes, which follow it): what the
// org import, the unit commands, `token create` and the enrolment token check. The code
// becomes the subject OU of the agent's certificate and a path segment of console URLs, so
// it is kept to plain ASCII.
#include <string>
#include <string_view>

namespace posture::util {

// What every refusal says.
inline constexpr std::string_view kCodeRule = "1-64 letters, digits, '.', '_' or '-'";

// 1-64 ASCII letters, digits, '.', '_' or '-'.
bool validCode(std::string_view code);

// "<what> '<code>' must be 1-64 letters, digits, '.', '_' or '-'", e.g. what = "unit code".
std::string invalidCodeMessage(std::string_view what, std::string_view code);

}  // namespace posture::util
