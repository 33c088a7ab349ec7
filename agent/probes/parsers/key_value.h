#pragma once
// Shell-style KEY=value files: /etc/os-release (os-release(5)), /etc/ufw/ufw.conf.
#include <map>
#include <string>
#include <string_view>

namespace posture::agent::parsers {

// Values may be unquoted, "double quoted" (with \" \\ \$ \` escapes) or 'single quoted'.
// Comments, blank lines and lines that are not assignments are skipped; a later
// assignment of the same key wins, as in the shell.
std::map<std::string, std::string> parseKeyValue(std::string_view text);

}  // namespace posture::agent::parsers
