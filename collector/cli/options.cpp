#include "collector/cli/options.h"

#include "collector/cli/policy_dir.h"
#include "common/log/log.h"
#include "common/util/time.h"

namespace posture::collector::cli {

bool vietnamese(const util::Args& a) {
  std::string lang = a.getOr("lang", "vi");
  if (lang != "vi" && lang != "en") throw util::ArgsError("--lang must be vi or en, got '" + lang + "'");
  return lang == "vi";
}

std::filesystem::path policyDir(const util::Args& a) {
  if (auto p = a.get("policies")) return *p;
  if (auto d = a.get("data-dir")) return offlinePolicyDir(*d);
  return defaultPolicyDir();
}

void setLogLevel(const util::Args& a) {
  log::Level level;
  std::string name = a.getOr("log-level", "info");
  if (!log::parseLevel(name, level)) throw util::ArgsError("unknown --log-level '" + name + "'");
  log::setLevel(level);
}

std::string when(std::int64_t unixSeconds) { return util::formatRfc3339Vietnam(unixSeconds); }

}  // namespace posture::collector::cli
