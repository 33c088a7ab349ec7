#include "agent/spool.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

#include "common/uplink/state.h"
#include "common/db/sqlite.h"
#include "tests/support/temp_dir.h"

using posture::test::TempDir;

using namespace posture::agent;
using namespace posture::uplink;
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

namespace {
// What the queue holds, straight from the file: (sequence, kind, created_at, body).
struct Row {
  std::int64_t sequence, createdAt;
  std::string kind, body;
  bool operator==(const Row&) const = default;
};
std::vector<Row> rows(const fs::path& dir) {
  posture::db::Connection c(dir / "spool.db", posture::db::Connection::Mode::ReadOnly);
  auto st = c.prepare("SELECT sequence, created_at, kind, body FROM queue ORDER BY sequence");
  std::vector<Row> out;
  while (st.step()) out.push_back({st.getInt(0), st.getInt(1), st.getText(2), st.getBlob(3)});
  return out;
}
std::string renumbered(const std::string& old, std::uint64_t seq) {
  return old + "@" + std::to_string(seq);
}
}  // namespace

TEST_CASE("after a sequence conflict the queue is numbered after the collector's last, in order") {
  TempDir dir;
  std::vector<Row> before;
  {
    Spool spool(dir.path());
    for (int i = 0; i < 4; ++i) spool.push([](std::uint64_t s) { return body(s); });
    spool.remove(1);  // acknowledged earlier: gone, and stays gone
    before = rows(dir.path());
    CHECK(spool.renumberAfter(41, renumbered) == 3);
  }
  auto after = rows(dir.path());
  REQUIRE(after.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(after[i].sequence == 42 + static_cast<std::int64_t>(i));
    CHECK(after[i].body == renumbered(before[i].body, 42 + i));  // same report, same order
    CHECK(after[i].kind == before[i].kind);
    CHECK(after[i].createdAt == before[i].createdAt);
  }
  // The counter moved past them, and stays there after reopening.
  Spool again(dir.path());
  CHECK(again.push([](std::uint64_t s) { return body(s); }) == 45);
}

TEST_CASE("renumbering that fails half way leaves the old numbering whole") {
  TempDir dir;
  Spool spool(dir.path());
  for (int i = 0; i < 3; ++i) spool.push([](std::uint64_t s) { return body(s); });
  auto before = rows(dir.path());
  int calls = 0;
  CHECK_THROWS_AS(spool.renumberAfter(10,
                                      [&](const std::string& b, std::uint64_t s) {
                                        if (++calls == 2) throw std::runtime_error("disk full");
                                        return renumbered(b, s);
                                      }),
                  std::runtime_error);
  CHECK(rows(dir.path()) == before);
  CHECK(spool.push([](std::uint64_t s) { return body(s); }) == 4);
  // Beyond what SQLite's signed 64 bits hold: refused, nothing changed.
  before = rows(dir.path());
  CHECK_THROWS_AS(spool.renumberAfter(std::uint64_t(1) << 63, renumbered), std::invalid_argument);
  CHECK(rows(dir.path()) == before);
}
