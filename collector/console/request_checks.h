#pragma once
// Internal to collector/console/: checks of where a state-changing request comes from,
// before any work is done for it (collector/console/README.md).
//
// Login CSRF: the login needs no CSRF token (there is no session yet), so a page on another
// site could post a form to it and log the victim's browser in as the attacker. A form can
// only send text/plain, urlencoded or multipart bodies without a CORS preflight, and a
// browser names the page's origin in `Origin`; both are checked.
#include "collector/console/http_util.h"
#include "common/net/http_server.h"

namespace posture::collector::console {

// 415 unsupported_media_type unless Content-Type is application/json (parameters such as
// "; charset=utf-8" and the case of the type are ignored).
Refusal requireJsonBody(const net::Request& request);

// When an Origin header is present it must be this console as the browser reached it:
// "https://" + the Host header (compared without case; ":443" may be left out on either
// side). Otherwise 403 cross_origin. Without Origin (scripts, curl) nothing is refused:
// those are no browser, and the CSRF token still guards everything after the login.
Refusal requireSameOrigin(const net::Request& request);

}  // namespace posture::collector::console
