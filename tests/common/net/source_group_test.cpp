// Source groups: IPv4 per address, IPv6 per /64 (one host may use any address of its /64),
// IPv4-mapped IPv6 as IPv4, garbage as one group; and the address part of "ADDR:PORT".
#include "common/net/http_server.h"

#include <doctest/doctest.h>

using namespace posture::net;

TEST_CASE("IPv4 addresses are their own group") {
  CHECK(sourceGroup("203.0.113.9") == "203.0.113.9");
  CHECK(sourceGroup("127.0.0.2") == "127.0.0.2");
  CHECK(sourceGroup("127.0.0.1") != sourceGroup("127.0.0.2"));
}

TEST_CASE("IPv6 addresses are grouped by their /64") {
  CHECK(sourceGroup("2001:db8:1:2::7") == "2001:db8:1:2::/64");
  // Any address of the /64, however written, is the same group...
  CHECK(sourceGroup("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64");
  CHECK(sourceGroup("2001:0DB8:0001:0002:a:b:c:d") == "2001:db8:1:2::/64");
  CHECK(sourceGroup("2001:db8:1:2:8000::1%eth0") == "2001:db8:1:2::/64");
  // ...and the next /64 is another.
  CHECK(sourceGroup("2001:db8:1:3::7") == "2001:db8:1:3::/64");
  CHECK(sourceGroup("::1") == "::/64");
  CHECK(sourceGroup("fe80::1234:5678") == "fe80::/64");
}

TEST_CASE("IPv4-mapped IPv6 is IPv4; anything else is one 'invalid' group") {
  CHECK(sourceGroup("::ffff:203.0.113.9") == "203.0.113.9");
  CHECK(sourceGroup("::ffff:cb00:7109") == "203.0.113.9");
  for (const char* junk : {"", "localhost", "203.0.113", "1.2.3.4.5", "2001:db8::1::2", "[::1]",
                           "' OR 1=1 --", "2001:db8::1:443:80:1:2:3:4"}) {
    CAPTURE(junk);
    CHECK(sourceGroup(junk) == "invalid");
  }
  CHECK(sourceGroup(std::string(200, '1')) == "invalid");
}

TEST_CASE("the address part of net::Request::remote") {
  CHECK(remoteAddress("203.0.113.9:51234") == "203.0.113.9");
  CHECK(remoteAddress("2001:db8::1:443") == "2001:db8::1");  // asio prints v6 without brackets
  CHECK(remoteAddress("[2001:db8::1]:443") == "2001:db8::1");
  CHECK(remoteAddress("127.0.0.2") == "127.0.0.2");  // no port at all
  CHECK(remoteAddress("") == "");
  CHECK(sourceGroup(remoteAddress("2001:db8:1:2::9:60000")) == "2001:db8:1:2::/64");
}
