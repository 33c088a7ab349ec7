#pragma once
// UTF-16, the Windows API's wide strings, from and to UTF-8. The one conversion of the
// project: the Windows probes (COM, WMI, the registry), the service and the agent's worker
// processes use it. Portable and strict: the UTF-8 side is read with utf8.h's check, so
// each byte that does not start a valid sequence becomes U+FFFD, and so does each unpaired
// surrogate on the UTF-16 side (as MultiByteToWideChar and WideCharToMultiByte do with
// CP_UTF8); the result is always valid and no text is dropped silently.
#include <string>
#include <string_view>

namespace posture::util {

std::u16string utf8ToUtf16(std::string_view text);
std::string utf16ToUtf8(std::u16string_view text);

#ifdef _WIN32
// wchar_t is one UTF-16 code unit on Windows.
std::wstring toWide(std::string_view text);
std::string toUtf8(std::wstring_view text);
#endif

}  // namespace posture::util
