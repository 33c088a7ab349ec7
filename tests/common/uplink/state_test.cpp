// The agent's credentials survive a crash in the middle of a renewal.
#include <doctest/doctest.h>

#include <filesystem>

#include "common/uplink/state.h"
#include "common/util/files.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::uplink;
namespace fs = std::filesystem;

namespace {
AgentState enrolled(const fs::path& dir) {
  AgentState s;
  s.dir = dir;
  s.collector = "127.0.0.1:8443";
  s.agentId = "a1";
  s.unitCode = "BS-VP";
  s.keyPem = "OLD KEY";
  s.certPem = "OLD CERT";
  s.caPem = "CA";
  saveState(s);
  return s;
}
}  // namespace

TEST_CASE("a renewal interrupted at any step leaves a matching key and certificate") {
  test::TempDir dir("posture-state-");
  SUBCASE("completed") {
    auto s = enrolled(dir.path());
    replaceCredentials(s, "NEW KEY", "NEW CERT");
    auto l = loadState(dir.path());
    CHECK(l.keyPem == "NEW KEY");
    CHECK(l.certPem == "NEW CERT");
  }
  SUBCASE("crashed after writing both new files") {
    enrolled(dir.path());
    util::writeFileAtomic(dir.path() / "agent.crt.new", "NEW CERT");
    util::writeFileAtomic(dir.path() / "agent.key.new", "NEW KEY");
    auto l = loadState(dir.path());  // the old pair, still matching
    CHECK(l.keyPem == "OLD KEY");
    CHECK(l.certPem == "OLD CERT");
    CHECK_FALSE(fs::exists(dir.path() / "agent.key.new"));
  }
  SUBCASE("crashed after renaming the key") {
    enrolled(dir.path());
    util::writeFileAtomic(dir.path() / "agent.crt.new", "NEW CERT");
    util::writeFileAtomic(dir.path() / "agent.key", "NEW KEY");
    auto l = loadState(dir.path());  // finished: the new pair
    CHECK(l.keyPem == "NEW KEY");
    CHECK(l.certPem == "NEW CERT");
    CHECK_FALSE(fs::exists(dir.path() / "agent.crt.new"));
  }
}
