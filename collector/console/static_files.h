#pragma once
// Internal to collector/console/: the embedded browser files (assets.h) outside /api/, and
// the security headers of every console response (collector/console/README.md).
#include <boost/beast/http/verb.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "collector/console/assets.h"  // embeddedFiles(), contentTypeFor()
#include "common/net/http_server.h"

namespace posture::collector::console {

// The embedded file `name` ("index.html", "app.js", "openapi.yaml"), or nullopt.
std::optional<net::Response> staticFile(std::string_view name);

// A path outside /api/: GET / and /index.html (index.html), /assets/NAME (any other
// embedded file but openapi.yaml, which the API serves), /healthz; 404 otherwise, 405 for
// any other method. Plain text errors.
net::Response staticResponse(boost::beast::http::verb method, const std::string& path);

// The headers every console response carries; `api` adds Cache-Control: no-store.
void addSecurityHeaders(net::Response& response, bool api);

}  // namespace posture::collector::console
