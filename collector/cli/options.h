#pragma once
// Options every posture-collector command reads the same way: the language, the policy
// directory in force, the log level, and how times are printed.
#include <cstdint>
#include <filesystem>
#include <string>

#include "common/util/args.h"

namespace posture::collector::cli {

// --lang vi|en (default vi): true for Vietnamese.
bool vietnamese(const util::Args& a);
// --policies, else for a command on an existing data directory the policies its `serve`
// loaded (recorded there), else the default location.
std::filesystem::path policyDir(const util::Args& a);
// --log-level (default info).
void setLogLevel(const util::Args& a);
// RFC 3339 in Vietnam time for both languages: terminal output is read by people and by
// scripts, and "06/12" is a different day to a month-first reader.
std::string when(std::int64_t unixSeconds);

}  // namespace posture::collector::cli
