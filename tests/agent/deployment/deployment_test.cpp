// agent.conf: read as before, and rewritten without its token once the agent enrolled,
// every other byte kept, 0600.
#include "agent/deployment.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "common/util/files.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::agent;

namespace {
unsigned modeOf(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
}  // namespace

TEST_CASE("agent.conf keys are read with white space trimmed, comments skipped, the environment winning") {
  test::TempDir dir("posture-deploy-");
  auto file = dir.write("agent.conf", "# token=not-this\ncollector = c.example:8443\r\n  token=T1 \n"
                                      "trust_on_first_use=Yes\nnonsense line\n");
  ::unsetenv("POSTURE_TOKEN");
  auto d = readDeployment(file);
  CHECK(d["collector"] == "c.example:8443");
  CHECK(d["token"] == "T1");
  CHECK(isYes(d["trust_on_first_use"]));
  CHECK(d.count("nonsense line") == 0);
  ::setenv("POSTURE_TOKEN", "T2", 1);
  CHECK(readDeployment(file)["token"] == "T2");
  ::unsetenv("POSTURE_TOKEN");
  CHECK(readDeployment(dir.path() / "missing.conf").empty());
}

TEST_CASE("only yes, true, 1 and on turn an option on") {
  for (const char* v : {"yes", "YES", " true", "1", "on"}) CHECK(isYes(v));
  for (const char* v : {"", "no", "0", "false", "y", "ja", "yes please"}) CHECK_FALSE(isYes(v));
}

TEST_CASE("forgetToken removes the token lines and keeps every other byte, atomically and 0600") {
  test::TempDir dir("posture-deploy-");
  std::string before = "# /etc/posture/agent.conf\r\n# token=EXAMPLE-in-a-comment\ncollector=c:8443\n"
                       "   token = SECRET\r\nca_fingerprint=ab:cd\n\n# last\ntoken=SECRET2";
  auto file = dir.write("agent.conf", before);
  ::chmod(file.c_str(), 0644);
  CHECK(forgetToken(file));
  CHECK(util::readFile(file) ==
        std::string("# /etc/posture/agent.conf\r\n# token=EXAMPLE-in-a-comment\ncollector=c:8443\n"
                    "ca_fingerprint=ab:cd\n\n# last\n"));
  CHECK(modeOf(file) == 0600);
  CHECK_FALSE(std::filesystem::exists(file.string() + ".tmp"));
  // Nothing left to remove: the file is not touched.
  auto mtime = std::filesystem::last_write_time(file);
  CHECK_FALSE(forgetToken(file));
  CHECK(std::filesystem::last_write_time(file) == mtime);
  CHECK_FALSE(forgetToken(dir.path() / "missing.conf"));  // --config may name none yet
  CHECK_FALSE(std::filesystem::exists(dir.path() / "missing.conf"));
}
