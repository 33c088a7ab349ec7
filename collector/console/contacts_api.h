#pragma once
// The console API of the units' notice contacts (issue 17, collector/alerts/contacts.h):
// admins only (auth::Action::OrgEdit), reading included — the addresses are people's. Every
// change goes through addContact / removeContact, which write it and its audit row in one
// transaction. The routing, session, CSRF and role checks are in console_api.cpp.
#include <string>

#include "collector/console/http_util.h"
#include "common/db/sqlite.h"
#include "common/net/http_server.h"
#include "common/util/json.h"

namespace posture::collector::console {

// GET /api/v1/contacts[?unit=CODE]: {"contacts": [{id, unit, kind, address, added_by,
// added_at}]}, ordered by unit, kind, address.
net::Response listUnitContacts(db::Connection& db, const Query& query);
// POST /api/v1/contacts {unit, kind: webhook|syslog|email, address}: 201 with the contact;
// 400 naming the member (an unknown unit is `unit`, a bad URL or address `address`).
net::Response addUnitContact(db::Connection& db, const util::Json& body, const std::string& actor);
// DELETE /api/v1/contacts/{id}: 204, or 404.
net::Response deleteUnitContact(db::Connection& db, std::int64_t id, const std::string& actor);

}  // namespace posture::collector::console
