#include "agent/probes/linux/netlink.h"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace posture::agent::netlink {
namespace {

class Socket {
 public:
  Socket() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Walks the netlink messages of a dump, calling f(header, payload, payloadLength) for each
// complete message; stops at a truncated one.
template <typename F>
void forEachMessage(const Bytes& bytes, F&& f) {
  std::size_t off = 0;
  while (off + sizeof(nlmsghdr) <= bytes.size()) {
    nlmsghdr h;
    std::memcpy(&h, bytes.data() + off, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || off + h.nlmsg_len > bytes.size()) return;
    f(h, bytes.data() + off + NLMSG_HDRLEN, static_cast<std::size_t>(h.nlmsg_len) - NLMSG_HDRLEN);
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
}

// Walks the rtattr list that follows a fixed header of `fixed` bytes.
template <typename F>
void forEachAttribute(const std::uint8_t* p, std::size_t len, std::size_t fixed, F&& f) {
  std::size_t off = NLMSG_ALIGN(fixed);
  while (off + sizeof(rtattr) <= len) {
    rtattr a;
    std::memcpy(&a, p + off, sizeof a);
    if (a.rta_len < sizeof(rtattr) || off + a.rta_len > len) return;
    f(a.rta_type, p + off + RTA_LENGTH(0), static_cast<std::size_t>(a.rta_len) - RTA_LENGTH(0));
    off += RTA_ALIGN(a.rta_len);
  }
}

template <typename T>
std::optional<T> readAs(const std::uint8_t* p, std::size_t len) {
  if (len < sizeof(T)) return std::nullopt;
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

Dump dump(std::uint16_t type, std::uint8_t family, std::chrono::milliseconds timeout) {
  Dump out;
  Socket s;
  if (s.get() < 0) {
    out.error = std::string("netlink socket: ") + std::strerror(errno);
    return out;
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  // Every dump request starts with a header whose first byte is the family; rtgenmsg is
  // padded to the size of the largest request header the kernel may look at.
  struct {
    nlmsghdr header;
    union {
      rtgenmsg gen;
      ifaddrmsg addr;
      rtmsg route;
      ifinfomsg link;
    } body;
  } request{};
  const std::uint32_t seq = 1;
  std::size_t bodyLength = type == RTM_GETADDR ? sizeof(ifaddrmsg)
                           : type == RTM_GETROUTE ? sizeof(rtmsg)
                                                  : sizeof(ifinfomsg);
  request.header.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(bodyLength));
  request.header.nlmsg_type = type;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = seq;
  request.body.gen.rtgen_family = family;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(s.get(), &request, request.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    out.error = std::string("netlink send: ") + std::strerror(errno);
    return out;
  }

  std::vector<std::uint8_t> buffer(64 * 1024);
  for (;;) {
    ssize_t n;
    do {
      n = ::recv(s.get(), buffer.data(), buffer.size(), MSG_TRUNC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      out.error = errno == EAGAIN || errno == EWOULDBLOCK ? "netlink dump timed out"
                                                          : std::string("netlink recv: ") + std::strerror(errno);
      out.bytes.clear();
      return out;
    }
    if (static_cast<std::size_t>(n) > buffer.size()) {
      out.error = "netlink reply larger than the receive buffer";
      out.bytes.clear();
      return out;
    }
    bool done = false;
    Bytes chunk(buffer.begin(), buffer.begin() + n);
    forEachMessage(chunk, [&](const nlmsghdr& h, const std::uint8_t* p, std::size_t len) {
      if (h.nlmsg_seq != seq) return;
      if (h.nlmsg_type == NLMSG_DONE) {
        done = true;
      } else if (h.nlmsg_type == NLMSG_ERROR) {
        auto e = readAs<nlmsgerr>(p, len);
        int code = e ? -e->error : EPROTO;
        if (code != 0) out.error = std::string("netlink dump: ") + std::strerror(code);
        done = true;
      }
    });
    if (!out.error.empty()) {
      out.bytes.clear();
      return out;
    }
    out.bytes.insert(out.bytes.end(), chunk.begin(), chunk.end());
    if (done) return out;
    if (n == 0) {
      out.error = "netlink socket closed before the dump ended";
      out.bytes.clear();
      return out;
    }
  }
}

std::vector<AddrInfo> decodeAddresses(const Bytes& bytes) {
  std::vector<AddrInfo> out;
  forEachMessage(bytes, [&](const nlmsghdr& h, const std::uint8_t* p, std::size_t len) {
    if (h.nlmsg_type != RTM_NEWADDR) return;
    auto m = readAs<ifaddrmsg>(p, len);
    if (!m || m->ifa_family != AF_INET6) return;
    AddrInfo a;
    a.ifindex = m->ifa_index;
    a.prefixLength = m->ifa_prefixlen;
    a.scope = m->ifa_scope;
    a.flags = m->ifa_flags;
    bool haveLocal = false;
    forEachAttribute(p, len, sizeof(ifaddrmsg), [&](unsigned short type, const std::uint8_t* v, std::size_t n) {
      switch (type) {
        case IFA_ADDRESS:
        case IFA_LOCAL:
          // IFA_LOCAL is the local end of a point-to-point link and wins over IFA_ADDRESS.
          if (n >= 16 && (type == IFA_LOCAL || !haveLocal)) {
            std::memcpy(a.address.data(), v, 16);
            a.hasAddress = true;
            haveLocal = haveLocal || type == IFA_LOCAL;
          }
          break;
        case IFA_FLAGS:
          if (auto f = readAs<std::uint32_t>(v, n)) a.flags = *f;
          break;
        case IFA_CACHEINFO:
          if (auto c = readAs<ifa_cacheinfo>(v, n)) {
            a.preferred = c->ifa_prefered;
            a.valid = c->ifa_valid;
          }
          break;
        case IFA_PROTO:
          if (n >= 1) a.proto = v[0];
          break;
        default:
          break;
      }
    });
    if (a.hasAddress) out.push_back(a);
  });
  return out;
}

std::vector<RouteInfo> decodeRoutes(const Bytes& bytes) {
  std::vector<RouteInfo> out;
  forEachMessage(bytes, [&](const nlmsghdr& h, const std::uint8_t* p, std::size_t len) {
    if (h.nlmsg_type != RTM_NEWROUTE) return;
    auto m = readAs<rtmsg>(p, len);
    if (!m || m->rtm_family != AF_INET6) return;
    RouteInfo r;
    r.dstLength = m->rtm_dst_len;
    r.table = m->rtm_table;
    r.protocol = m->rtm_protocol;
    r.type = m->rtm_type;
    forEachAttribute(p, len, sizeof(rtmsg), [&](unsigned short type, const std::uint8_t* v, std::size_t n) {
      switch (type) {
        case RTA_TABLE:
          if (auto t = readAs<std::uint32_t>(v, n)) r.table = *t;
          break;
        case RTA_GATEWAY:
          if (n >= 16) {
            std::memcpy(r.gateway.data(), v, 16);
            r.hasGateway = true;
          }
          break;
        case RTA_OIF:
          if (auto o = readAs<std::uint32_t>(v, n)) r.oif = *o;
          break;
        case RTA_MULTIPATH:
          // An ECMP route: report its first next hop.
          if (auto nh = readAs<rtnexthop>(v, n); nh && !r.hasGateway && nh->rtnh_len <= n) {
            if (r.oif == 0) r.oif = static_cast<std::uint32_t>(nh->rtnh_ifindex);
            forEachAttribute(v, nh->rtnh_len, sizeof(rtnexthop),
                             [&](unsigned short t2, const std::uint8_t* v2, std::size_t n2) {
                               if (t2 == RTA_GATEWAY && n2 >= 16) {
                                 std::memcpy(r.gateway.data(), v2, 16);
                                 r.hasGateway = true;
                               }
                             });
          }
          break;
        default:
          break;
      }
    });
    out.push_back(r);
  });
  return out;
}

std::optional<RouteInfo> findDefaultRoute(const std::vector<RouteInfo>& routes) {
  for (const auto& r : routes) {
    // Only a unicast route forwards; unreachable, blackhole and prohibit defaults exist to
    // refuse traffic. Policy tables other than main are not what a plain socket uses.
    if (r.dstLength == 0 && r.table == RT_TABLE_MAIN && r.type == RTN_UNICAST) return r;
  }
  return std::nullopt;
}

std::string routeOrigin(std::uint8_t protocol) {
  switch (protocol) {
    case RTPROT_RA: return "ra";
    case RTPROT_STATIC: return "static";
    case RTPROT_BOOT: return "boot";
    case RTPROT_DHCP: return "dhcp";
    case RTPROT_KERNEL: return "kernel";
    default: return "proto " + std::to_string(protocol);
  }
}

std::vector<LinkInfo> decodeLinks(const Bytes& bytes) {
  std::vector<LinkInfo> out;
  forEachMessage(bytes, [&](const nlmsghdr& h, const std::uint8_t* p, std::size_t len) {
    if (h.nlmsg_type != RTM_NEWLINK) return;
    auto m = readAs<ifinfomsg>(p, len);
    if (!m) return;
    LinkInfo l;
    l.index = static_cast<std::uint32_t>(m->ifi_index);
    forEachAttribute(p, len, sizeof(ifinfomsg), [&](unsigned short type, const std::uint8_t* v, std::size_t n) {
      if (type == IFLA_IFNAME && n > 0) l.name.assign(reinterpret_cast<const char*>(v), ::strnlen(reinterpret_cast<const char*>(v), n));
    });
    out.push_back(std::move(l));
  });
  return out;
}

}  // namespace posture::agent::netlink
