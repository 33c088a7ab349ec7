#include "agent/probes/apt_plan_cache.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "tests/support/temp_dir.h"

using namespace posture::agent;
using posture::test::TempDir;

namespace {
AptPlan samplePlan() {
  AptPlan p;
  p.pending = 135;
  p.security = 12;
  p.automaticUpdates = Tristate::Off;
  p.notes = {"2 origin(s) without a Release file\nsecond line"};
  p.computedAt = 1'700'000'000;
  return p;
}
const std::vector<std::string> kInputs = {"/etc/apt/sources.list 120 1 2",
                                          "/var/lib/dpkg/status 9000 3 4"};
}  // namespace

TEST_CASE("a cached apt plan round-trips while its inputs are unchanged") {
  auto text = serializeAptPlan(samplePlan(), kInputs);
  auto back = parseAptPlan(text, kInputs, 1'700'000'100, 86400);
  REQUIRE(back);
  CHECK(back->pending == 135u);
  CHECK(back->security == 12u);
  CHECK(back->automaticUpdates == Tristate::Off);
  REQUIRE(back->notes.size() == 1);
  CHECK(back->notes[0] == "2 origin(s) without a Release file second line");
  CHECK(back->computedAt == 1'700'000'000);

  AptPlan unknown = samplePlan();
  unknown.security.reset();
  unknown.automaticUpdates = Tristate::Unknown;
  auto u = parseAptPlan(serializeAptPlan(unknown, kInputs), kInputs, 1'700'000'100, 86400);
  REQUIRE(u);
  CHECK_FALSE(u->security);
  CHECK(u->automaticUpdates == Tristate::Unknown);
}

TEST_CASE("a cached apt plan is refused when anything about it is off") {
  auto text = serializeAptPlan(samplePlan(), kInputs);
  SUBCASE("an input changed") {
    auto changed = kInputs;
    changed[1] = "/var/lib/dpkg/status 9001 5 4";
    CHECK_FALSE(parseAptPlan(text, changed, 1'700'000'100, 86400));
  }
  SUBCASE("an input appeared") {
    auto more = kInputs;
    more.push_back("/etc/apt/sources.list.d/new.list 10 6 7");
    CHECK_FALSE(parseAptPlan(text, more, 1'700'000'100, 86400));
  }
  SUBCASE("older than its maximum age") {
    CHECK_FALSE(parseAptPlan(text, kInputs, 1'700'000'000 + 86401, 86400));
  }
  SUBCASE("computed in the future (the clock went back)") {
    CHECK_FALSE(parseAptPlan(text, kInputs, 1'699'999'000, 86400));
  }
  SUBCASE("torn: cut anywhere, it is never accepted") {
    for (std::size_t cut = 0; cut < text.size(); ++cut) {
      INFO("cut at " << cut);
      CHECK_FALSE(parseAptPlan(text.substr(0, cut), kInputs, 1'700'000'100, 86400));
    }
  }
  SUBCASE("garbage values") {
    auto bad = text;
    bad.replace(bad.find("pending 135"), 11, "pending 1x5");
    CHECK_FALSE(parseAptPlan(bad, kInputs, 1'700'000'100, 86400));
    CHECK_FALSE(parseAptPlan("", kInputs, 1'700'000'100, 86400));
    CHECK_FALSE(parseAptPlan(std::string(5000, '\0'), kInputs, 1'700'000'100, 86400));
  }
}

TEST_CASE("the input fingerprint moves when a file is changed, added or removed") {
  TempDir dir("posture-apt-inputs-");
  auto lists = dir.path() / "lists";
  std::filesystem::create_directories(lists);
  auto status = dir.write("status", "Package: a\n");
  dir.write("lists/a_InRelease", "Origin: Debian\n");
  auto first = aptInputFingerprint({status, dir.path() / "missing"}, {lists});
  CHECK(first == aptInputFingerprint({status, dir.path() / "missing"}, {lists}));
  CHECK(first.size() == 4);  // status, missing, the directory, one list file

  dir.write("status", "Package: a\nPackage: b\n");  // same inode, new size and mtime
  auto second = aptInputFingerprint({status, dir.path() / "missing"}, {lists});
  CHECK(second != first);

  dir.write("lists/lock", "");  // apt's lock is not an input
  dir.write("lists/b_Packages", "Package: c\n");
  auto third = aptInputFingerprint({status, dir.path() / "missing"}, {lists});
  CHECK(third.size() == 5);
  std::filesystem::remove(lists / "b_Packages");
  auto fourth = aptInputFingerprint({status, dir.path() / "missing"}, {lists});
  CHECK(fourth.size() == 4);
}
