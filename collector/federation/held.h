#pragma once
// What a parent holds of its children's per-unit figures, read back as the upserts that
// made them: a province passes a summary child's targets and 2290 counts on upward
// (collector/upstream/picture.h), `status` shows them, the 2290 report rolls up the counts.
// The console's views of the other rows (alert counts, endpoints) are in readers.h.
#include <string>
#include <vector>

#include "collector/federation/changes.h"
#include "common/db/sqlite.h"
#include "posture/v1/federation.pb.h"

namespace posture::collector::federation {

struct HeldRow {
  std::string childId;
  v1::FederationChange change;  // the upsert, without a sequence
};

// Every row of `kind` the children pushed, by child and then by the row's key columns.
// For Target and Report2290 (std::invalid_argument for the others, which have readers of
// their own in mounts.h, readers.h and org/).
std::vector<HeldRow> heldRows(db::Connection& db, RowKind kind);

}  // namespace posture::collector::federation
