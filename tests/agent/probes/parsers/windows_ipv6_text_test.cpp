// formatAddress and isIpv6Literal are written without inet_ntop/inet_pton so that the
// Windows build (where every parser is compiled too) gives the same text; these tests pin
// them to glibc's output.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "agent/probes/parsers/proc_net_ipv6.h"

#ifndef _WIN32
#include <arpa/inet.h>
#endif

using namespace posture::agent::parsers;

namespace {

Ipv6Bytes words(std::initializer_list<unsigned> w) {
  Ipv6Bytes b{};
  std::size_t i = 0;
  for (unsigned x : w) {
    b[i++] = static_cast<std::uint8_t>(x >> 8);
    b[i++] = static_cast<std::uint8_t>(x & 0xff);
  }
  return b;
}

}  // namespace

TEST_CASE("formatAddress follows RFC 5952 as glibc writes it") {
  CHECK(formatAddress(words({0, 0, 0, 0, 0, 0, 0, 0})) == "::");
  CHECK(formatAddress(words({0, 0, 0, 0, 0, 0, 0, 1})) == "::1");
  CHECK(formatAddress(words({0, 0, 0, 0, 0, 0, 0, 2})) == "::2");
  CHECK(formatAddress(words({1, 0, 0, 0, 0, 0, 0, 0})) == "1::");
  CHECK(formatAddress(words({0x2001, 0xdb8, 0, 0, 1, 0, 0, 1})) == "2001:db8::1:0:0:1");
  CHECK(formatAddress(words({1, 0, 0, 1, 0, 0, 0, 1})) == "1:0:0:1::1");
  CHECK(formatAddress(words({1, 0, 1, 0, 1, 0, 1, 0})) == "1:0:1:0:1:0:1:0");  // single zeros stay
  CHECK(formatAddress(words({0, 0, 0, 0, 0, 1, 0, 0})) == "::1:0:0");
  CHECK(formatAddress(words({0xfe80, 0, 0, 0, 0x1234, 0xabcd, 0xef, 1})) == "fe80::1234:abcd:ef:1");
  CHECK(formatAddress(words({0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304})) == "::ffff:1.2.3.4");
  CHECK(formatAddress(words({0, 0, 0, 0, 0, 0, 0x0102, 0x0304})) == "::1.2.3.4");
  CHECK(formatAddress(words({0, 0, 0, 0, 0xffff, 0, 0x0102, 0x0304})) == "::ffff:0:102:304");
  CHECK(formatAddress(words({0x64, 0xff9b, 0, 0, 0, 0, 0x0102, 0x0304})) == "64:ff9b::102:304");
  CHECK(formatAddress(words({0, 0, 0, 0, 0, 0, 0xffff, 0})) == "::255.255.0.0");
}

TEST_CASE("isIpv6Literal accepts what inet_pton accepts") {
  for (const char* ok : {"::", "::1", "2001:db8::1", "2001:DB8::1", "fe80::1%eth0", "fe80::1%12",
                         "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
                         "0:0:0:0:0:ffff:1.2.3.4", "2001:db8:0:0:0:0:0:1"}) {
    CAPTURE(ok);
    CHECK(isIpv6Literal(ok));
  }
  for (const char* bad :
       {"", ":", ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
        "::1.2.3", "::1.2.3.256", "::01.2.3.4", "1.2.3.4", "g::1", "fe80::1%",
        ":1::", "1::2:", "::ffff:1.2.3.4:5", "1.2.3.4::", " ::1"}) {
    CAPTURE(bad);
    CHECK_FALSE(isIpv6Literal(bad));
  }
}

#ifndef _WIN32
TEST_CASE("formatAddress and isIpv6Literal agree with glibc on random addresses") {
  std::mt19937 rng(20240605);
  std::uniform_int_distribution<int> byte(0, 255), pick(0, 3);
  for (int n = 0; n < 20000; ++n) {
    Ipv6Bytes b{};
    // Many zero groups, so that runs and the IPv4 forms are exercised.
    for (std::size_t i = 0; i < 16; i += 2) {
      int kind = pick(rng);
      b[i] = kind == 0 ? static_cast<std::uint8_t>(byte(rng)) : 0;
      b[i + 1] = kind <= 1 ? static_cast<std::uint8_t>(byte(rng)) : 0;
    }
    if (n % 7 == 0) b[10] = b[11] = 0xff;
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, b.data(), buf, sizeof buf);
    CAPTURE(buf);
    auto text = formatAddress(b);
    REQUIRE(text == std::string(buf));
    REQUIRE(isIpv6Literal(text));
  }
}
#endif
