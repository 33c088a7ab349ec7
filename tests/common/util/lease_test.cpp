// A Lease releases its place exactly once: at destruction, never after a move.
#include "common/util/lease.h"

#include <doctest/doctest.h>

#include <optional>
#include <vector>

using posture::util::Lease;

TEST_CASE("a lease releases once, when the last holder goes") {
  int released = 0;
  {
    Lease a([&] { ++released; });
    Lease b(std::move(a));
    std::optional<Lease> c(std::move(b));
    CHECK(released == 0);
    c.reset();
    CHECK(released == 1);
  }
  CHECK(released == 1);
  std::vector<Lease> many;
  for (int i = 0; i < 10; ++i) many.emplace_back([&] { ++released; });
  many.clear();
  CHECK(released == 11);
}
