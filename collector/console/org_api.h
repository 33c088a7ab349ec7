#pragma once
// The console API of the organization model (collector/org/): the four-layer records and
// the registry of information systems, read by every role and edited by admins
// (auth::Action::OrgEdit). Every change goes through org::putLayer / putSystem /
// removeSystem, which write it and its audit row in one transaction; a refused request
// writes nothing. The routing, session, CSRF and role checks are in console_api.cpp.
// At a province, the units and systems its children pushed (issue 16) are listed (a
// system with its `source`, the child's id) but kept at the district: an edit of one, or
// of a record of one of their units, is 409 `federated`.
#include <string>

#include "common/util/json.h"
#include "common/db/sqlite.h"
#include "common/net/http_server.h"

namespace posture::collector::console {

// GET /api/v1/layers and GET /api/v1/systems.
net::Response listLayers(db::Connection& db);
net::Response listSystems(db::Connection& db);

// PUT /api/v1/layers/{unit}/{layer}: replaces the record (members as in listLayers; dates
// "YYYY-MM-DD" or null). 404 for an unknown unit, 400 for anything that does not validate.
net::Response putLayerRecord(db::Connection& db, const std::string& unit, const std::string& layer,
                             const util::Json& body, const std::string& actor);

// PUT /api/v1/systems/{code}: creates (201) or replaces (200) the system.
net::Response putInfoSystem(db::Connection& db, const std::string& code, const util::Json& body,
                            const std::string& actor);

// DELETE /api/v1/systems/{code}: 204, or 404 when there is no such system.
net::Response deleteInfoSystem(db::Connection& db, const std::string& code, const std::string& actor);

}  // namespace posture::collector::console
