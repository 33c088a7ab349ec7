#pragma once
// The audit log: every change a person (or the collector on their behalf) makes to the
// organization model, the registry or an alert — who, when, what, before and after.
// Append-only: nothing in the product updates or deletes a row.
#include <cstdint>
#include <string>
#include <vector>

#include "common/db/sqlite.h"

namespace posture::collector {

struct AuditEntry {
  std::int64_t id = 0;  // set by listAudit
  std::int64_t at = 0;  // Unix seconds
  std::string actor;    // a user name, or "posture" for the collector itself
  std::string action;   // e.g. "unit.add", "layer.set", "alert.ack"
  std::string object;   // e.g. "unit:BS-VP", "system:BS-QLVB", "alert:12"
  std::string before;   // JSON of the object before the change; "" when created
  std::string after;    // JSON after the change; "" when deleted
};

// Appends one entry. Call it inside the transaction that makes the change, so the change
// and its record commit together or not at all.
void appendAudit(db::Connection& db, const AuditEntry& entry);

// Newest first; objectPrefix "" lists everything, "unit:" every unit, "alert:12" one alert.
std::vector<AuditEntry> listAudit(db::Connection& db, const std::string& objectPrefix = {},
                                  std::size_t limit = 1000);

// The actor for CLI changes: $SUDO_USER, else the login name, else "uid:N".
std::string cliActor();

}  // namespace posture::collector
