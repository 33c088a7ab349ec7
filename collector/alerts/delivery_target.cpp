// Alert delivery, the targets: parsing and writing the target URLs.
#include "collector/alerts/delivery_target.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <stdexcept>

#include "common/util/utf8.h"

namespace posture::collector {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

using util::sanitizeUtf8;

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace

std::string hostForUrl(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

DeliveryTarget parseDeliveryTarget(const std::string& url) {
  auto bad = [&](const std::string& why) -> void {
    throw std::invalid_argument("delivery target \"" + sanitizeUtf8(url) + "\": " + why);
  };
  if (url.empty()) bad("empty");
  for (char ch : url) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) bad("contains a space or control character");
  }
  auto sep = url.find("://");
  if (sep == std::string::npos) bad("no scheme (expected udp://, tcp://, http:// or https://)");
  DeliveryTarget t;
  std::string scheme = lower(url.substr(0, sep));
  std::uint16_t defaultPort = 0;
  if (scheme == "udp") {
    t.kind = DeliveryTarget::Kind::SyslogUdp;
    defaultPort = 514;
  } else if (scheme == "tcp") {
    t.kind = DeliveryTarget::Kind::SyslogTcp;
    defaultPort = 514;
  } else if (scheme == "http") {
    t.kind = DeliveryTarget::Kind::Webhook;
    defaultPort = 80;
  } else if (scheme == "https") {
    t.kind = DeliveryTarget::Kind::Webhook;
    t.tls = true;
    defaultPort = 443;
  } else {
    bad("unknown scheme \"" + scheme + "\" (expected udp, tcp, http or https)");
  }
  std::string rest = url.substr(sep + 3);
  auto authorityEnd = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, authorityEnd);
  std::string tail = authorityEnd == std::string::npos ? std::string() : rest.substr(authorityEnd);
  if (authority.empty()) bad("no host");
  if (authority.find('@') != std::string::npos)
    bad("user information (user@host) is not supported");

  std::string portText;
  bool hasPort = false;
  if (authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) bad("unterminated '[' in an IPv6 address");
    t.host = authority.substr(1, close - 1);
    error_code ec;
    asio::ip::make_address_v6(t.host, ec);
    if (t.host.empty() || ec) bad("\"" + t.host + "\" is not an IPv6 address");
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') bad("unexpected \"" + after + "\" after the IPv6 address");
      hasPort = true;
      portText = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    if (colon != std::string::npos && authority.find(':', colon + 1) != std::string::npos) {
      bad("an IPv6 address must be in brackets, e.g. [::1]:514");
    }
    t.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      hasPort = true;
      portText = authority.substr(colon + 1);
    }
    if (t.host.empty()) bad("no host");
    for (char c : t.host) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-' || c == '_';
      if (!ok) bad(std::string("invalid character '") + c + "' in host \"" + t.host + "\"");
    }
  }
  if (hasPort) {
    if (portText.empty()) bad("empty port");
    bool digits = portText.size() <= 5 && std::all_of(portText.begin(), portText.end(),
                                                      [](char c) { return c >= '0' && c <= '9'; });
    long port = digits ? std::stol(portText) : 0;
    if (!digits || port < 1 || port > 65535) bad("port \"" + portText + "\" is not 1-65535");
    t.port = static_cast<std::uint16_t>(port);
  } else {
    t.port = defaultPort;
  }
  if (tail.find('#') != std::string::npos) bad("a fragment (#...) is not allowed");
  if (t.kind == DeliveryTarget::Kind::Webhook) {
    t.path = tail.empty() ? "/" : (tail[0] == '?' ? "/" + tail : tail);
  } else if (!tail.empty() && tail != "/") {
    bad("a syslog target takes no path (\"" + tail + "\")");
  }
  return t;
}

bool isEmailAddress(const std::string& address) {
  if (address.empty() || address.size() > 254) return false;
  auto at = address.rfind('@');
  if (at == std::string::npos || at == 0 || at > 64 || at + 1 >= address.size()) return false;
  std::string local = address.substr(0, at), domain = address.substr(at + 1);
  // Local part: dot-atom (atext with single dots, not at either end).
  const std::string atextSpecials = "!#$%&'*+-/=?^_`{|}~";
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos)
    return false;
  for (char c : local) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || atextSpecials.find(c) != std::string::npos;
    if (!ok) return false;
  }
  // Domain: at least two labels of letters, digits and hyphens, no hyphen at either end.
  std::size_t labels = 0, start = 0;
  for (;;) {
    auto dot = domain.find('.', start);
    std::string label = domain.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    ++labels;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

DeliveryTarget emailTarget(const std::string& address) {
  if (!isEmailAddress(address)) {
    throw std::invalid_argument("e-mail address \"" + sanitizeUtf8(address) +
                                "\" is not a plain address like it@bs.quangngai.gov.vn");
  }
  DeliveryTarget t;
  t.kind = DeliveryTarget::Kind::Email;
  t.mailbox = address;
  return t;
}

std::string deliveryTargetUrl(const DeliveryTarget& t) {
  if (t.kind == DeliveryTarget::Kind::Email) return "mailto:" + lower(t.mailbox);
  std::string scheme = t.kind == DeliveryTarget::Kind::SyslogUdp   ? "udp"
                       : t.kind == DeliveryTarget::Kind::SyslogTcp ? "tcp"
                       : t.tls                                     ? "https"
                                                                   : "http";
  std::string out = scheme + "://" + hostForUrl(t.host) + ":" + std::to_string(t.port);
  if (t.kind == DeliveryTarget::Kind::Webhook) out += t.path.empty() ? "/" : t.path;
  return out;
}

}  // namespace posture::collector
