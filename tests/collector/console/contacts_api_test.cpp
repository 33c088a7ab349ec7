// The console API of the units' notice contacts (issue 17): 201 with the contact, 400
// naming the member (unit, kind, address, an unknown member), the list per unit, 204 and
// 404 on delete; each change audited with the console user as actor.
#include "collector/console/contacts_api.h"

#include <doctest/doctest.h>

#include "collector/audit/audit.h"
#include "collector/org/org.h"
#include "collector/storage/storage.h"
#include "tests/support/temp_dir.h"

using namespace posture;
using namespace posture::collector;

namespace {
util::Json body(const std::string& unit, const std::string& kind, const std::string& address) {
  return util::Json::object(
      {{"unit", util::Json(unit)}, {"kind", util::Json(kind)}, {"address", util::Json(address)}});
}
// The body of a 400 (its message names the member).
std::string refused(const net::Response& r) {
  REQUIRE(r.status == 400);
  return r.body;
}
}  // namespace

TEST_CASE("contacts API: add, refuse naming the member, list, delete") {
  test::TempDir dir("posture-contacts-api-");
  auto db = openDatabase(dir.path());
  org::importOrgText(*db, "units:\n  - {code: BS, kind: district, name_vi: \"Huyện\"}\n",
                     "org.yaml", "lan", 1);

  auto created = console::addUnitContact(*db, body("BS", "email", "it@bs.gov.vn"), "minh");
  REQUIRE(created.status == 201);
  auto c = util::parseJson(created.body);
  CHECK(c.find("unit")->asString() == "BS");
  CHECK(c.find("added_by")->asString() == "minh");
  std::int64_t id = c.find("id")->asInt();

  CHECK(refused(console::addUnitContact(*db, body("NOPE", "email", "it@bs.gov.vn"), "minh"))
            .find("'unit'") != std::string::npos);
  CHECK(refused(console::addUnitContact(*db, body("BS", "fax", "123"), "minh")).find("'kind'") !=
        std::string::npos);
  CHECK(refused(console::addUnitContact(*db, body("BS", "email", "it at bs"), "minh"))
            .find("'address'") != std::string::npos);
  CHECK(refused(console::addUnitContact(*db, body("BS", "syslog", "https://x/"), "minh"))
            .find("'address'") != std::string::npos);
  CHECK(refused(console::addUnitContact(*db, body("BS", "email", "it@bs.gov.vn"), "minh"))
            .find("'address'") != std::string::npos);
  auto extra = body("BS", "email", "b@bs.gov.vn");
  extra.set("note", util::Json("x"));
  CHECK(refused(console::addUnitContact(*db, extra, "minh")).find("'note'") != std::string::npos);

  auto list = util::parseJson(console::listUnitContacts(*db, {{"unit", "BS"}}).body);
  CHECK(list.find("contacts")->size() == 1);
  CHECK(console::listUnitContacts(*db, {{"unit", "B S"}}).status == 400);

  CHECK(console::deleteUnitContact(*db, id, "minh").status == 204);
  CHECK(console::deleteUnitContact(*db, id, "minh").status == 404);
  auto audit = listAudit(*db, "contact:BS");
  REQUIRE(audit.size() == 2);
  CHECK(audit[0].action == "contact.remove");
  CHECK(audit[1].actor == "minh");
}
