// The rtnetlink decoders, from messages built here the way the kernel lays them out
// (nlmsghdr, fixed header, 4-byte aligned rtattrs), and one live dump of this host.
#include "agent/probes/linux/netlink.h"

#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>

using namespace posture::agent::netlink;

namespace {

class Message {
 public:
  template <typename T>
  Message(std::uint16_t type, const T& fixed) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = NLM_F_MULTI;
    append(&h, sizeof h);
    append(&fixed, sizeof fixed);
    pad();
  }
  Message& attr(std::uint16_t type, const void* data, std::size_t len) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<std::uint16_t>(RTA_LENGTH(len));
    append(&a, sizeof a);
    append(data, len);
    pad();
    return *this;
  }
  Message& address(std::uint16_t type, const char* text) {
    std::uint8_t b[16];
    REQUIRE(::inet_pton(AF_INET6, text, b) == 1);
    return attr(type, b, 16);
  }
  template <typename T>
  Message& value(std::uint16_t type, const T& v) {
    return attr(type, &v, sizeof v);
  }
  // Appends the finished message (length filled in) to a dump.
  void to(Bytes& dump) {
    auto len = static_cast<std::uint32_t>(bytes_.size());
    std::memcpy(bytes_.data(), &len, sizeof len);
    dump.insert(dump.end(), bytes_.begin(), bytes_.end());
  }

 private:
  void append(const void* p, std::size_t n) {
    auto* c = static_cast<const std::uint8_t*>(p);
    bytes_.insert(bytes_.end(), c, c + n);
  }
  void pad() { bytes_.resize(NLMSG_ALIGN(bytes_.size())); }
  Bytes bytes_;
};

Address16 bytesOf(const char* text) {
  Address16 a{};
  ::inet_pton(AF_INET6, text, a.data());
  return a;
}

}  // namespace

TEST_CASE("decodeAddresses reads IFA_FLAGS, IFA_CACHEINFO and IFA_PROTO") {
  Bytes dump;
  ifaddrmsg slaac{};
  slaac.ifa_family = AF_INET6;
  slaac.ifa_prefixlen = 64;
  slaac.ifa_flags = 0;  // the 8-bit field; IFA_FLAGS below carries the full value
  slaac.ifa_scope = RT_SCOPE_UNIVERSE;
  slaac.ifa_index = 2;
  ifa_cacheinfo ci{};
  ci.ifa_prefered = 14400;
  ci.ifa_valid = 86400;
  std::uint8_t proto = IFAPROT_KERNEL_RA;
  Message(RTM_NEWADDR, slaac)
      .address(IFA_ADDRESS, "2001:db8:1::10")
      .value(IFA_FLAGS, std::uint32_t{IFA_F_MANAGETEMPADDR | IFA_F_DEPRECATED})
      .value(IFA_CACHEINFO, ci)
      .attr(IFA_PROTO, &proto, 1)
      .to(dump);

  ifaddrmsg old{};  // an older kernel: 8-bit flags only, no IFA_FLAGS or IFA_PROTO
  old.ifa_family = AF_INET6;
  old.ifa_prefixlen = 128;
  old.ifa_flags = IFA_F_PERMANENT | IFA_F_DADFAILED;
  old.ifa_index = 3;
  Message(RTM_NEWADDR, old).address(IFA_ADDRESS, "2001:db8::99").to(dump);

  ifaddrmsg v4{};  // another family in the same buffer is skipped
  v4.ifa_family = AF_INET;
  std::uint32_t ip4 = 0x0100000a;
  Message(RTM_NEWADDR, v4).value(IFA_ADDRESS, ip4).to(dump);

  auto a = decodeAddresses(dump);
  REQUIRE(a.size() == 2);
  CHECK(a[0].address == bytesOf("2001:db8:1::10"));
  CHECK(a[0].ifindex == 2);
  CHECK(a[0].prefixLength == 64);
  CHECK(a[0].flags == (IFA_F_MANAGETEMPADDR | IFA_F_DEPRECATED));
  CHECK(a[0].preferred == 14400u);
  CHECK(a[0].valid == 86400u);
  CHECK(a[0].proto == IFAPROT_KERNEL_RA);
  CHECK(a[1].address == bytesOf("2001:db8::99"));
  CHECK(a[1].flags == (IFA_F_PERMANENT | IFA_F_DADFAILED));
  CHECK(a[1].proto == -1);
  CHECK_FALSE(a[1].valid);
}

TEST_CASE("decodeAddresses prefers IFA_LOCAL and stops at a truncated message") {
  Bytes dump;
  ifaddrmsg p2p{};
  p2p.ifa_family = AF_INET6;
  p2p.ifa_prefixlen = 128;
  Message(RTM_NEWADDR, p2p).address(IFA_ADDRESS, "2001:db8::2").address(IFA_LOCAL, "2001:db8::1").to(dump);
  auto whole = dump.size();
  Message(RTM_NEWADDR, p2p).address(IFA_ADDRESS, "2001:db8::3").to(dump);
  dump.resize(whole + 20);
  auto a = decodeAddresses(dump);
  REQUIRE(a.size() == 1);
  CHECK(a[0].address == bytesOf("2001:db8::1"));
}

TEST_CASE("findDefaultRoute takes the main-table unicast default and names its origin") {
  Bytes dump;
  auto route = [&](std::uint8_t dstLen, std::uint8_t table, std::uint8_t type, std::uint8_t protocol,
                   const char* gateway, std::uint32_t oif) {
    rtmsg m{};
    m.rtm_family = AF_INET6;
    m.rtm_dst_len = dstLen;
    m.rtm_table = table;
    m.rtm_type = type;
    m.rtm_protocol = protocol;
    Message msg(RTM_NEWROUTE, m);
    msg.value(RTA_TABLE, std::uint32_t{table}).value(RTA_OIF, oif);
    if (gateway) msg.address(RTA_GATEWAY, gateway);
    msg.to(dump);
  };
  route(64, RT_TABLE_MAIN, RTN_UNICAST, RTPROT_RA, nullptr, 2);             // on-link prefix
  route(0, RT_TABLE_MAIN, RTN_UNREACHABLE, RTPROT_STATIC, nullptr, 1);      // refuses traffic
  route(0, RT_TABLE_LOCAL, RTN_UNICAST, RTPROT_STATIC, "fe80::9", 2);       // another table
  route(0, RT_TABLE_MAIN, RTN_UNICAST, RTPROT_RA, "fe80::1", 2);            // the default
  auto routes = decodeRoutes(dump);
  REQUIRE(routes.size() == 4);
  auto d = findDefaultRoute(routes);
  REQUIRE(d);
  CHECK(d->hasGateway);
  CHECK(d->gateway == bytesOf("fe80::1"));
  CHECK(d->oif == 2);
  CHECK(routeOrigin(d->protocol) == "ra");
  CHECK(routeOrigin(RTPROT_STATIC) == "static");
  CHECK(routeOrigin(RTPROT_BOOT) == "boot");
  CHECK(routeOrigin(200) == "proto 200");
  routes.pop_back();
  CHECK_FALSE(findDefaultRoute(routes));
}

TEST_CASE("decodeRoutes reads the first next hop of a multipath default") {
  rtmsg m{};
  m.rtm_family = AF_INET6;
  m.rtm_table = RT_TABLE_MAIN;
  m.rtm_type = RTN_UNICAST;
  m.rtm_protocol = RTPROT_STATIC;
  // rtnexthop followed by its own RTA_GATEWAY attribute.
  Bytes hop(sizeof(rtnexthop));
  rtattr ga{};
  ga.rta_type = RTA_GATEWAY;
  ga.rta_len = static_cast<std::uint16_t>(RTA_LENGTH(16));
  auto gw = bytesOf("fe80::2");
  hop.insert(hop.end(), reinterpret_cast<std::uint8_t*>(&ga), reinterpret_cast<std::uint8_t*>(&ga) + sizeof ga);
  hop.insert(hop.end(), gw.begin(), gw.end());
  rtnexthop nh{};
  nh.rtnh_len = static_cast<unsigned short>(hop.size());
  nh.rtnh_ifindex = 4;
  std::memcpy(hop.data(), &nh, sizeof nh);
  Bytes dump;
  Message(RTM_NEWROUTE, m).attr(RTA_MULTIPATH, hop.data(), hop.size()).to(dump);
  auto d = findDefaultRoute(decodeRoutes(dump));
  REQUIRE(d);
  CHECK(d->gateway == bytesOf("fe80::2"));
  CHECK(d->oif == 4);
}

TEST_CASE("decodeLinks reads index and name") {
  ifinfomsg i{};
  i.ifi_index = 7;
  Bytes dump;
  Message(RTM_NEWLINK, i).attr(IFLA_IFNAME, "eth0", 5).to(dump);
  auto l = decodeLinks(dump);
  REQUIRE(l.size() == 1);
  CHECK(l[0].index == 7);
  CHECK(l[0].name == "eth0");
}

TEST_CASE("dump reads this host's links and loopback address from the kernel") {
  auto links = dump(RTM_GETLINK, AF_UNSPEC, std::chrono::seconds(3));
  REQUIRE(links.error.empty());
  bool lo = false;
  for (const auto& l : decodeLinks(links.bytes)) lo = lo || l.name == "lo";
  CHECK(lo);
  auto routes = dump(RTM_GETROUTE, AF_INET6, std::chrono::seconds(3));
  CHECK(routes.error.empty());
}
