#include "collector/console/contacts_api.h"

#include "collector/alerts/contacts.h"
#include "common/util/time.h"

namespace posture::collector::console {
namespace {

util::Json contactJson(const UnitContact& c) {
  util::Json j = util::Json::object();
  j.set("id", c.id);
  j.set("unit", c.unitCode);
  j.set("kind", c.kind);
  j.set("address", c.address);
  j.set("added_by", c.addedBy);
  j.set("added_at", c.addedAt);
  return j;
}

}  // namespace

net::Response listUnitContacts(db::Connection& db, const Query& query) {
  std::string unit;
  if (auto r = unitParam(query, "unit", false, unit)) return *r;
  util::Json list = util::Json::array();
  for (const auto& c : listContacts(db, unit)) list.push(contactJson(c));
  util::Json out = util::Json::object();
  out.set("contacts", std::move(list));
  return jsonResponse(200, out);
}

net::Response addUnitContact(db::Connection& db, const util::Json& body, const std::string& actor) {
  for (const auto& [name, value] : body.members()) {
    if (name != "unit" && name != "kind" && name != "address") {
      std::string shown = validUtf8(name) && name.size() <= 64 ? name : "?";
      return badRequest(shown, "trường không được hỗ trợ", "unknown member");
    }
  }
  std::string unit, kind, address;
  if (auto r = stringMember(body, "unit", true, 64, unit)) return *r;
  if (!isUnitCode(unit)) return badRequest("unit", "mã đơn vị không hợp lệ", "not a unit code");
  if (auto r = stringMember(body, "kind", true, 16, kind)) return *r;
  if (auto r = stringMember(body, "address", true, 2048, address)) return *r;
  try {
    UnitContact c = addContact(db, unit, kind, address, actor, util::unixNow());
    return jsonResponse(201, contactJson(c));
  } catch (const ContactError& e) {
    std::string field = e.field() == "unit" || e.field() == "kind" ? e.field() : "address";
    return badRequest(field, e.vi(), e.en());
  }
}

net::Response deleteUnitContact(db::Connection& db, std::int64_t id, const std::string& actor) {
  for (const auto& c : listContacts(db)) {
    if (c.id != id) continue;
    if (removeContact(db, c.unitCode, c.kind, c.address, actor, util::unixNow())) {
      return net::Response{204, kJson, "", {}};
    }
  }
  return notFound("liên hệ " + std::to_string(id) + " / contact " + std::to_string(id));
}

}  // namespace posture::collector::console
