#pragma once
// The four-layer model (mô hình 4 lớp, Công văn 1552/BTTTT-CATTT) evaluated for one unit
// on one day. A layer passes only with its evidence: a missing or expired record fails.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "collector/org/org.h"

namespace posture::collector::org {

// Layer 2 combines the record with what the agents report: the unit's endpoints (its
// subtree) with real-time anti-malware that is centrally managed.
struct Layer2Telemetry {
  std::uint32_t protectedManaged = 0;
  std::uint32_t total = 0;
  double requiredPercent = 90;
  // For a picture going up (collector/upstream/picture.cpp): layer 4 of this collector's own
  // units from the record alone (the upstream judges the link to itself), and a child's
  // link state without push times, so the evidence changes only when a state does.
  bool forUpstream = false;
};

struct LayerVerdict {
  int layer = 0;
  bool pass = false;
  std::string evidenceVi, evidenceEn;
};

// Layer 4 passes when its record exists and this collector's upstream link is healthy at
// `now` (model.links.uplink; a collector without one is the top of its hierarchy and its
// record alone counts). A unit without records here whose verdicts a child collector
// pushed takes them; its layer 4 then also needs that child's link to be healthy at `now`.
// `now` absent: the end of `today` (UTC+7).
std::array<LayerVerdict, 4> evaluateLayers(const OrgModel& model, std::string_view unitCode,
                                           std::int64_t today, const Layer2Telemetry& telemetry,
                                           std::optional<std::int64_t> now = std::nullopt);

}  // namespace posture::collector::org
