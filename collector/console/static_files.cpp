#include "collector/console/static_files.h"

namespace posture::collector::console {

std::string_view contentTypeFor(std::string_view name) {
  auto dot = name.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json") return "application/json; charset=utf-8";
  if (ext == "yaml" || ext == "yml") return "application/yaml; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<net::Response> staticFile(std::string_view name) {
  for (const auto& f : embeddedFiles()) {
    if (f.name == name) {
      return net::Response{200, std::string(contentTypeFor(name)), std::string(f.bytes), {}};
    }
  }
  return std::nullopt;
}

net::Response staticResponse(boost::beast::http::verb method, const std::string& path) {
  const net::Response notFound{404, "text/plain; charset=utf-8", "not found\n", {}};
  if (method != boost::beast::http::verb::get)
    return net::Response{405, "text/plain; charset=utf-8", "method not allowed\n", {}};
  if (path == "/" || path == "/index.html") return staticFile("index.html").value_or(notFound);
  if (path.starts_with("/assets/") && path.size() > 8 && path.find('/', 8) == std::string::npos &&
      path.substr(8) != "openapi.yaml")
    return staticFile(std::string_view(path).substr(8)).value_or(notFound);
  if (path == "/healthz") return net::Response{200, "text/plain; charset=utf-8", "ok\n", {}};
  return notFound;
}

void addSecurityHeaders(net::Response& r, bool api) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                         "script-src 'self'; frame-ancestors 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
  if (api) r.headers.emplace_back("Cache-Control", "no-store");
}

}  // namespace posture::collector::console
