#include "collector/console/http_util.h"

namespace posture::collector::console {

net::Response jsonResponse(unsigned status, const Json& body) {
  return net::Response{status, kJson, writeJson(body, false), {}};
}

net::Response apiError(unsigned status, const std::string& code, const std::string& vi,
                       const std::string& en) {
  Json e = Json::object();
  e.set("code", code);
  e.set("message_vi", vi);
  e.set("message_en", en);
  Json body = Json::object();
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

bool isUnitCode(const std::string& s) {
  return !s.empty() && s.size() <= 64 &&
         s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
             std::string::npos;
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

Refusal stringMember(const Json& body, const std::string& name, bool required, std::size_t maxBytes,
                     std::string& out) {
  out.clear();
  const Json* v = body.find(name);
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

Json nullable(const std::string& s) { return s.empty() ? Json() : Json(s); }

std::string_view resultKey(policy::Tri t) {
  switch (t) {
    case policy::Tri::True: return "pass";
    case policy::Tri::False: return "fail";
    case policy::Tri::Unknown: break;
  }
  return "unknown";
}

Json checkJson(const policy::Policy& policy, const policy::Check& check) {
  Json j = Json::object();
  j.set("policy", policy.id);
  j.set("id", check.id);
  j.set("title_vi", check.title.vi);
  j.set("title_en", check.title.en);
  j.set("severity", std::string(policy::severityName(check.severity)));
  return j;
}

}  // namespace posture::collector::console
