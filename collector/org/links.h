#pragma once
// The links of this collector (issue 16): its own link up to a higher tier (`serve
// --upstream`), and the child collectors below it. They are layer 4's telemetry: a unit
// passes layer 4 when its record exists and its collector's upstream link is healthy, and
// an endpoint counts as connected to the provincial SOC when its link chain is healthy.
//
// A link is healthy when its last acknowledged push came within 3 × its interval. These
// are rows, read as they are; health is judged at a time the caller gives, so one
// evaluation judges every link at the same instant.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/db/sqlite.h"

namespace posture::collector::org {

inline constexpr std::int64_t kLinkHealthyIntervals = 3;
// A child enrolled but never heard from is stale after this long (3 × the default minute).
inline constexpr std::int64_t kFirstPushGraceSeconds = 3 * 60;

// lastAt within kLinkHealthyIntervals × interval of now.
bool linkHealthy(std::optional<std::int64_t> lastAt, std::int64_t intervalSeconds, std::int64_t now);

// This collector's own link to its upstream, as the link's last round left it (table
// upstream_link, written by collector/upstream/link.cpp).
struct Uplink {
  std::string upstream;   // HOST:PORT
  std::string identity;   // this collector's id there (its certificate's common name)
  std::string mountUnit;  // the upstream's unit this collector's tree hangs under
  std::int64_t intervalSeconds = 60;
  std::optional<std::int64_t> lastAckAt;  // the last push the upstream committed
  std::int64_t lastAttemptAt = 0;
  std::string lastError;  // of the last round; empty when it went through
  bool healthy(std::int64_t now) const { return linkHealthy(lastAckAt, intervalSeconds, now); }
};

// A child collector as this collector sees it (table federation_children).
struct ChildState {
  std::string childId, mountUnit;
  std::int64_t registeredAt = 0, intervalSeconds = 0;
  std::optional<std::int64_t> lastPushAt, revokedAt;
  // The last push refused, until one is accepted again (code empty: none).
  std::string refusedCode, refusedVi, refusedEn;
  std::optional<std::int64_t> refusedAt;
  bool healthy(std::int64_t now) const {
    return !revokedAt && linkHealthy(lastPushAt, intervalSeconds, now);
  }
  // Not revoked and silent: past 3 × its interval, or never heard from since enrolment.
  bool stale(std::int64_t now) const {
    if (revokedAt) return false;
    if (!lastPushAt) return now - registeredAt > kFirstPushGraceSeconds;
    return !healthy(now);
  }
};

// A layer verdict a child pushed for one of its units (table federated_layers).
struct PushedLayer {
  std::string childId, unitCode;
  int layer = 0;
  bool pass = false;
  std::string evidenceVi, evidenceEn, reference, document;
};

struct Links {
  std::optional<Uplink> uplink;    // none: this collector is the top of its hierarchy
  std::vector<ChildState> children;  // by child id
  std::vector<PushedLayer> layers;   // by (unit, layer, child)
  // The child whose rows a federated unit is (its own units below its mount), or null.
  std::map<std::string, std::string, std::less<>> unitChild;

  const ChildState* child(std::string_view childId) const;
  const ChildState* childOfUnit(std::string_view unitCode) const;
  const PushedLayer* pushedLayer(std::string_view unitCode, int layer) const;
  // Every link's health at `now` in a fixed order, with what else decides an evaluation
  // (a refused push): a different string means the evaluation must run again.
  std::string signature(std::int64_t now) const;
};

// `rows` false: the uplink and the children only (what signature() reads), for a check
// every few seconds.
Links loadLinks(db::Connection& db, bool rows = true);

}  // namespace posture::collector::org
