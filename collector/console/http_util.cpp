#include "collector/console/http_util.h"

#include "common/util/unit_code.h"

namespace posture::collector::console {

net::Response jsonResponse(unsigned status, const util::Json& body) {
  return net::Response{status, kJson, util::writeJson(body, false), {}};
}

net::Response apiError(unsigned status, const std::string& code, const std::string& vi,
                       const std::string& en) {
  util::Json e = util::Json::object();
  e.set("code", code);
  e.set("message_vi", vi);
  e.set("message_en", en);
  util::Json body = util::Json::object();
  body.set("error", std::move(e));
  return jsonResponse(status, body);
}

net::Response badRequest(const std::string& parameter, const std::string& vi,
                         const std::string& en) {
  return apiError(400, "bad_request", "Tham số '" + parameter + "' không hợp lệ: " + vi,
                  "invalid parameter '" + parameter + "': " + en);
}

net::Response notFound(const std::string& what) {
  return apiError(404, "not_found", "Không tìm thấy " + what, "not found: " + what);
}

bool isUnitCode(const std::string& s) { return util::validCode(s); }

bool isAgentId(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         s.find_first_not_of("0123456789abcdefABCDEF-") == std::string::npos;
}

std::optional<std::int64_t> parseId(std::string_view s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return std::stoll(std::string(s));
}

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> percentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool parseQuery(std::string_view text, Query& out) {
  while (!text.empty()) {
    auto amp = text.find('&');
    std::string_view part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto name = percentDecode(part.substr(0, eq));
    auto value = percentDecode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    if (!name || !value) return false;
    out[*name] = *value;
  }
  return true;
}

Refusal jsonObjectBody(std::string_view body, util::Json& out, bool optional) {
  if (body.empty() && optional) {
    out = util::Json::object();
    return std::nullopt;
  }
  try {
    out = util::parseJson(body);
  } catch (const util::JsonError& e) {
    return badRequest("body", "không phải JSON", std::string("not JSON: ") + e.what());
  }
  if (!out.isObject()) return badRequest("body", "cần một đối tượng JSON", "expected a JSON object");
  return std::nullopt;
}

Refusal numberParam(const Query& q, const std::string& name, std::int64_t def, std::int64_t min,
                    std::int64_t max, std::int64_t& out) {
  out = def;
  auto it = q.find(name);
  if (it == q.end()) return std::nullopt;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
    return badRequest(name, "cần một số nguyên", "expected an integer");
  }
  out = std::stoll(v);
  if (out < min || out > max) {
    return badRequest(name, "phải từ " + std::to_string(min) + " đến " + std::to_string(max),
                      "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return std::nullopt;
}

Refusal pageParams(const Query& q, std::int64_t defaultLimit, std::int64_t& limit, std::int64_t& offset) {
  if (auto r = numberParam(q, "limit", defaultLimit, 1, kMaxLimit, limit)) return r;
  offset = 0;
  auto it = q.find("offset");
  if (it == q.end()) return std::nullopt;
  const std::string& v = it->second;
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) {
    return badRequest("offset", "cần một số nguyên", "expected an integer");
  }
  if (v.size() > 9 || std::stoll(v) > kMaxOffset) {
    const std::string max = std::to_string(kMaxOffset);
    return badRequest("offset",
                      "tối đa " + max + "; để xem tiếp hãy phân trang theo khoá với after_id hoặc before_id",
                      "at most " + max + "; to page further use keyset paging with after_id or before_id");
  }
  offset = std::stoll(v);
  return std::nullopt;
}

Refusal stringMember(const util::Json& body, const std::string& name, bool required, std::size_t maxBytes,
                     std::string& out) {
  out.clear();
  const util::Json* v = body.find(name);
  if (!v || v->isNull()) {
    if (required) return badRequest(name, "bắt buộc", "required");
    return std::nullopt;
  }
  if (!v->isString()) return badRequest(name, "cần một chuỗi", "expected a string");
  out = v->asString();
  if (out.size() > maxBytes) {
    return badRequest(name, "tối đa " + std::to_string(maxBytes) + " byte",
                      "at most " + std::to_string(maxBytes) + " bytes");
  }
  if (required && out.empty()) return badRequest(name, "không được để trống", "must not be empty");
  return std::nullopt;
}

Refusal unitParam(const Query& q, const std::string& name, bool required, std::string& out) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) {
    if (required) return badRequest(name, "bắt buộc", "required");
    out.clear();
    return std::nullopt;
  }
  if (!isUnitCode(it->second)) {
    return badRequest(name, "mã đơn vị gồm 1-64 chữ, số, '.', '_' hoặc '-'",
                      "a unit code is 1-64 letters, digits, '.', '_' or '-'");
  }
  out = it->second;
  return std::nullopt;
}

Refusal sourceParam(const Query& q, const std::string& name, std::string& out) {
  auto it = q.find(name);
  out = it == q.end() ? std::string() : it->second;
  if (!out.empty() && !isUnitCode(out)) {
    return badRequest(name, "cần mã của một collector cấp dưới (cột source)",
                      "expected a child collector's id (the source column)");
  }
  return std::nullopt;
}

Refusal textParam(const Query& q, const std::string& name, std::size_t maxBytes, std::string& out) {
  auto it = q.find(name);
  out = it == q.end() ? std::string() : it->second;
  if (out.size() > maxBytes || !validUtf8(out)) {
    return badRequest(name, "tối đa " + std::to_string(maxBytes) + " byte UTF-8",
                      "at most " + std::to_string(maxBytes) + " bytes of UTF-8");
  }
  for (char c : out) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return badRequest(name, "không được chứa ký tự điều khiển", "control characters are not allowed");
    }
  }
  return std::nullopt;
}

Refusal oneOf(const Query& q, const std::string& name, const std::vector<std::string>& allowed,
              std::string& out) {
  auto it = q.find(name);
  out = it == q.end() ? std::string() : it->second;
  if (out.empty()) return std::nullopt;
  for (const auto& a : allowed)
    if (a == out) return std::nullopt;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : "|") + a;
  return badRequest(name, "phải là " + list, "must be " + list);
}

util::Json nullable(const std::string& s) { return s.empty() ? util::Json() : util::Json(s); }

util::Json fraction(std::uint32_t satisfied, std::uint32_t total) {
  if (total == 0) return util::Json();
  return util::Json(static_cast<double>(satisfied) / static_cast<double>(total));
}

std::string_view resultKey(policy::Tri t) {
  switch (t) {
    case policy::Tri::True: return "pass";
    case policy::Tri::False: return "fail";
    case policy::Tri::Unknown: break;
  }
  return "unknown";
}

util::Json checkJson(const policy::Policy& policy, const policy::Check& check) {
  util::Json j = util::Json::object();
  j.set("policy", policy.id);
  j.set("id", check.id);
  j.set("title_vi", check.title.vi);
  j.set("title_en", check.title.en);
  j.set("severity", std::string(policy::severityName(check.severity)));
  return j;
}

}  // namespace posture::collector::console
