#pragma once
// What a district sends its province (issue 16): its picture as of now, one keyed row per
// endpoint, unit, target value, layer verdict, information system and alert count, for
// federation::stage() to diff into the outbox. Only what lies in the subtree of the unit
// the district is mounted at goes up; raw reports never do.
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
  std::size_t endpoints = 0;
  // Endpoints and systems of units outside the mount subtree: kept here, not sent.
  std::size_t outsideMount = 0;
};

Picture buildPicture(db::Connection& db, std::shared_ptr<const std::vector<policy::Policy>> policies,
                     const PictureOptions& options, std::int64_t now);

}  // namespace posture::collector::upstream
