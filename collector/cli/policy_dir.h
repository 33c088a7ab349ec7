#pragma once
// Which policy directory is in force: `serve` records the one it loaded in its data
// directory, and the offline commands on that directory (status, export, alerts) read it
// back, so both evaluate with the same policies.
#include <filesystem>

namespace posture::collector {

// Where policies are found when --policies is not given.
std::filesystem::path defaultPolicyDir();

// `serve` records the policy directory it loaded in DATA_DIR/policy-dir, so that offline
// commands on the same data directory (status, export) evaluate with the policies the
// collector serves, not whatever the default location holds.
inline constexpr const char* kPolicyDirRecord = "policy-dir";
void recordPolicyDir(const std::filesystem::path& dataDir, const std::filesystem::path& policyDir);
// --policies absent: what serve recorded in dataDir, else defaultPolicyDir().
std::filesystem::path offlinePolicyDir(const std::filesystem::path& dataDir);

}  // namespace posture::collector
