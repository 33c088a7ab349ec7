#include "agent/state.h"

#include <sstream>
#include <stdexcept>

#include "common/util/files.h"

namespace posture::agent {
namespace fs = std::filesystem;

namespace {
std::string mustRead(const fs::path& p) {
  auto c = util::readFile(p);
  if (!c) throw std::runtime_error("cannot read " + p.string() + " (is the agent enrolled?)");
  return *c;
}
}  // namespace

bool isEnrolled(const fs::path& dir) {
  return fs::exists(dir / "agent.conf") && fs::exists(dir / "agent.crt") &&
         fs::exists(dir / "agent.key") && fs::exists(dir / "ca.crt");
}

AgentState loadState(const fs::path& dir) {
  AgentState s;
  s.dir = dir;
  std::istringstream conf(mustRead(dir / "agent.conf"));
  std::string line;
  while (std::getline(conf, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos || line.starts_with('#')) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "collector") s.collector = value;
    else if (key == "agent_id") s.agentId = value;
    else if (key == "unit") s.unitCode = value;
  }
  if (s.collector.empty() || s.agentId.empty()) {
    throw std::runtime_error((dir / "agent.conf").string() + " lacks collector= or agent_id=");
  }
  s.keyPem = mustRead(dir / "agent.key");
  s.certPem = mustRead(dir / "agent.crt");
  s.caPem = mustRead(dir / "ca.crt");
  return s;
}

void saveState(const AgentState& s) {
  fs::create_directories(s.dir);
  fs::permissions(s.dir, fs::perms::owner_all, fs::perm_options::replace);
  util::writeFileAtomic(s.dir / "agent.key", s.keyPem, 0600);
  util::writeFileAtomic(s.dir / "agent.crt", s.certPem, 0644);
  util::writeFileAtomic(s.dir / "ca.crt", s.caPem, 0644);
  // Written last: its presence marks a complete enrolment.
  util::writeFileAtomic(s.dir / "agent.conf",
                        "# written by posture-agent enroll\ncollector=" + s.collector +
                            "\nagent_id=" + s.agentId + "\nunit=" + s.unitCode + "\n",
                        0644);
}

std::uint64_t nextSequence(const fs::path& dir) {
  std::uint64_t last = 0;
  if (auto c = util::readFile(dir / "sequence")) {
    try {
      last = std::stoull(*c);
    } catch (const std::exception&) {
      throw std::runtime_error((dir / "sequence").string() + " is corrupt: '" + c->substr(0, 32) + "'");
    }
  }
  util::writeFileAtomic(dir / "sequence", std::to_string(last + 1) + "\n", 0600);
  return last + 1;
}

}  // namespace posture::agent
