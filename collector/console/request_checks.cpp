#include "collector/console/request_checks.h"

#include <string>
#include <string_view>

namespace posture::collector::console {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "host:443" and "host" are the same HTTPS authority.
std::string authority(std::string_view hostPort) {
  std::string a = lower(hostPort);
  if (a.ends_with(":443")) a.resize(a.size() - 4);
  return a;
}

}  // namespace

Refusal requireJsonBody(const net::Request& request) {
  std::string_view type = request.message[boost::beast::http::field::content_type];
  if (lower(trim(type.substr(0, type.find(';')))) == "application/json") return std::nullopt;
  return apiError(415, "unsupported_media_type",
                  "Yêu cầu phải gửi JSON với tiêu đề Content-Type: application/json",
                  "the request must send JSON with the header Content-Type: application/json");
}

Refusal requireSameOrigin(const net::Request& request) {
  auto& m = request.message;
  auto origin = m.find(boost::beast::http::field::origin);
  if (origin == m.end()) return std::nullopt;
  std::string_view value = trim(origin->value());
  std::string_view host = trim(m[boost::beast::http::field::host]);
  constexpr std::string_view kHttps = "https://";
  bool same = !host.empty() && lower(value.substr(0, kHttps.size())) == kHttps &&
              authority(value.substr(kHttps.size())) == authority(host);
  if (same) return std::nullopt;
  return apiError(403, "cross_origin",
                  "Yêu cầu đến từ trang khác (tiêu đề Origin không phải https:// và địa chỉ của "
                  "bảng điều khiển)",
                  "the request comes from another site (the Origin header is not https:// and this "
                  "console's address)");
}

}  // namespace posture::collector::console
