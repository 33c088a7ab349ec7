#pragma once
// The parent's side of a federation link: its children, each mounted at one of its units,
// and the rows they pushed (tables federation_children and federated_*; migration 12).
//
// applyPush() applies a push exactly once: in one transaction it checks the child, the
// epoch and the sequences, applies every change it has not applied before, checks that
// every row of the child stays inside the child's mount subtree, and moves the child's
// (epoch, last_sequence) with them. The ack is built from what was committed, so a push
// sent again (a lost ack, a crash on either side) is skipped change by change and answered
// with the same committed_sequence. On any refusal nothing of the push is written.
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "collector/policy/facts.h"
#include "collector/policy/policy.h"
#include "common/db/sqlite.h"
#include "posture/v1/federation.pb.h"

namespace posture::collector::federation {

class FederationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the enrolment of a child collector records: the child and the unit of this
// collector its tree hangs under. A child id already registered is refused.
void registerChild(db::Connection& db, const std::string& childId, const std::string& mountUnit,
                   std::int64_t now);
// Its pushes are refused from then on; its rows stay (read-only) until removed by hand.
// false when the child is unknown.
bool revokeChild(db::Connection& db, const std::string& childId, std::int64_t now);

// Unit codes of this collector's own tree (org_units): a child may not declare them.
using UnitCodes = std::set<std::string, std::less<>>;
UnitCodes ownUnitCodes(db::Connection& db);

// Applies one push of `childId` (the identity its verified certificate names). Refusals
// come back as an ack with error_code set:
//   unknown_child, child_revoked, sequence_gap (message names the expected sequence),
//   unit_collision (names both owners), outside_mount, too_many_changes, push_too_large,
//   field_too_long / invalid_field / empty_change / too_many_facts / too_many_checks (the
//   field named), endpoint_in_summary, invalid_push;
// and a delta of another epoch gets snapshot_required with the parent's epoch.
//
// A refusal that says the child's data is wrong (not unknown_child, child_revoked nor
// sequence_gap, which the link recovers from by itself) is recorded on the child
// (refused_code, …; raises an alert) until a push is accepted again.
//
// What a committed push changed, for the live evaluation: the endpoint rows it upserted or
// removed (evaluated one by one), whether the unit tree moved (a full evaluation), and
// whether layers or systems did (the organization targets).
struct ApplyEffects {
  std::vector<std::string> endpoints;  // agent ids, in push order, each once
  bool tree = false;                   // units changed, or a snapshot replaced the child's rows
  bool organization = false;           // layer verdicts or systems changed
};
v1::FederationAck applyPush(db::Connection& db, const std::string& childId,
                            const UnitCodes& ownUnits, const v1::FederationPush& push,
                            std::int64_t now, ApplyEffects* effects = nullptr);
// The same from the request body; unreadable bytes get malformed_push.
v1::FederationAck applyPushBytes(db::Connection& db, const std::string& childId,
                                 const UnitCodes& ownUnits, std::string_view body,
                                 std::int64_t now, ApplyEffects* effects = nullptr);

struct ChildLink {
  std::string childId, mountUnit;
  std::uint64_t epoch = 0, lastSequence = 0, snapshotThrough = 0;
  std::optional<std::int64_t> lastPushAt;
  std::uint32_t intervalSeconds = 0;
  std::string detail;
  std::optional<std::int64_t> revokedAt;
  // The epoch's snapshot has fully arrived (a large one spans several pushes).
  bool complete() const { return epoch > 0 && lastSequence >= snapshotThrough; }
  // A push within 3 × its interval, from a child not revoked.
  bool healthy(std::int64_t now) const;
};
std::vector<ChildLink> children(db::Connection& db);  // by child id

struct FederatedCheck {
  std::string policyId, checkId;
  policy::Tri result = policy::Tri::Unknown;
};

struct FederatedEndpointRow {
  std::string childId, mountUnit;
  std::string agentId, unitCode, hostname, os;
  policy::Facts facts;  // as sent; a fact not sent is unknown
  std::int64_t factsAt = 0, lastSeen = 0;
  bool stale = false;
  std::vector<FederatedCheck> checks;
};
// Every endpoint row of every child, by (child, unit, hostname, agent).
std::vector<FederatedEndpointRow> loadFederatedEndpoints(db::Connection& db);

struct FederatedUnitRow {
  std::string code, childId, parent, nameVi, nameEn, kind;
};
std::vector<FederatedUnitRow> federatedUnits(db::Connection& db);  // by code

}  // namespace posture::collector::federation
