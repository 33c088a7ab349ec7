#pragma once
// Alert delivery, the targets: the URLs of `--syslog` / `--webhook` and of the units'
// contacts (udp://, tcp://, http://, https://) parsed into a DeliveryTarget, an e-mail
// address as a target of its own (sent through the one `--smtp` server), and the targets
// written back for log lines.
#include <cstdint>
#include <string>

namespace posture::collector {

struct DeliveryTarget {
  enum class Kind { SyslogUdp, SyslogTcp, Webhook, Email };
  Kind kind = Kind::SyslogUdp;
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
  std::string path;  // webhook only: "/..." (may carry a query)
  bool tls = false;  // webhook over https
  std::string mailbox;  // Email only: the recipient, "local@domain"
};

// Parses "udp://HOST:PORT", "tcp://HOST:PORT", "http://HOST:PORT/PATH" and
// "https://HOST:PORT/PATH" (IPv6 as [::1]). Without a port: 514 for udp/tcp, 80 for http,
// 443 for https. Throws std::invalid_argument naming what is wrong.
DeliveryTarget parseDeliveryTarget(const std::string& url);
// An e-mail target for `address`; throws std::invalid_argument naming what is wrong
// (isEmailAddress).
DeliveryTarget emailTarget(const std::string& address);
// A plain address "local@domain" (RFC 5321 dot-atom local part, a dotted domain name of
// letters, digits and hyphens, at most 254 bytes); no display name, comments or quotes.
bool isEmailAddress(const std::string& address);
// "tcp://[::1]:6514", "https://soc.example:443/hook", "mailto:it@bs.gov.vn": for log
// lines, and the key that makes two contacts naming the same target one target.
std::string deliveryTargetUrl(const DeliveryTarget& target);

// A host as written in a URL: an IPv6 address in brackets, anything else as is.
std::string hostForUrl(const std::string& host);

}  // namespace posture::collector
