// Routed notifications: the units' contacts, their audited changes and the routing.
#include "collector/alerts/contacts.h"

#include <set>

#include "collector/audit/audit.h"
#include "common/log/log.h"
#include "common/util/json.h"
#include "common/util/utf8.h"

namespace posture::collector {

namespace {

std::string contactJson(const std::string& unit, const std::string& kind,
                        const std::string& address) {
  return "{\"unit\":" + util::jsonString(unit) + ",\"kind\":" + util::jsonString(kind) +
         ",\"address\":" + util::jsonString(address) + "}";
}

std::string why(const std::invalid_argument& e) { return e.what(); }

}  // namespace

DeliveryTarget contactTarget(const std::string& kind, const std::string& address) {
  std::string shown = util::sanitizeUtf8(address);
  if (kind == "email") {
    if (!isEmailAddress(address)) {
      throw ContactError(
          "email", "\"" + shown + "\" không phải địa chỉ thư điện tử hợp lệ",
          "\"" + shown + "\" is not a valid e-mail address (like it@bs.quangngai.gov.vn)");
    }
    return emailTarget(address);
  }
  if (kind != "webhook" && kind != "syslog") {
    throw ContactError("kind",
                       "\"" + util::sanitizeUtf8(kind) + "\" phải là webhook, syslog hoặc email",
                       "\"" + util::sanitizeUtf8(kind) + "\" is not webhook, syslog or email");
  }
  DeliveryTarget t;
  try {
    t = parseDeliveryTarget(address);
  } catch (const std::invalid_argument& e) {
    throw ContactError(kind, "URL không hợp lệ: " + why(e), "bad URL: " + why(e));
  }
  bool webhook = t.kind == DeliveryTarget::Kind::Webhook;
  if (kind == "webhook" && !webhook) {
    throw ContactError("webhook", "\"" + shown + "\" phải là http(s)://HOST:PORT/PATH",
                       "\"" + shown + "\" must be http(s)://HOST:PORT/PATH");
  }
  if (kind == "syslog" && webhook) {
    throw ContactError("syslog", "\"" + shown + "\" phải là udp://HOST:PORT hoặc tcp://HOST:PORT",
                       "\"" + shown + "\" must be udp://HOST:PORT or tcp://HOST:PORT");
  }
  return t;
}

UnitContact addContact(db::Connection& db, const std::string& unit, const std::string& kind,
                       const std::string& address, const std::string& actor, std::int64_t now) {
  contactTarget(kind, address);
  db::Transaction tx(db);
  auto known = db.prepare("SELECT 1 FROM org_units WHERE code = ?");
  known.bind(1, unit);
  if (!known.step()) {
    throw ContactError(
        "unit", "không có đơn vị \"" + util::sanitizeUtf8(unit) + "\" trong cây đơn vị",
        "unknown unit \"" + util::sanitizeUtf8(unit) + "\" (posture-collector org show)");
  }
  auto dup =
      db.prepare("SELECT 1 FROM unit_contacts WHERE unit_code = ? AND kind = ? AND address = ?");
  dup.bind(1, unit).bind(2, kind).bind(3, address);
  if (dup.step()) {
    throw ContactError(
        kind, "đơn vị " + unit + " đã có liên hệ này: " + util::sanitizeUtf8(address),
        "unit " + unit + " already has this contact: " + util::sanitizeUtf8(address));
  }
  db.prepare(
        "INSERT INTO unit_contacts(unit_code, kind, address, added_by, added_at) "
        "VALUES (?, ?, ?, ?, ?)")
      .bind(1, unit)
      .bind(2, kind)
      .bind(3, address)
      .bind(4, actor)
      .bind(5, now)
      .run();
  UnitContact c;
  c.id = db.lastInsertRowid();
  c.unitCode = unit;
  c.kind = kind;
  c.address = address;
  c.addedBy = actor;
  c.addedAt = now;
  appendAudit(
      db, {0, now, actor, "contact.add", "contact:" + unit, "", contactJson(unit, kind, address)});
  tx.commit();
  return c;
}

bool removeContact(db::Connection& db, const std::string& unit, const std::string& kind,
                   const std::string& address, const std::string& actor, std::int64_t now) {
  db::Transaction tx(db);
  auto del =
      db.prepare("DELETE FROM unit_contacts WHERE unit_code = ? AND kind = ? AND address = ?");
  del.bind(1, unit).bind(2, kind).bind(3, address).run();
  if (db.changes() == 0) return false;
  appendAudit(db, {0, now, actor, "contact.remove", "contact:" + unit,
                   contactJson(unit, kind, address), ""});
  tx.commit();
  return true;
}

std::vector<UnitContact> listContacts(db::Connection& db, const std::string& unit) {
  auto st = db.prepare(
      "SELECT id, unit_code, kind, address, added_by, added_at FROM unit_contacts "
      "WHERE ? = '' OR unit_code = ? ORDER BY unit_code, kind, address");
  st.bind(1, unit).bind(2, unit);
  std::vector<UnitContact> out;
  while (st.step()) {
    UnitContact c;
    c.id = st.getInt(0);
    c.unitCode = st.getText(1);
    c.kind = st.getText(2);
    c.address = st.getText(3);
    c.addedBy = st.getText(4);
    c.addedAt = st.getInt(5);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<DeliveryTarget> routeTargets(const org::OrgModel& org,
                                         const std::vector<UnitContact>& contacts,
                                         const std::string& unitCode) {
  std::vector<std::string> units;
  if (unitCode.empty()) {
    // A fleet-level notice: the contacts of every root unit (and of units whose parent is
    // missing from the tree).
    for (const auto& u : org.units) {
      if (u.parent.empty() || !org.findUnit(u.parent)) units.push_back(u.code);
    }
  } else {
    units.push_back(unitCode);
    for (auto& a : org.ancestors(unitCode)) units.push_back(std::move(a));
  }
  std::vector<DeliveryTarget> out;
  std::set<std::string> seen;
  for (const auto& unit : units) {
    for (const auto& c : contacts) {
      if (c.unitCode != unit) continue;
      try {
        DeliveryTarget t = contactTarget(c.kind, c.address);
        if (seen.insert(deliveryTargetUrl(t)).second) out.push_back(std::move(t));
      } catch (const std::invalid_argument& e) {
        log::warn("alert routing: contact ", c.id, " of unit ", c.unitCode, " skipped: ", e.what());
      }
    }
  }
  return out;
}

}  // namespace posture::collector
