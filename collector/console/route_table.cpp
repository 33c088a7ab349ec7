#include "collector/console/route_table.h"

namespace posture::collector::console {

namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

const std::string& PathParams::text(std::string_view name) const {
  auto it = values.find(name);
  if (it == values.end()) throw std::out_of_range("no path parameter " + std::string(name));
  return it->second;
}

std::int64_t PathParams::id(std::string_view name) const {
  auto id = parseId(text(name));
  if (!id) throw std::out_of_range("path parameter " + std::string(name) + " is not an id");
  return *id;
}

PathPattern::PathPattern(std::string_view pattern) : text_(pattern) {
  if (!pattern.starts_with('/')) throw std::invalid_argument("pattern without '/': " + text_);
  for (auto s : split(pattern)) {
    Segment seg;
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
      s = s.substr(1, s.size() - 2);
      seg.param = true;
      if (s.ends_with(":id")) {
        seg.id = true;
        s.remove_suffix(3);
      }
      if (s.empty() || s.find_first_of("{}:") != std::string_view::npos)
        throw std::invalid_argument("bad parameter in pattern " + text_);
    } else if (s.find_first_of("{}") != std::string_view::npos) {
      throw std::invalid_argument("bad segment in pattern " + text_);
    }
    seg.text = std::string(s);
    segments_.push_back(std::move(seg));
  }
}

std::optional<PathParams> PathPattern::match(std::string_view path) const {
  auto parts = split(path);
  if (parts.size() != segments_.size()) return std::nullopt;
  PathParams out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& seg = segments_[i];
    if (!seg.param) {
      if (parts[i] != seg.text) return std::nullopt;
      continue;
    }
    if (seg.id && !parseId(parts[i])) return std::nullopt;
    out.values.emplace(seg.text, std::string(parts[i]));
  }
  return out;
}

net::Response unauthenticated() {
  return apiError(401, "unauthenticated", "Chưa đăng nhập hoặc phiên đã hết hạn",
                  "no session, or the session expired");
}

net::Response forbidden() {
  return apiError(403, "forbidden", "Vai trò của bạn không được phép làm việc này",
                  "your role may not do this");
}

net::Response csrfRefused() {
  return apiError(403, "csrf", "Thiếu hoặc sai mã chống giả mạo (X-CSRF-Token)",
                  "missing or wrong X-CSRF-Token header");
}

net::Response methodNotAllowed(const std::string& allow) {
  auto r = apiError(405, "method_not_allowed", "Phương thức không được hỗ trợ ở đây",
                    "method not allowed here");
  r.headers.emplace_back("Allow", allow);
  return r;
}

Refusal checkAccess(const Access& access, const std::optional<auth::SessionInfo>& session,
                    std::string_view csrf) {
  if (!access.session) return std::nullopt;
  if (!session) return unauthenticated();
  if (access.writes && !auth::csrfMatches(session->csrfToken, csrf)) return csrfRefused();
  if (access.action && !auth::allowed(session->role, *access.action)) return forbidden();
  return std::nullopt;
}

}  // namespace posture::collector::console
