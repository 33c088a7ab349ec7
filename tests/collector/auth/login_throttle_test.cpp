// The login throttle: locks per (name, source group), doubling; a source group blocked after
// many failures across names; IPv6 keyed on the /64; memory bounded.
#include "collector/auth/login_throttle.h"

#include <doctest/doctest.h>

#include "common/net/http_server.h"

using namespace posture::collector::auth;
using Kind = LoginThrottle::Verdict::Kind;

TEST_CASE("five failures lock (name, source) for 30 s, doubling to 15 min; success resets") {
  LoginThrottle t;
  std::int64_t now = 1000;
  for (int i = 0; i < 4; ++i) {
    t.failed("minh", "10.0.0.5", now);
    CHECK(t.check("minh", "10.0.0.5", now).free());
  }
  t.failed("minh", "10.0.0.5", now);  // the fifth
  auto v = t.check("minh", "10.0.0.5", now + 1);
  CHECK(v.kind == Kind::NameLocked);
  CHECK(v.retryAfter == 29);
  CHECK(t.check("minh", "10.0.0.5", now + 30).free());
  t.failed("minh", "10.0.0.5", now + 30);
  CHECK(t.check("minh", "10.0.0.5", now + 31).retryAfter == 59);
  std::int64_t at = now + 90;
  for (int i = 0; i < 10; ++i, at += 1000) t.failed("minh", "10.0.0.5", at);
  CHECK(t.check("minh", "10.0.0.5", at - 1000).retryAfter == 15 * 60);  // capped
  t.succeeded("minh", "10.0.0.5");
  CHECK(t.check("minh", "10.0.0.5", at - 999).free());
  t.failed("minh", "10.0.0.5", at);
  CHECK(t.check("minh", "10.0.0.5", at).free());  // counting starts again
}

TEST_CASE("a lock holds one (name, source): the owner elsewhere and other names are free") {
  LoginThrottle t;
  for (int i = 0; i < 10; ++i) t.failed("admin", "127.0.0.2", 1000 + i);
  CHECK(t.check("admin", "127.0.0.2", 1010).kind == Kind::NameLocked);
  CHECK(t.check("admin", "127.0.0.1", 1010).free());
  CHECK(t.check("minh", "127.0.0.2", 1010).free());
  // Unknown names are counted exactly like real ones (the throttle does not know which is which).
  for (int i = 0; i < 5; ++i) t.failed("ghost", "127.0.0.3", 1000 + i);
  for (int i = 0; i < 5; ++i) t.failed("real", "127.0.0.4", 1000 + i);
  CHECK(t.check("ghost", "127.0.0.3", 1005).retryAfter ==
        t.check("real", "127.0.0.4", 1005).retryAfter);
  // Names are compared on their first 64 bytes.
  std::string longName(64, 'a');
  for (int i = 0; i < 5; ++i) t.failed(longName + "x" + std::to_string(i), "127.0.0.5", 1000);
  CHECK(t.check(longName + "zzz", "127.0.0.5", 1001).kind == Kind::NameLocked);
}

TEST_CASE("one source failing across 20 names is blocked until its 15-minute window ends") {
  LoginThrottle t;
  for (int i = 0; i < 19; ++i) t.failed("spray" + std::to_string(i), "203.0.113.9", 1000 + i);
  CHECK(t.check("minh", "203.0.113.9", 1100).free());
  t.failed("spray19", "203.0.113.9", 1019);
  auto v = t.check("minh", "203.0.113.9", 1100);
  CHECK(v.kind == Kind::SourceLocked);
  CHECK(v.retryAfter == 1000 + 15 * 60 - 1100);
  CHECK(t.check("minh", "198.51.100.7", 1100).free());
  CHECK(t.check("minh", "203.0.113.9", 1000 + 15 * 60).free());
}

TEST_CASE("IPv6: the whole /64 is one source, so walking through its addresses gains nothing") {
  LoginThrottle t;
  // Each attempt from a fresh address of the same /64, as a host with privacy addresses can.
  for (int i = 0; i < 5; ++i) {
    std::string address = "2001:db8:1:2::" + std::to_string(1000 + i);
    t.failed("admin", posture::net::sourceGroup(address), 1000 + i);
  }
  auto fresh = posture::net::sourceGroup("2001:db8:1:2:abcd:ef01:2345:6789");
  CHECK(t.check("admin", fresh, 1005).kind == Kind::NameLocked);
  // The neighbouring /64 is somebody else.
  CHECK(t.check("admin", posture::net::sourceGroup("2001:db8:1:3::1"), 1005).free());
  // Spraying names from many addresses of one /64 blocks the /64.
  for (int i = 0; i < 20; ++i)
    t.failed("n" + std::to_string(i), posture::net::sourceGroup("2001:db8:9:9::" + std::to_string(i + 1)), 2000);
  CHECK(t.check("other", posture::net::sourceGroup("2001:db8:9:9:ffff::1"), 2001).kind == Kind::SourceLocked);
}

TEST_CASE("memory is bounded: forgotten entries go first, then the oldest") {
  ThrottleLimits limits;
  limits.maxTracked = 100;
  LoginThrottle t(limits);
  for (int i = 0; i < 1000; ++i)
    t.failed("name" + std::to_string(i),
             "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), 1000 + i);
  CHECK(t.tracked() <= 200);  // both maps
  // A lock in force outlives a later spray of names that fills the table.
  for (int i = 0; i < 5; ++i) t.failed("admin", "10.9.9.9", 5000);
  for (int i = 0; i < 300; ++i)
    t.failed("late" + std::to_string(i), "10.8.0." + std::to_string(i % 3), 5001);
  CHECK(t.tracked() <= 200);
  CHECK(t.check("admin", "10.9.9.9", 5010).kind == Kind::NameLocked);
}
