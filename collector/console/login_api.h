#pragma once
// Internal to collector/console/: the session resource, /api/v1/session
// (collector/console/README.md). POST is the login; in order, before any Argon2 work: Content-Type must be JSON (415), a browser's Origin
// must be this console (403), the body must name a user and a password (400), the lock of
// (name, source group) and the Argon2 budget must let it through (429 with Retry-After,
// answered on the I/O thread). Only then the password is checked on a login thread.
#include <boost/asio/awaitable.hpp>

#include <string>

#include "collector/auth/login.h"
#include "collector/auth/sessions.h"
#include "collector/console/db_pool.h"
#include "common/net/http_server.h"

namespace posture::collector::console {

boost::asio::awaitable<net::Response> postSession(net::Request& request, DbPool& loginPool,
                                                  auth::Logins& logins);

// GET /api/v1/session: the session's user, role and CSRF token (any role).
net::Response sessionInfo(const auth::SessionInfo& session);
// DELETE /api/v1/session: ends the session of `token`; 204 clearing the cookie.
net::Response logoutSession(db::Connection& db, const std::string& token);

}  // namespace posture::collector::console
