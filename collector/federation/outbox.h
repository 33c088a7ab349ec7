#pragma once
// The child's side of a federation link: a durable outbox of sequenced changes toward the
// parent (tables upstream_state, upstream_sent, upstream_outbox; migration 12).
//
// Durability and crash semantics, for every function here: each runs in one transaction
// of its own, so a crash (kill -9, power) before its commit leaves the database as before
// and after it leaves the whole step done. A staged change never changes again: the bytes
// of (epoch, sequence) are fixed at stage(), so a push sent again after any crash carries
// exactly what the parent may already have applied, and the parent skips it by sequence.
// Acknowledged changes are deleted only when the parent's ack says it committed them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collector/federation/changes.h"
#include "common/db/sqlite.h"
#include "posture/v1/federation.pb.h"

namespace posture::collector::federation {

// One row of the child's current picture: its key (changeKey()) and the serialized
// FederationChange that upserts it, without a sequence.
struct OutboxRow {
  std::string key;
  std::string change;
};
OutboxRow outboxRow(const v1::FederationChange& upsert);

struct StageOptions {
  // When the queue would hold more changes than this and than a fresh snapshot would, the
  // epoch ends: the queue is dropped and the whole picture staged again as a snapshot.
  std::size_t maxQueued = 100000;
};

struct StageResult {
  std::size_t staged = 0;  // changes appended to the outbox
  bool newEpoch = false;   // the queue outgrew its bound: a snapshot replaced it
  // Rows refused by checkChange() (the parent would refuse them): key and problem. They
  // are not staged, so one bad row cannot block the link.
  std::vector<std::pair<std::string, Problem>> refused;
};

// Compares the picture with what was last staged per key (digests in upstream_sent) and,
// in one transaction, appends an upsert for every new or changed key and a removal for
// every staged key now absent, ordered so that any prefix keeps the parent's tree
// consistent: units parents first, then the other rows, then removed units deepest first.
// The first stage() of an epoch stages the whole picture: that is the epoch's snapshot.
// Each key must appear at most once in `rows` (std::invalid_argument otherwise).
StageResult stage(db::Connection& db, const std::vector<OutboxRow>& rows,
                  const StageOptions& options = {});

struct PushOptions {
  std::size_t maxChanges = kMaxPushChanges;
  std::size_t maxBytes = kMaxPushBytes / 2;  // of the changes; at least one is always sent
  std::string detail = "endpoints";
  std::uint32_t intervalSeconds = 60;
  std::int64_t now = 0;
};

// The next push: the oldest unacknowledged changes of the current epoch, in sequence order.
// While the epoch's snapshot is not acknowledged it is a snapshot push starting at sequence
// 1; with nothing queued it is an empty heartbeat. nullopt before the epoch's first stage().
// Reads only: sending the same push twice is safe.
std::optional<v1::FederationPush> nextPush(db::Connection& db, const PushOptions& options = {});

enum class AckOutcome {
  Committed,  // acknowledged changes deleted, acked_sequence moved
  NewEpoch,   // the parent needs a snapshot: outbox and upstream_sent cleared
  Ignored,    // an ack of another epoch (a late answer)
  Refused,    // the parent refused the push; nothing changed here (error_code says why)
};
AckOutcome acknowledge(db::Connection& db, const v1::FederationAck& ack);

struct UpstreamState {
  std::uint64_t epoch = 0, nextSequence = 1, ackedSequence = 0;
  std::optional<std::uint64_t> snapshotThrough;  // unset until the epoch's first stage()
  bool snapshotAcked = false;
  std::size_t queued = 0;  // changes in the outbox
};
UpstreamState upstreamState(db::Connection& db);

}  // namespace posture::collector::federation
