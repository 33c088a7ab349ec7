#pragma once
// What a parent holds of its children's per-unit rows, read back as the upserts that made
// them: the province passes them on upward (collector/upstream/picture.h), `status` shows
// a summary child's figures, the 2290 report rolls up its counts.
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
// For Target, Layer, AlertCount and Report2290 (std::invalid_argument for the others,
// which have readers of their own in mounts.h and org/).
std::vector<HeldRow> heldRows(db::Connection& db, RowKind kind);

}  // namespace posture::collector::federation
