// The overview's cache: current until an alert is acted on in the console, or the
// collector's generation moved and it is over kMinAge old, or kMaxAge passed; nothing is
// cached without a generation source.
#include "collector/console/overview_cache.h"

#include <doctest/doctest.h>

#include <atomic>

using namespace posture::collector::console;
using namespace std::chrono_literals;

namespace {
std::shared_ptr<const OverviewSnapshot> snapshot(const OverviewCache& cache, OverviewCache::Clock::time_point at) {
  auto s = std::make_shared<OverviewSnapshot>();
  s->generation = cache.generation();
  s->builtAt = at;
  return s;
}
}  // namespace

TEST_CASE("a snapshot stays current while nothing moves, until kMaxAge") {
  std::atomic<std::uint64_t> collector{7};
  OverviewCache cache([&] { return collector.load(); });
  auto t0 = OverviewCache::Clock::now();
  CHECK_FALSE(cache.current(t0));  // empty
  auto s = snapshot(cache, t0);
  cache.store(s);
  CHECK(cache.current(t0) == s);
  CHECK(cache.current(t0 + 29s) == s);
  CHECK_FALSE(cache.current(t0 + OverviewCache::kMaxAge + 1s));
}

TEST_CASE("the collector's generation makes it stale only once it is kMinAge old") {
  std::atomic<std::uint64_t> collector{7};
  OverviewCache cache([&] { return collector.load(); });
  auto t0 = OverviewCache::Clock::now();
  auto s = snapshot(cache, t0);
  cache.store(s);
  ++collector;  // reports streaming in
  CHECK(cache.current(t0 + 1s) == s);
  CHECK(cache.current(t0 + OverviewCache::kMinAge) == s);
  CHECK_FALSE(cache.current(t0 + OverviewCache::kMinAge + 1s));
  // A snapshot built now is current again.
  auto again = snapshot(cache, t0 + 6s);
  CHECK(again->generation.first == 8);
  cache.store(again);
  CHECK(cache.current(t0 + 7s) == again);
}

TEST_CASE("an alert action in the console makes it stale at once") {
  OverviewCache cache([] { return std::uint64_t{1}; });
  auto t0 = OverviewCache::Clock::now();
  cache.store(snapshot(cache, t0));
  REQUIRE(cache.current(t0));
  cache.noteTriage();
  CHECK(cache.generation().second == 1);
  CHECK_FALSE(cache.current(t0));
  // A snapshot whose generation was read before the action stays stale.
  auto early = std::make_shared<OverviewSnapshot>();
  early->builtAt = t0;
  early->generation = {1, 0};
  cache.store(early);
  CHECK_FALSE(cache.current(t0));
}

TEST_CASE("without a generation source nothing is cached") {
  OverviewCache cache(nullptr);
  auto t0 = OverviewCache::Clock::now();
  cache.store(snapshot(cache, t0));
  CHECK_FALSE(cache.current(t0));
  CHECK(cache.generation() == OverviewGeneration{0, 0});
}
