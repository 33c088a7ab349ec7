#include "common/util/deadline.h"

#include <doctest/doctest.h>

using namespace posture::util;
using namespace std::chrono_literals;

TEST_CASE("remaining: what is left of a deadline, never below the floor") {
  auto d = deadlineIn(10s);
  CHECK(remaining(d) > 9s);
  CHECK(remaining(d) <= 10s);
  CHECK(remaining(d, 20s) == 20s);  // the floor wins when larger
  auto past = SteadyClock::now() - 5s;
  CHECK(remaining(past) == 0ms);  // spent: 0, not negative
  CHECK(remaining(past, 100ms) == 100ms);
  CHECK(remaining(deadlineIn(0s)) == 0ms);
}
