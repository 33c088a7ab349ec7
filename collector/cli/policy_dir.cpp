#include "collector/cli/policy_dir.h"

#include <cstdlib>
#include <string>

#include "common/util/files.h"

#ifndef POSTURE_POLICY_DIR
#define POSTURE_POLICY_DIR "/usr/share/posture/policies"
#endif

namespace posture::collector {
namespace fs = std::filesystem;

fs::path defaultPolicyDir() {
  if (const char* env = std::getenv("POSTURE_POLICY_DIR"); env && *env) return env;
  if (fs::is_directory("/etc/posture/policies")) return "/etc/posture/policies";
  return POSTURE_POLICY_DIR;
}

void recordPolicyDir(const fs::path& dataDir, const fs::path& policyDir) {
  util::writeFileAtomic(dataDir / kPolicyDirRecord, fs::absolute(policyDir).lexically_normal().string() + "\n",
                        0600);
}

fs::path offlinePolicyDir(const fs::path& dataDir) {
  if (auto text = util::readFile(dataDir / kPolicyDirRecord)) {
    std::string path = *text;
    while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
    if (!path.empty()) return path;
  }
  return defaultPolicyDir();
}

}  // namespace posture::collector
