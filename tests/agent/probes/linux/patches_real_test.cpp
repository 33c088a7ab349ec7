// The patch probe against the real apt state of this machine: its counts must equal an
// independent reading of `apt-get -s dist-upgrade`, and running it must leave the package
// database untouched. Needs a Debian or Ubuntu host with package lists.
#include <sys/stat.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "agent/probes/patches.h"
#include "common/util/process.h"
#include "tests/support/temp_dir.h"

using namespace posture;

namespace {

struct Counts {
  bool ok = false;
  std::uint32_t pending = 0;
  std::uint32_t security = 0;
};

// Deliberately simpler than the probe: count "Inst " lines, and call one a security update
// when its candidate's origin list names a "-security" suite or the Debian-Security label.
// On a host whose security archive is its own release's, both rules agree.
Counts independentCounts() {
  auto p = util::runProcess({"apt-get", "-s", "-o", "Debug::NoLocking=1", "dist-upgrade"},
                            std::chrono::seconds(60));
  Counts c;
  if (!p.started || p.exitCode != 0) return c;
  c.ok = true;
  std::string_view text = p.out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.starts_with("Inst ")) continue;
    ++c.pending;
    auto open = line.find('(');
    auto origins = open == std::string_view::npos ? std::string_view() : line.substr(open);
    if (origins.find("-security") != std::string_view::npos ||
        origins.find("Debian-Security:") != std::string_view::npos) {
      ++c.security;
    }
  }
  return c;
}

struct Fingerprint {
  struct stat status {};
  bool operator==(const Fingerprint& o) const {
    return status.st_mtim.tv_sec == o.status.st_mtim.tv_sec &&
           status.st_mtim.tv_nsec == o.status.st_mtim.tv_nsec &&
           status.st_size == o.status.st_size && status.st_ino == o.status.st_ino;
  }
};

Fingerprint fingerprint() {
  Fingerprint f;
  REQUIRE(::stat("/var/lib/dpkg/status", &f.status) == 0);
  return f;
}

}  // namespace

TEST_CASE("patch probe counts equal apt-get -s dist-upgrade and change nothing") {
  REQUIRE_MESSAGE(!util::findExecutable("apt-get").empty(),
                  "this test needs a Debian or Ubuntu host");
  // Another package manager run between the readings would move both the counts and the
  // database; a reading counts only when nothing moved around it. The probe itself never
  // writes, so one of three attempts is always clean unless it does.
  bool compared = false;
  for (int attempt = 0; attempt < 3 && !compared; ++attempt) {
    auto before = fingerprint();
    auto expected = independentCounts();
    REQUIRE(expected.ok);
    agent::ProbeContext context;
    context.budget = std::chrono::seconds(60);
    auto r = agent::probePatches(context);
    auto after = independentCounts();
    auto fpAfter = fingerprint();
    if (!(before == fpAfter) || after.pending != expected.pending ||
        after.security != expected.security)
      continue;
    compared = true;
    INFO("probe message: " << r.outcome.message);
    CHECK(r.outcome.status == agent::ProbeStatus::Ok);
    CHECK(r.source == "apt-get -s dist-upgrade");
    REQUIRE(r.pendingUpdates);
    REQUIRE(r.pendingSecurityUpdates);
    CHECK(*r.pendingUpdates == expected.pending);
    CHECK(*r.pendingSecurityUpdates == expected.security);
    CHECK(*r.pendingSecurityUpdates <= *r.pendingUpdates);
    CHECK(r.rebootRequired != agent::Tristate::Unknown);
    CHECK_FALSE(r.runningKernel.empty());
    MESSAGE("pending " << *r.pendingUpdates << ", security " << *r.pendingSecurityUpdates
                       << ", message '" << r.outcome.message << "'");
  }
  CHECK_MESSAGE(compared, "/var/lib/dpkg/status changed around every probe run");
}

TEST_CASE("the upgrade plan is cached beside the agent's state and reused while apt is unchanged") {
  REQUIRE_MESSAGE(!util::findExecutable("apt-get").empty(),
                  "this test needs a Debian or Ubuntu host");
  test::TempDir dir("posture-patch-cache-");
  agent::ProbeContext context;
  context.budget = std::chrono::seconds(60);
  context.cacheDir = dir.path();
  bool compared = false;
  for (int attempt = 0; attempt < 3 && !compared; ++attempt) {
    std::filesystem::remove(dir.path() / "apt-plan.cache");
    auto before = fingerprint();
    auto cold = agent::probePatches(context);
    auto warm = agent::probePatches(context);
    if (!(before == fingerprint())) continue;
    compared = true;
    INFO("cold: " << cold.outcome.message << " / warm: " << warm.outcome.message);
    REQUIRE(std::filesystem::exists(dir.path() / "apt-plan.cache"));
    CHECK(cold.source == "apt-get -s dist-upgrade");
    CHECK(warm.source.starts_with("apt-get -s dist-upgrade (cached: apt state unchanged since "));
    REQUIRE(cold.pendingUpdates);
    CHECK(warm.pendingUpdates == cold.pendingUpdates);
    CHECK(warm.pendingSecurityUpdates == cold.pendingSecurityUpdates);
    CHECK(warm.automaticUpdates == cold.automaticUpdates);
    CHECK(warm.outcome.message == cold.outcome.message);

    // A damaged cache is recomputed, never believed.
    {
      std::ofstream(dir.path() / "apt-plan.cache") << "posture-apt-plan v1\npending 999999\n";
    }
    auto repaired = agent::probePatches(context);
    CHECK(repaired.source == "apt-get -s dist-upgrade");
    CHECK(repaired.pendingUpdates == cold.pendingUpdates);
  }
  CHECK_MESSAGE(compared, "/var/lib/dpkg/status changed around every probe run");
}
