#pragma once
// Unattended deployment settings: /etc/posture/agent.conf (key=value lines, `#` comments)
// and, overriding it, the environment (POSTURE_COLLECTOR, POSTURE_TOKEN,
// POSTURE_CA_FINGERPRINT, POSTURE_TRUST_ON_FIRST_USE, POSTURE_INTERVAL). The Windows
// service reads the same keys from the registry (windows_service.h).
//
// The file holds an enrolment token until the agent has enrolled, so it is 0600 (the
// Debian package installs it so) and the token leaves it once enrolment succeeded.
#include <filesystem>
#include <map>
#include <string>

namespace posture::agent {

using Deployment = std::map<std::string, std::string>;

// file may be empty (environment only) or missing (same).
Deployment readDeployment(const std::filesystem::path& file);

// "yes", "true", "1" or "on" (any case): the way agent.conf, the environment and the MSI
// property spell an enabled option.
bool isYes(const std::string& value);

// Rewrites the file without its `token=` lines, keeping every other line, comment and
// line ending as it was, atomically (a crash leaves the old or the new file) and 0600.
// Returns false when it held no token or does not exist (nothing written). Throws
// std::runtime_error naming the file when it cannot be read or rewritten.
bool forgetToken(const std::filesystem::path& file);

}  // namespace posture::agent
