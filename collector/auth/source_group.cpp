#include "collector/auth/source_group.h"

#include <arpa/inet.h>

#include <cstring>

namespace posture::collector::auth {

std::string remoteAddress(std::string_view remote) {
  if (remote.starts_with('[')) {
    auto close = remote.find(']');
    return std::string(close == std::string_view::npos ? remote.substr(1)
                                                       : remote.substr(1, close - 1));
  }
  auto colon = remote.rfind(':');
  return std::string(colon == std::string_view::npos ? remote : remote.substr(0, colon));
}

std::string sourceGroup(std::string_view address) {
  // inet_pton needs a terminated string; an address is at most 45 characters (plus a zone).
  if (address.empty() || address.size() > 63) return "invalid";
  std::string text(address.substr(0, address.find('%')));

  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    char out[INET_ADDRSTRLEN];
    return ::inet_ntop(AF_INET, &v4, out, sizeof out) ? std::string(out) : "invalid";
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return "invalid";
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6.s6_addr, kMapped, sizeof kMapped) == 0) {
    std::memcpy(&v4, v6.s6_addr + 12, 4);
    char out[INET_ADDRSTRLEN];
    return ::inet_ntop(AF_INET, &v4, out, sizeof out) ? std::string(out) : "invalid";
  }
  std::memset(v6.s6_addr + 8, 0, 8);  // keep the /64
  char out[INET6_ADDRSTRLEN];
  if (!::inet_ntop(AF_INET6, &v6, out, sizeof out)) return "invalid";
  return std::string(out) + "/64";
}

}  // namespace posture::collector::auth
