#pragma once
// Routed notifications (issue 17): each unit's own contacts — a webhook (http/https URL),
// a syslog receiver (udp/tcp URL) or an e-mail address. A notice goes to the global
// targets (`serve --syslog/--webhook`), to the contacts of its unit and to those of every
// ancestor unit; a fleet-level notice (unit "") to the contacts of the root units. A target
// named by several of those units is sent the notice once.
//
// Stored in `unit_contacts`, changed by `posture-collector contacts add|remove` with an
// audit row; a running collector reads them afresh for every batch of notices, so a change
// applies to the next notice without a restart.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "collector/alerts/delivery_target.h"
#include "collector/org/org.h"
#include "common/db/sqlite.h"

namespace posture::collector {

struct UnitContact {
  std::int64_t id = 0;
  std::string unitCode;
  std::string kind;     // "webhook" | "syslog" | "email"
  std::string address;  // the URL or the e-mail address as given
  std::string addedBy;
  std::int64_t addedAt = 0;
};

// Bad input naming the field: "unit", "kind", or the contact's kind ("webhook", "syslog",
// "email") for its address. what() is "--FIELD: Vietnamese / English" (the CLI's words).
class ContactError : public std::invalid_argument {
 public:
  ContactError(std::string field, std::string vi, std::string en)
      : std::invalid_argument("--" + field + ": " + vi + " / " + en),
        field_(std::move(field)),
        vi_(std::move(vi)),
        en_(std::move(en)) {}
  const std::string& field() const { return field_; }
  const std::string& vi() const { return vi_; }
  const std::string& en() const { return en_; }

 private:
  std::string field_, vi_, en_;
};

// The delivery target of a contact; throws ContactError naming the field when the kind is
// unknown, the URL is bad or of the wrong scheme (a webhook takes http/https, syslog
// udp/tcp), or the e-mail address is not a plain address.
DeliveryTarget contactTarget(const std::string& kind, const std::string& address);

// Adds a contact to a unit of the tree, with its audit row ("contact.add",
// "contact:UNIT"), in one transaction. Throws ContactError for an unknown unit, a bad
// address, or a contact the unit already has.
UnitContact addContact(db::Connection& db, const std::string& unit, const std::string& kind,
                       const std::string& address, const std::string& actor, std::int64_t now);
// Removes it (audited "contact.remove"); false when the unit has no such contact.
bool removeContact(db::Connection& db, const std::string& unit, const std::string& kind,
                   const std::string& address, const std::string& actor, std::int64_t now);
// Ordered by unit, kind, address; unit "" lists every unit's.
std::vector<UnitContact> listContacts(db::Connection& db, const std::string& unit = {});

// The routed targets of a notice of `unitCode`: the unit's contacts, then each ancestor's,
// nearest first; for "" those of the root units. Each target once (by deliveryTargetUrl).
// A stored contact that no longer parses is skipped.
std::vector<DeliveryTarget> routeTargets(const org::OrgModel& org,
                                         const std::vector<UnitContact>& contacts,
                                         const std::string& unitCode);

}  // namespace posture::collector
