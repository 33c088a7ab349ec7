#pragma once
// What a district sends its province, or a province its national collector (issue 16): its
// picture as of now, one keyed row per endpoint, unit, target value, layer verdict,
// information system and alert count, for federation::stage() to diff into the outbox.
// Only what lies in the subtree of the unit this collector is mounted at goes up; raw
// reports never do.
//
// A collector with children of its own passes their part on: their units and systems, the
// endpoint rows of endpoint-mode children (evaluated under this collector's plans), their
// four-layer verdicts as this collector's model takes them, their alert counts, and a
// summary child's targets and 2290 counts as it pushed them.
//
// A summary (`--upstream-detail summary`, toward the national tier) sends no endpoint rows:
// each unit's own 2290 counts (FederatedReport2290) instead, counted with the rule of
// collector/export/report_2290.h over this collector's machines and its endpoint-mode
// children's rows, plus what its summary children pushed. An endpoints picture carries
// 2290 counts only for its summary children's units, which have no rows to send.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collector/federation/outbox.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"

namespace posture::collector::upstream {

struct PictureOptions {
  std::string mountUnit;  // the province's unit this collector hangs under
  std::int64_t staleAfterSeconds = 7 * 86400;
  bool summary = false;  // no endpoint rows (`--upstream-detail summary`)
};

struct Picture {
  std::vector<federation::OutboxRow> rows;
  std::size_t endpoints = 0;  // in the mount subtree, children's rows included
  // Endpoints and systems of units outside the mount subtree: kept here, not sent.
  std::size_t outsideMount = 0;
};

Picture buildPicture(db::Connection& db, std::shared_ptr<const std::vector<policy::Policy>> policies,
                     const PictureOptions& options, std::int64_t now);

}  // namespace posture::collector::upstream
