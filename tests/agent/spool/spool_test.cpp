#include "agent/spool.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "agent/state.h"
#include "tests/support/temp_dir.h"

using posture::test::TempDir;

using namespace posture::agent;
namespace fs = std::filesystem;

namespace {
std::string body(std::uint64_t seq, std::size_t size = 10) {
  return "report-" + std::to_string(seq) + std::string(size, '.');
}
}  // namespace

TEST_CASE("reports leave the spool in order and numbers never repeat") {
  TempDir dir;
  Spool spool(dir.path());
  for (int i = 0; i < 3; ++i) spool.push([](std::uint64_t s) { return body(s); });
  CHECK(spool.size() == 3);
  for (std::uint64_t want = 1; want <= 3; ++want) {
    auto next = spool.oldest();
    REQUIRE(next);
    CHECK(next->sequence == want);
    CHECK(next->body == body(want));
    spool.remove(want);
  }
  CHECK_FALSE(spool.oldest());
  CHECK(spool.push([](std::uint64_t s) { return body(s); }) == 4);
}

TEST_CASE("the spool and its counter survive reopening") {
  TempDir dir;
  {
    Spool spool(dir.path());
    spool.push([](std::uint64_t s) { return body(s); });
    spool.push([](std::uint64_t s) { return body(s); });
    spool.remove(1);
  }
  Spool again(dir.path());
  CHECK(again.size() == 1);
  CHECK(again.oldest()->sequence == 2);
  CHECK(again.push([](std::uint64_t s) { return body(s); }) == 3);
}

TEST_CASE("when full by count the oldest state reports are dropped, never the newest") {
  TempDir dir;
  Spool spool(dir.path(), SpoolLimits{3, 1 << 20});
  for (int i = 0; i < 5; ++i) spool.push([](std::uint64_t s) { return body(s); });
  CHECK(spool.size() == 3);
  CHECK(spool.compacted() == 2);
  CHECK(spool.oldest()->sequence == 3);
}

TEST_CASE("when full by bytes the spool compacts, and one oversized report still stays") {
  TempDir dir;
  Spool spool(dir.path(), SpoolLimits{1000, 100});
  spool.push([](std::uint64_t s) { return body(s, 40); });
  spool.push([](std::uint64_t s) { return body(s, 40); });
  CHECK(spool.size() == 2);
  spool.push([](std::uint64_t s) { return body(s, 40); });
  CHECK(spool.size() == 2);
  CHECK(spool.bytes() <= 100);
  spool.push([](std::uint64_t s) { return body(s, 500); });
  CHECK(spool.size() == 1);
  CHECK(spool.oldest()->sequence == 4);
}

TEST_CASE("a second agent on the same state directory is refused with the first one's pid") {
  TempDir dir;
  InstanceLock first(dir.path());
  try {
    InstanceLock second(dir.path());
    FAIL("the second lock should have been refused");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("pid " + std::to_string(::getpid())) != std::string::npos);
  }
}
