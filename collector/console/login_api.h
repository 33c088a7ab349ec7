#pragma once
// Internal to collector/console/: POST /api/v1/session, the login (collector/console/README.md).
// In order, before any Argon2 work: Content-Type must be JSON (415), a browser's Origin
// must be this console (403), the body must name a user and a password (400), the lock of
// (name, source group) and the Argon2 budget must let it through (429 with Retry-After,
// answered on the I/O thread). Only then the password is checked on a login thread.
#include <boost/asio/awaitable.hpp>

#include "collector/auth/login.h"
#include "collector/console/db_pool.h"
#include "common/net/http_server.h"

namespace posture::collector::console {

boost::asio::awaitable<net::Response> postSession(net::Request& request, DbPool& loginPool,
                                                  auth::Logins& logins);

}  // namespace posture::collector::console
