#pragma once
// Alert delivery, the targets: the URLs of `--alert-target` (udp://, tcp://, http://,
// https://) parsed into a DeliveryTarget, and written back for log lines.
#include <cstdint>
#include <string>

namespace posture::collector {

struct DeliveryTarget {
  enum class Kind { SyslogUdp, SyslogTcp, Webhook };
  Kind kind = Kind::SyslogUdp;
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
  std::string path;  // webhook only: "/..." (may carry a query)
  bool tls = false;  // webhook over https
};

// Parses "udp://HOST:PORT", "tcp://HOST:PORT", "http://HOST:PORT/PATH" and
// "https://HOST:PORT/PATH" (IPv6 as [::1]). Without a port: 514 for udp/tcp, 80 for http,
// 443 for https. Throws std::invalid_argument naming what is wrong.
DeliveryTarget parseDeliveryTarget(const std::string& url);
// "tcp://[::1]:6514", "https://soc.example:443/hook": for log lines.
std::string deliveryTargetUrl(const DeliveryTarget& target);

// A host as written in a URL: an IPv6 address in brackets, anything else as is.
std::string hostForUrl(const std::string& host);

}  // namespace posture::collector
