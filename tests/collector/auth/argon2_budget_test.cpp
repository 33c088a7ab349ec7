// The Argon2 budget: a bounded number of hashes at once, a bounded number waiting, a share
// per source group; places given back; the bound holds under real threads.
#include "collector/auth/argon2_budget.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "collector/auth/users.h"

using namespace posture::collector::auth;

TEST_CASE("admission: the total and each source's share are bounded; places come back") {
  Argon2Budget b({2, 3, 2});  // 2 running + 3 waiting = 5 places, 2 per source
  std::vector<Argon2Budget::Ticket> held;
  auto a1 = b.admit("10.0.0.1");
  auto a2 = b.admit("10.0.0.1");
  REQUIRE(a1);
  REQUIRE(a2);
  CHECK_FALSE(b.admit("10.0.0.1"));  // the flood's share is used up...
  auto other = b.admit("10.0.0.2");  // ...and somebody else still gets in
  CHECK(other);
  for (const char* g : {"10.0.0.3", "10.0.0.4"}) {
    auto t = b.admit(g);
    REQUIRE(t);
    held.push_back(std::move(*t));
  }
  CHECK_FALSE(b.admit("10.0.0.5"));  // all five places taken
  CHECK(b.stats().admitted == 5);
  CHECK(b.stats().refused == 2);
  held.clear();
  CHECK(b.stats().admitted == 3);
  CHECK(b.admit("10.0.0.5"));  // a temporary: admitted and given back at once
  a1.reset();
  CHECK(b.admit("10.0.0.1"));
  CHECK(b.stats().admitted == 2);
}

TEST_CASE("never more hashes at once than the budget allows, with many threads") {
  Argon2Budget b({2, 64, 64});
  constexpr Argon2Params kCheap{1, 8, 1};
  const std::string h = hashPassword("mười hai ký tự", kCheap);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 20; ++n) {
        auto ticket = b.admit("10.0.0." + std::to_string(i));
        if (!ticket) continue;
        if (b.hash(*ticket, [&] { return verifyPassword(h, "mười hai ký tự"); })) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto s = b.stats();
  MESSAGE("peak Argon2 hashes at once: " << s.peakRunning << " (limit 2), " << ok.load()
                                         << " verified");
  CHECK(s.peakRunning >= 1);
  CHECK(s.peakRunning <= 2);
  CHECK(s.running == 0);
  CHECK(s.admitted == 0);
  CHECK(ok.load() == 160);
}

TEST_CASE("a ticket may outlive its budget (a request abandoned at shutdown)") {
  std::optional<Argon2Budget::Ticket> ticket;
  {
    Argon2Budget b;
    auto admitted = b.admit("10.0.0.1");
    REQUIRE(admitted);
    ticket.emplace(std::move(*admitted));
  }
  ticket.reset();  // gives back into counters it keeps alive (the sanitizer build checks)
  CHECK_FALSE(ticket);
}
