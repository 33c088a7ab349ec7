#pragma once
// The posture columns of an `endpoints` row (issue 17, "posture at a glance"): what the
// console's endpoint list shows, sorts and filters on, taken once from the latest report's
// facts (collector/policy/facts.h, the same mapping the checks read) when it is stored.
// Unknown is a value here, not NULL, so that keyset paging can compare it: '' for text, -1
// for counts, levels and tri-states (0 off, 1 on), 0 for a time. NULL in the table means
// "not filled yet" (a row stored before the columns existed): fillMissingPosture fills it.
#include <cstdint>
#include <string>

#include "common/db/sqlite.h"

namespace posture::v1 {
class Report;
}

namespace posture::collector {

struct EndpointPosture {
  std::string os;           // os name and version; "" unknown
  std::string avProduct;    // the anti-malware products, ", "-separated; "" none or unknown
  int avInstalled = -1;     // tri-state: -1 unknown, 0 no, 1 yes
  int avRealTime = -1;
  std::int64_t avSignatureAt = 0;  // unix seconds of the youngest signature; 0 unknown
  std::int64_t patchPending = -1, patchSecurity = -1;
  int rebootRequired = -1;
  int ipv6Level = -1;  // 0-4 (shared/domain.md), -1 unknown
  int firewallOn = -1;
};

// `now` is when the report is stored: the signature age fact is measured then and turned
// back into a time, so the list can give its age at any later moment.
EndpointPosture postureOf(const posture::v1::Report& report, std::int64_t now);
// The report bytes; an unreadable body is unknown throughout.
EndpointPosture postureOfBody(const std::string& body, std::int64_t now);

// The SET list and its binds, shared by the writer and the backfill: "os = ?N, ..." with
// the first placeholder `first`; returns the next free placeholder.
extern const char* const kPostureColumns[10];
int bindPosture(db::Statement& st, int first, const EndpointPosture& p);
// Fills the posture columns of every row of `endpoints` that has none (rows stored before
// the migration of issue 17), from its latest report; returns how many. Runs in batches of
// `batch` rows, each its own transaction; cheap when nothing is missing (an index lookup).
std::int64_t fillMissingPosture(db::Connection& db, std::int64_t now, int batch = 2000);

}  // namespace posture::collector
