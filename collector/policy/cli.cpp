// `policy check FILE...`: loads each policy file as `serve` would and says what is wrong.
#include "collector/policy/cli.h"

#include <cstdio>
#include <string>

#include "collector/policy/policy.h"

namespace posture::collector {

const char* const kPolicyUsage = R"(  posture-collector policy check FILE...
)";

namespace {
int policyCheck(const std::vector<std::string>& files) {
  if (files.empty()) throw util::ArgsError("policy check needs at least one FILE");
  int bad = 0;
  for (const auto& f : files) {
    try {
      auto p = policy::loadPolicyFile(f);
      std::printf("%s: ok (%s v%d, %zu checks, %zu targets)\n", f.c_str(), p.id.c_str(), p.version,
                  p.checks.size(), p.targets.size());
    } catch (const policy::PolicyError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      ++bad;
    }
  }
  return bad ? 1 : 0;
}

// RFC 3339 in Vietnam time for both languages: terminal output is read by people and by
}  // namespace

std::vector<util::Command> policyCommands() { return {{{"policy", "check"}, policyCheck}}; }

}  // namespace posture::collector
